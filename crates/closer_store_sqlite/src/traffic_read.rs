//! Traffic reads on the sqlx read pool: sites, a contact's touches, the report's aggregates.

use closer_domain::traffic::{Channel, SiteDomain};
use closer_domain::{ContactId, WorkspaceId};
use closer_store::{
    BreakdownRow, PageRow, SeriesRow, SessionTotals, Site, StoreError, Touch, TrafficAggregates,
    TrafficQuery,
};
use sqlx::SqlitePool;
use sqlx::sqlite::SqliteRow;

use crate::error::db_err;
use crate::rows::{get, ts};

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

pub(crate) fn site(row: &SqliteRow) -> Result<Site, StoreError> {
    closer_store_sql::site(&crate::rows::Cols(row))
}

pub(crate) async fn sites(
    pool: &SqlitePool,
    ws: Option<WorkspaceId>,
) -> Result<Vec<Site>, StoreError> {
    let rows =
        sqlx::query("select * from sites where ?1 is null or workspace_id = ?1 order by domain")
            .bind(ws.map(|w| w.0))
            .fetch_all(pool)
            .await
            .map_err(db_err)?;
    rows.iter().map(site).collect()
}

pub(crate) async fn touches(
    pool: &SqlitePool,
    ws: WorkspaceId,
    contact: ContactId,
) -> Result<Vec<Touch>, StoreError> {
    let rows = sqlx::query(
        "select s.started_at, s.channel, s.source, s.utm_campaign, s.entry_page, t.domain from sessions s \
         join visitor_links l on l.workspace_id = s.workspace_id and l.visitor = s.visitor \
         join sites t on t.id = s.site_id \
         where l.workspace_id = ?1 and l.contact_id = ?2 order by s.started_at, s.id",
    )
    .bind(ws.0)
    .bind(contact.0)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            let channel: String = get(r, "channel")?;
            Ok(Touch {
                started_at: ts(get(r, "started_at")?)?,
                channel: Channel::parse(&channel)
                    .ok_or_else(|| corrupt(format!("channel {channel}")))?,
                source: get(r, "source")?,
                campaign: get(r, "utm_campaign")?,
                entry_page: get(r, "entry_page")?,
                site: SiteDomain::parse(&get::<String>(r, "domain")?).map_err(corrupt)?,
            })
        })
        .collect()
}

/// Sessions of the queried sites that started in the range. `?1` workspace, `?2` site or
/// null, `?3`/`?4` the range in microseconds.
const SCOPE: &str = "site_id in (select id from sites where workspace_id = ?1 and (?2 is null or id = ?2)) \
     and started_at >= ?3 and started_at < ?4";

const TOTALS: &str = "count(distinct visitor) as visitors, count(*) as sessions, coalesce(sum(pageviews), 0) as pageviews, \
     coalesce(sum(case when pageviews <= 1 and interactions = 0 then 1 else 0 end), 0) as bounces, \
     coalesce(sum(last_at - started_at), 0) as duration";

fn totals(row: &SqliteRow) -> Result<SessionTotals, StoreError> {
    Ok(SessionTotals {
        visitors: get(row, "visitors")?,
        sessions: get(row, "sessions")?,
        pageviews: get(row, "pageviews")?,
        bounces: get(row, "bounces")?,
        duration_micros: get(row, "duration")?,
    })
}

async fn fetch(
    pool: &SqlitePool,
    sql: &str,
    ws: WorkspaceId,
    q: &TrafficQuery,
) -> Result<Vec<SqliteRow>, StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(ws.0)
        .bind(q.site.map(|s| s.0))
        .bind(q.from.unix_micros())
        .bind(q.to.unix_micros())
        .bind(i64::from(q.limit))
        .fetch_all(pool)
        .await
        .map_err(db_err)
}

async fn breakdown(
    pool: &SqlitePool,
    column: &str,
    ws: WorkspaceId,
    q: &TrafficQuery,
) -> Result<Vec<BreakdownRow>, StoreError> {
    let sql = format!(
        "select {column} as key, {TOTALS} from sessions where {SCOPE} group by {column} \
         order by visitors desc, sessions desc, key limit ?5"
    );
    fetch(pool, &sql, ws, q)
        .await?
        .iter()
        .map(|r| {
            Ok(BreakdownRow {
                key: get(r, "key")?,
                totals: totals(r)?,
            })
        })
        .collect()
}

fn pages(rows: &[SqliteRow]) -> Result<Vec<PageRow>, StoreError> {
    rows.iter()
        .map(|r| {
            Ok(PageRow {
                path: get(r, "path")?,
                pageviews: get(r, "pageviews")?,
                visitors: get(r, "visitors")?,
            })
        })
        .collect()
}

pub(crate) async fn aggregates(
    pool: &SqlitePool,
    ws: WorkspaceId,
    q: &TrafficQuery,
) -> Result<TrafficAggregates, StoreError> {
    let total_rows = fetch(
        pool,
        &format!("select {TOTALS} from sessions where {SCOPE}"),
        ws,
        q,
    )
    .await?;
    let top_pages = fetch(
        pool,
        "select path, count(*) as pageviews, count(distinct visitor) as visitors from traffic_events \
         where site_id in (select id from sites where workspace_id = ?1 and (?2 is null or id = ?2)) \
         and occurred_at >= ?3 and occurred_at < ?4 and name = 'pageview' \
         group by path order by pageviews desc, path limit ?5",
        ws,
        q,
    )
    .await?;
    let entry = fetch(
        pool,
        &format!(
            "select entry_page as path, count(*) as pageviews, count(distinct visitor) as visitors from sessions \
             where {SCOPE} group by entry_page order by pageviews desc, path limit ?5"
        ),
        ws,
        q,
    )
    .await?;
    let bucket = q.bucket.micros();
    let series_sql = format!(
        "select (started_at / {bucket}) * {bucket} as bucket, {TOTALS} from sessions where {SCOPE} \
         group by 1 order by 1"
    );
    let series = fetch(pool, &series_sql, ws, q)
        .await?
        .iter()
        .map(|r| {
            Ok(SeriesRow {
                bucket_start: ts(get(r, "bucket")?)?,
                totals: totals(r)?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(TrafficAggregates {
        totals: total_rows
            .first()
            .map(totals)
            .transpose()?
            .unwrap_or_default(),
        pages: pages(&top_pages)?,
        entry_pages: pages(&entry)?,
        channels: breakdown(pool, "channel", ws, &q.every_channel()).await?,
        sources: breakdown(pool, "source", ws, q).await?,
        campaigns: breakdown(pool, "utm_campaign", ws, q).await?,
        series,
    })
}
