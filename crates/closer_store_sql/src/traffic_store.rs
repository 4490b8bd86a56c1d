//! Sites, a contact's touches and the traffic report's aggregates, written once over
//! `Engine`. Recording hits and linking visitors batch and lock differently per engine and
//! stay in the adapters.

use closer_domain::traffic::{Channel, SiteDomain};
use closer_domain::{ContactId, Timestamp, WorkspaceId};
use closer_store::{
    BreakdownRow, PageRow, SeriesRow, SessionTotals, Site, StoreError, Touch, TrafficAggregates,
    TrafficQuery,
};

use crate::{Columns, Engine, Param, Sql, required};

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn text(r: &dyn Columns, column: &str) -> Result<String, StoreError> {
    required(column, r.text(column)?)
}

fn count(r: &dyn Columns, column: &str) -> Result<i64, StoreError> {
    Ok(r.integer(column)?.unwrap_or(0))
}

pub async fn sites(e: &impl Engine, ws: Option<WorkspaceId>) -> Result<Vec<Site>, StoreError> {
    let sql = e.sql(
        "select * from sites where $1 is null or workspace_id = $1 order by domain",
        [ws.map(|w| w.0).into()],
    );
    e.fetch(sql, |r| crate::site(r)).await
}

fn touch(r: &dyn Columns) -> Result<Touch, StoreError> {
    let channel = text(r, "channel")?;
    Ok(Touch {
        started_at: required("started_at", r.timestamp("started_at")?)?,
        channel: Channel::parse(&channel).ok_or_else(|| corrupt(format!("channel {channel}")))?,
        source: r.text("source")?,
        campaign: r.text("utm_campaign")?,
        entry_page: text(r, "entry_page")?,
        site: SiteDomain::parse(&text(r, "domain")?).map_err(corrupt)?,
    })
}

/// The sessions of the contact's linked visitors, oldest first.
pub async fn touches(
    e: &impl Engine,
    ws: WorkspaceId,
    contact: ContactId,
) -> Result<Vec<Touch>, StoreError> {
    let sql = e.sql(
        "select s.started_at, s.channel, s.source, s.utm_campaign, s.entry_page, t.domain \
         from sessions s \
         join visitor_links l on l.workspace_id = s.workspace_id and l.visitor = s.visitor \
         join sites t on t.id = s.site_id \
         where l.workspace_id = $1 and l.contact_id = $2 order by s.started_at, s.id",
        [ws.0.into(), contact.0.into()],
    );
    e.fetch(sql, touch).await
}

fn totals(r: &dyn Columns) -> Result<SessionTotals, StoreError> {
    Ok(SessionTotals {
        visitors: count(r, "visitors")?,
        sessions: count(r, "sessions")?,
        pageviews: count(r, "pageviews")?,
        bounces: count(r, "bounces")?,
        duration_micros: count(r, "duration")?,
    })
}

fn page(r: &dyn Columns) -> Result<PageRow, StoreError> {
    Ok(PageRow {
        path: text(r, "path")?,
        pageviews: count(r, "pageviews")?,
        visitors: count(r, "visitors")?,
    })
}

/// Whether a statement over the scope ends with `limit $5`.
#[derive(Clone, Copy, PartialEq)]
enum Limit {
    None,
    Rows,
}

/// A statement over the query's scope: `$1` the workspace, `$2` the site or NULL, `$3`/`$4`
/// the range, and `$5` the row limit when `limit` says the statement has one.
fn scoped(e: &impl Engine, text: &str, limit: Limit, ws: WorkspaceId, q: &TrafficQuery) -> Sql {
    let mut params: Vec<Param> = vec![
        ws.0.into(),
        q.site.map(|s| s.0).into(),
        q.from.into(),
        q.to.into(),
    ];
    if limit == Limit::Rows {
        params.push(i64::from(q.limit).into());
    }
    e.sql(text, params)
}

/// Sessions of the queried sites that started in the range.
const SCOPE: &str = "site_id in (select id from sites where workspace_id = $1 and ($2 is null or id = $2)) \
     and started_at >= $3 and started_at < $4";

fn session_totals(e: &impl Engine) -> String {
    let d = e.dialect();
    format!(
        "count(distinct visitor) as visitors, count(*) as sessions, \
         coalesce({}, 0) as pageviews, \
         coalesce(sum(case when pageviews <= 1 and interactions = 0 then 1 else 0 end), 0) as bounces, \
         coalesce({}, 0) as duration",
        d.sum_int("pageviews"),
        d.sum_int(&d.micros_between("started_at", "last_at")),
    )
}

async fn breakdown(
    e: &impl Engine,
    column: &str,
    ws: WorkspaceId,
    q: &TrafficQuery,
) -> Result<Vec<BreakdownRow>, StoreError> {
    let sql = format!(
        "select {column} as key, {} from sessions where {SCOPE} group by {column} \
         order by visitors desc, sessions desc, key limit $5",
        session_totals(e)
    );
    e.fetch(scoped(e, &sql, Limit::Rows, ws, q), |r| {
        Ok(BreakdownRow {
            key: r.text("key")?,
            totals: totals(r)?,
        })
    })
    .await
}

pub async fn aggregates(
    e: &impl Engine,
    ws: WorkspaceId,
    q: &TrafficQuery,
) -> Result<TrafficAggregates, StoreError> {
    let all = format!("select {} from sessions where {SCOPE}", session_totals(e));
    let total = e.fetch(scoped(e, &all, Limit::None, ws, q), totals).await?;
    let top_pages = "select path, count(*) as pageviews, count(distinct visitor) as visitors \
         from traffic_events \
         where site_id in (select id from sites where workspace_id = $1 and ($2 is null or id = $2)) \
         and occurred_at >= $3 and occurred_at < $4 and name = 'pageview' \
         group by path order by pageviews desc, path limit $5";
    let pages = e
        .fetch(scoped(e, top_pages, Limit::Rows, ws, q), page)
        .await?;
    let entry = format!(
        "select entry_page as path, count(*) as pageviews, count(distinct visitor) as visitors \
         from sessions where {SCOPE} group by entry_page order by pageviews desc, path limit $5"
    );
    let entry_pages = e.fetch(scoped(e, &entry, Limit::Rows, ws, q), page).await?;
    let series = format!(
        "select {} as bucket, {} from sessions where {SCOPE} group by 1 order by 1",
        e.dialect().time_bucket("started_at", q.bucket.micros()),
        session_totals(e)
    );
    let series = e
        .fetch(scoped(e, &series, Limit::None, ws, q), |r| {
            let micros = required("bucket", r.integer("bucket")?)?;
            Ok(SeriesRow {
                bucket_start: Timestamp::from_unix_micros(micros)
                    .ok_or_else(|| corrupt("bucket out of range"))?,
                totals: totals(r)?,
            })
        })
        .await?;
    Ok(TrafficAggregates {
        totals: total.into_iter().next().unwrap_or_default(),
        pages,
        entry_pages,
        channels: breakdown(e, "channel", ws, &q.every_channel()).await?,
        sources: breakdown(e, "source", ws, q).await?,
        campaigns: breakdown(e, "utm_campaign", ws, q).await?,
        series,
    })
}
