//! Report reads whose SQL the engines share, written once over `Engine`. The journeys and the
//! deal aggregates read differently per engine (COPY on PostgreSQL, a memory-mapped pool on
//! SQLite) and stay in the adapters.

use closer_domain::WorkspaceId;
use closer_domain::reports::Breakdown;
use closer_store::{Period, StoreError, VisitorCount};

use crate::{Engine, Param};

const DAY_MICROS: i64 = 86_400_000_000;

/// New visitors in the period by first-touch group, from the daily counts the tracking writer
/// keeps. Whole days: a period's partial first and last days count whole.
pub async fn new_visitors(
    e: &impl Engine,
    ws: WorkspaceId,
    period: Period,
    by: &Breakdown,
) -> Result<Vec<VisitorCount>, StoreError> {
    let (group, joins) = match by {
        Breakdown::Channel => ("v.channel", ""),
        Breakdown::Source => ("nullif(v.source, '')", ""),
        Breakdown::Campaign => ("nullif(v.campaign, '')", ""),
        Breakdown::Site => ("s.domain", " left join sites s on s.id = v.site_id"),
        // Visitors have no owner, stage or properties: one group.
        _ => ("cast(null as text)", ""),
    };
    let from_day = period.from.unix_micros().div_euclid(DAY_MICROS);
    let to_day = (period.to.unix_micros() + DAY_MICROS - 1).div_euclid(DAY_MICROS);
    let sql = e.sql(
        &format!(
            "select {group} as grp, {visitors} as visitors from visitor_days v{joins} \
             where v.workspace_id = $1 and v.day >= $2 and v.day < $3 group by 1",
            visitors = e.dialect().sum_int("v.visitors"),
        ),
        [ws.0.into(), Param::Int(from_day), Param::Int(to_day)],
    );
    e.fetch(sql, |r| {
        Ok(VisitorCount {
            group: r.text("grp")?,
            visitors: u64::try_from(r.integer("visitors")?.unwrap_or(0)).unwrap_or(0),
        })
    })
    .await
}
