//! Report reads whose SQL the engines share, written once over `Engine`. The journeys and the
//! deal aggregates read differently per engine (COPY on PostgreSQL, a memory-mapped pool on
//! SQLite) and stay in the adapters.

use closer_domain::reports::Breakdown;
use closer_domain::{ContactId, Timestamp, WorkspaceId};
use closer_store::{Period, StoreError, VisitorCount};

use crate::{Engine, Param, Sql, Step};

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

/// Rows a statement of `put_contact_values` inserts.
const VALUES_PER_STATEMENT: usize = 500;

/// The workspace's customer values replaced in one transaction: the old ones deleted, the new
/// ones inserted in statements of a few hundred rows, each only where its contact still
/// exists. Two processes refitting at once both succeed; the later commit's values stay.
pub async fn put_contact_values(
    e: &impl Engine,
    ws: WorkspaceId,
    currency: &str,
    values: &[(ContactId, i64)],
    at: Timestamp,
) -> Result<(), StoreError> {
    let mut steps = vec![Step::any(e.sql(
        "delete from contact_values where workspace_id = $1",
        [ws.0.into()],
    ))];
    for chunk in values.chunks(VALUES_PER_STATEMENT) {
        let mut sql = Sql::new(
            e.dialect(),
            "insert into contact_values (contact_id, workspace_id, value, currency, computed_at) \
             select v.column1, ",
        );
        sql.bind(Param::Uuid(ws.0)).push(", v.column2, ");
        sql.bind(Param::Text(currency.to_owned())).push(", ");
        sql.bind(Param::Time(at)).push(" from (values ");
        for (i, (contact, value)) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(Param::Uuid(contact.0)).push(", ");
            sql.bind(Param::Int(*value)).push(")");
        }
        sql.push(
            ") as v where exists (select 1 from contacts c where c.id = v.column1) \
             on conflict (contact_id) do update set workspace_id = excluded.workspace_id, \
             value = excluded.value, currency = excluded.currency, \
             computed_at = excluded.computed_at",
        );
        steps.push(Step::any(sql));
    }
    e.transaction(steps).await
}

/// The stored values of these contacts.
pub async fn contact_values(
    e: &impl Engine,
    ws: WorkspaceId,
    ids: &[ContactId],
) -> Result<Vec<(ContactId, i64)>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(
        e.dialect(),
        "select contact_id, value from contact_values where workspace_id = ",
    );
    let ids: Vec<uuid::Uuid> = ids.iter().map(|c| c.0).collect();
    sql.bind(Param::Uuid(ws.0)).push(" and contact_id");
    sql.bind_ids(&ids);
    e.fetch(sql, |r| {
        Ok((
            ContactId(crate::required("contact_id", r.uuid("contact_id")?)?),
            crate::required("value", r.integer("value")?)?,
        ))
    })
    .await
}
