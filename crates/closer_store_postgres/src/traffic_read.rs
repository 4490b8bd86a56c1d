//! Traffic reads on PostgreSQL: sites, a contact's touches, the report's aggregates.

use closer_domain::traffic::{Channel, SiteDomain};
use closer_domain::{ContactId, Timestamp, WorkspaceId};
use closer_store::{
    BreakdownRow, PageRow, SeriesRow, SessionTotals, Site, StoreError, Touch, TrafficAggregates,
    TrafficQuery,
};
use sqlx::PgPool;
use sqlx::postgres::PgRow;

use crate::error::db_err;
use crate::rows::{get, ts};

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

pub(crate) fn site(row: &PgRow) -> Result<Site, StoreError> {
    closer_store_sql::site(&crate::rows::Cols(row))
}

pub(crate) async fn sites(pool: &PgPool, ws: Option<WorkspaceId>) -> Result<Vec<Site>, StoreError> {
    let rows = sqlx::query(
        "select * from sites where $1::uuid is null or workspace_id = $1 order by domain",
    )
    .bind(ws.map(|w| w.0))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.iter().map(site).collect()
}

pub(crate) async fn touches(
    pool: &PgPool,
    ws: WorkspaceId,
    contact: ContactId,
) -> Result<Vec<Touch>, StoreError> {
    let rows = sqlx::query(
        "select s.started_at, s.channel, s.source, s.utm_campaign, s.entry_page, t.domain from sessions s \
         join visitor_links l on l.workspace_id = s.workspace_id and l.visitor = s.visitor \
         join sites t on t.id = s.site_id \
         where l.workspace_id = $1 and l.contact_id = $2 order by s.started_at, s.id",
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
                started_at: ts(r, "started_at")?,
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

/// Sessions of the queried sites that started in the range.
const SCOPE: &str = "site_id in (select id from sites where workspace_id = $1 and ($2::uuid is null or id = $2)) \
     and started_at >= $3 and started_at < $4";

const TOTALS: &str = "count(distinct visitor) as visitors, count(*) as sessions, coalesce(sum(pageviews), 0)::bigint as pageviews, \
     count(*) filter (where pageviews <= 1 and interactions = 0) as bounces, \
     coalesce(sum(extract(epoch from (last_at - started_at)) * 1000000), 0)::bigint as duration";

fn totals(row: &PgRow) -> Result<SessionTotals, StoreError> {
    Ok(SessionTotals {
        visitors: get(row, "visitors")?,
        sessions: get(row, "sessions")?,
        pageviews: get(row, "pageviews")?,
        bounces: get(row, "bounces")?,
        duration_micros: get(row, "duration")?,
    })
}

async fn fetch(
    pool: &PgPool,
    sql: &str,
    ws: WorkspaceId,
    q: &TrafficQuery,
) -> Result<Vec<PgRow>, StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(ws.0)
        .bind(q.site.map(|s| s.0))
        .bind(q.from.get())
        .bind(q.to.get())
        .bind(i64::from(q.limit))
        .fetch_all(pool)
        .await
        .map_err(db_err)
}

async fn breakdown(
    pool: &PgPool,
    column: &str,
    ws: WorkspaceId,
    q: &TrafficQuery,
) -> Result<Vec<BreakdownRow>, StoreError> {
    let sql = format!(
        "select {column} as key, {TOTALS} from sessions where {SCOPE} and $5::bigint > 0 group by {column} \
         order by visitors desc, sessions desc, key limit $5"
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

fn pages(rows: &[PgRow]) -> Result<Vec<PageRow>, StoreError> {
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
    pool: &PgPool,
    ws: WorkspaceId,
    q: &TrafficQuery,
) -> Result<TrafficAggregates, StoreError> {
    // Every statement binds the same five parameters; `$5 > 0` keeps it used where a query
    // has no limit (PostgreSQL must know each parameter's type).
    let total_rows = fetch(
        pool,
        &format!("select {TOTALS} from sessions where {SCOPE} and $5::bigint > 0"),
        ws,
        q,
    )
    .await?;
    let top_pages = fetch(
        pool,
        "select path, count(*) as pageviews, count(distinct visitor) as visitors from traffic_events \
         where site_id in (select id from sites where workspace_id = $1 and ($2::uuid is null or id = $2)) \
         and occurred_at >= $3 and occurred_at < $4 and name = 'pageview' \
         group by path order by pageviews desc, path limit $5",
        ws,
        q,
    )
    .await?;
    let entry = fetch(
        pool,
        &format!(
            "select entry_page as path, count(*) as pageviews, count(distinct visitor) as visitors from sessions \
             where {SCOPE} group by entry_page order by pageviews desc, path limit $5"
        ),
        ws,
        q,
    )
    .await?;
    let bucket = q.bucket.micros();
    let series_sql = format!(
        "select (floor(extract(epoch from started_at) * 1000000 / {bucket}) * {bucket})::bigint as bucket, {TOTALS} \
         from sessions where {SCOPE} and $5::bigint > 0 group by 1 order by 1"
    );
    let series = fetch(pool, &series_sql, ws, q)
        .await?
        .iter()
        .map(|r| {
            let micros: i64 = get(r, "bucket")?;
            let bucket_start = Timestamp::from_unix_micros(micros)
                .ok_or_else(|| corrupt("bucket out of range"))?;
            Ok(SeriesRow {
                bucket_start,
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
