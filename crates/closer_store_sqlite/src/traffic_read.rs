//! Traffic reads on the read pool: sites, a contact's touches, the report's aggregates.

use closer_domain::traffic::{Channel, SiteDomain};
use closer_domain::{ContactId, WorkspaceId};
use closer_store::{
    BreakdownRow, PageRow, SeriesRow, SessionTotals, Site, StoreError, Touch, TrafficAggregates,
    TrafficQuery,
};
use rusqlite::types::Value;
use rusqlite::{Connection, Row};

use crate::error::rs_err;
use crate::read::all;
use crate::rows::{get, ts};

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

pub(crate) fn site(row: &Row<'_>) -> Result<Site, StoreError> {
    closer_store_sql::site(&crate::rows::Cols(row))
}

pub(crate) fn sites(conn: &Connection, ws: Option<WorkspaceId>) -> Result<Vec<Site>, StoreError> {
    all(
        conn,
        "select * from sites where ?1 is null or workspace_id = ?1 order by domain",
        [ws.map(|w| w.0)],
        site,
    )
}

pub(crate) fn touches(
    conn: &Connection,
    ws: WorkspaceId,
    contact: ContactId,
) -> Result<Vec<Touch>, StoreError> {
    all(
        conn,
        "select s.started_at, s.channel, s.source, s.utm_campaign, s.entry_page, t.domain from sessions s \
         join visitor_links l on l.workspace_id = s.workspace_id and l.visitor = s.visitor \
         join sites t on t.id = s.site_id \
         where l.workspace_id = ?1 and l.contact_id = ?2 order by s.started_at, s.id",
        [ws.0, contact.0],
        |r| {
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
        },
    )
}

/// Sessions of the queried sites that started in the range. `?1` workspace, `?2` site or
/// null, `?3`/`?4` the range in microseconds.
const SCOPE: &str = "site_id in (select id from sites where workspace_id = ?1 and (?2 is null or id = ?2)) \
     and started_at >= ?3 and started_at < ?4";

const TOTALS: &str = "count(distinct visitor) as visitors, count(*) as sessions, coalesce(sum(pageviews), 0) as pageviews, \
     coalesce(sum(case when pageviews <= 1 and interactions = 0 then 1 else 0 end), 0) as bounces, \
     coalesce(sum(last_at - started_at), 0) as duration";

fn totals(row: &Row<'_>) -> Result<SessionTotals, StoreError> {
    Ok(SessionTotals {
        visitors: get(row, "visitors")?,
        sessions: get(row, "sessions")?,
        pageviews: get(row, "pageviews")?,
        bounces: get(row, "bounces")?,
        duration_micros: get(row, "duration")?,
    })
}

/// Runs an aggregate over the query's scope: `?1` workspace, `?2` site or null, `?3`/`?4` the
/// range, `?5` the limit, each bound where the statement uses it.
fn fetch<T>(
    conn: &Connection,
    sql: &str,
    ws: WorkspaceId,
    q: &TrafficQuery,
    mut map: impl FnMut(&Row<'_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let values = [
        Value::Blob(ws.0.as_bytes().to_vec()),
        q.site
            .map_or(Value::Null, |s| Value::Blob(s.0.as_bytes().to_vec())),
        Value::Integer(q.from.unix_micros()),
        Value::Integer(q.to.unix_micros()),
        Value::Integer(i64::from(q.limit)),
    ];
    let mut stmt = conn.prepare_cached(sql).map_err(rs_err)?;
    for (i, v) in values.iter().enumerate().take(stmt.parameter_count()) {
        stmt.raw_bind_parameter(i + 1, v).map_err(rs_err)?;
    }
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(rs_err)? {
        out.push(map(row)?);
    }
    Ok(out)
}

fn breakdown(
    conn: &Connection,
    column: &str,
    ws: WorkspaceId,
    q: &TrafficQuery,
) -> Result<Vec<BreakdownRow>, StoreError> {
    let sql = format!(
        "select {column} as key, {TOTALS} from sessions where {SCOPE} group by {column} \
         order by visitors desc, sessions desc, key limit ?5"
    );
    fetch(conn, &sql, ws, q, |r| {
        Ok(BreakdownRow {
            key: get(r, "key")?,
            totals: totals(r)?,
        })
    })
}

fn page(r: &Row<'_>) -> Result<PageRow, StoreError> {
    Ok(PageRow {
        path: get(r, "path")?,
        pageviews: get(r, "pageviews")?,
        visitors: get(r, "visitors")?,
    })
}

pub(crate) fn aggregates(
    conn: &Connection,
    ws: WorkspaceId,
    q: &TrafficQuery,
) -> Result<TrafficAggregates, StoreError> {
    let total_rows = fetch(
        conn,
        &format!("select {TOTALS} from sessions where {SCOPE}"),
        ws,
        q,
        totals,
    )?;
    let top_pages = fetch(
        conn,
        "select path, count(*) as pageviews, count(distinct visitor) as visitors from traffic_events \
         where site_id in (select id from sites where workspace_id = ?1 and (?2 is null or id = ?2)) \
         and occurred_at >= ?3 and occurred_at < ?4 and name = 'pageview' \
         group by path order by pageviews desc, path limit ?5",
        ws,
        q,
        page,
    )?;
    let entry = fetch(
        conn,
        &format!(
            "select entry_page as path, count(*) as pageviews, count(distinct visitor) as visitors from sessions \
             where {SCOPE} group by entry_page order by pageviews desc, path limit ?5"
        ),
        ws,
        q,
        page,
    )?;
    let bucket = q.bucket.micros();
    let series_sql = format!(
        "select (started_at / {bucket}) * {bucket} as bucket, {TOTALS} from sessions where {SCOPE} \
         group by 1 order by 1"
    );
    let series = fetch(conn, &series_sql, ws, q, |r| {
        Ok(SeriesRow {
            bucket_start: ts(get(r, "bucket")?)?,
            totals: totals(r)?,
        })
    })?;
    Ok(TrafficAggregates {
        totals: total_rows.into_iter().next().unwrap_or_default(),
        pages: top_pages,
        entry_pages: entry,
        channels: breakdown(conn, "channel", ws, &q.every_channel())?,
        sources: breakdown(conn, "source", ws, q)?,
        campaigns: breakdown(conn, "utm_campaign", ws, q)?,
        series,
    })
}
