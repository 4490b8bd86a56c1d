//! The report statements on SQLite, one function each over a read connection and the
//! query's `Binds` (`reports.rs`), their rows grouped by the breakdown in SQL.

use foldhash::HashMap;

use closer_domain::ContactId;
use closer_domain::reports::Breakdown;
use closer_store::{
    ConversionKind, ConversionPath, GroupIndex, JourneyRow, Journeys, Label, Labels, LeadResponse,
    LostDeals, OpenDeals, OrderRow, PathTally, REMOVED_STAGE_POSITION, RepeatTotal, StageStay,
    StoreError, WonDeal, WonTotal,
};
use rusqlite::Connection;
use uuid::Uuid;

use crate::error::rs_err;
use crate::rows::ts;

use crate::reports::{Binds, Names, count, group, rows, text};

pub(crate) fn journeys(
    conn: &Connection,
    b: &Binds<'_>,
    by: &Breakdown,
) -> Result<Journeys, StoreError> {
    let (g, joins) = group(by, "j.contact_id", None, Some("j"));
    let sql = format!(
        "select {g}, j.first_visit_at, j.lead_at, j.prospect_at, j.opportunity_at, j.customer_at, j.repeat_at \
         from journeys j{joins} where j.workspace_id = :ws and j.entered_at < :to \
         and (j.entered_at >= :from or +j.lead_at >= :from or j.prospect_at >= :from \
              or j.opportunity_at >= :from or j.customer_at >= :from or j.repeat_at >= :from)"
    );
    let names = Names::load(conn, b, by)?;
    let mut groups = GroupIndex::default();
    let rows = rows(conn, &sql, b, |r| {
        let mut reached = [None; 6];
        for (i, slot) in reached.iter_mut().enumerate() {
            *slot = r.get::<_, Option<i64>>(i + 1).map_err(rs_err)?;
        }
        Ok(JourneyRow {
            group: groups.of(names.get(r, 0)?),
            reached,
        })
    })?;
    Ok(groups.into_journeys(rows))
}

pub(crate) fn won_deals(
    conn: &Connection,
    b: &Binds<'_>,
    by: &Breakdown,
) -> Result<Vec<WonDeal>, StoreError> {
    let (g, joins) = group(by, "d.contact_id", Some("d.owner_id"), None);
    let sql = format!(
        "select {g}, d.currency, d.amount, d.created_at, d.closed_at, coalesce(d.won_touches, 0) \
         from deals d{joins} where d.workspace_id = :ws and d.closed_at >= :from and d.closed_at < :to \
         and d.status = 'won'"
    );
    let names = Names::load(conn, b, by)?;
    let mut labels = Labels::default();
    rows(conn, &sql, b, |r| {
        Ok(WonDeal {
            group: labels.of_opt(names.get(r, 0)?),
            currency: labels.of(text(r, 1)?.unwrap_or_default()),
            amount_units: r.get(2).map_err(rs_err)?,
            created_at: ts(r.get(3).map_err(rs_err)?)?,
            closed_at: ts(r.get(4).map_err(rs_err)?)?,
            touches: count(r.get(5).map_err(rs_err)?),
        })
    })
}

pub(crate) fn lost_deals(
    conn: &Connection,
    b: &Binds<'_>,
    by: &Breakdown,
) -> Result<Vec<LostDeals>, StoreError> {
    let (g, joins) = group(by, "d.contact_id", Some("d.owner_id"), None);
    let sql = format!(
        "select {g}, d.loss_reason, count(*) from deals d{joins} \
         where d.workspace_id = :ws and d.closed_at >= :from and d.closed_at < :to \
         and d.status = 'lost' group by 1, 2"
    );
    let names = Names::load(conn, b, by)?;
    rows(conn, &sql, b, |r| {
        Ok(LostDeals {
            group: names.owned(r, 0)?,
            loss_reason: r.get(1).map_err(rs_err)?,
            deals: count(r.get(2).map_err(rs_err)?),
        })
    })
}

pub(crate) fn open_deals(
    conn: &Connection,
    b: &Binds<'_>,
    by: &Breakdown,
) -> Result<Vec<OpenDeals>, StoreError> {
    let (g, joins) = group(by, "d.contact_id", Some("d.owner_id"), None);
    let sql = format!(
        "select {g}, ps.forecast, ps.probability, d.currency, count(*), sum(d.amount) \
         from deals d join pipeline_stages ps on ps.id = d.stage_id{joins} \
         where d.workspace_id = :ws and d.status = 'open' group by 1, 2, 3, 4"
    );
    let names = Names::load(conn, b, by)?;
    rows(conn, &sql, b, |r| {
        Ok(OpenDeals {
            group: names.owned(r, 0)?,
            forecast: r.get(1).map_err(rs_err)?,
            probability: r.get(2).map_err(rs_err)?,
            currency: r.get(3).map_err(rs_err)?,
            deals: count(r.get(4).map_err(rs_err)?),
            amount_units: r.get(5).map_err(rs_err)?,
        })
    })
}

pub(crate) fn stage_stays(
    conn: &Connection,
    b: &Binds<'_>,
    by: &Breakdown,
) -> Result<Vec<StageStay>, StoreError> {
    // Stays are read from their covering index alone; each would otherwise look up its stage
    // and, for a breakdown, its deal: two B-tree seeks apiece, over half a million stays a
    // year in a large workspace. Stages and deals' groups are read once and matched here.
    let positions: HashMap<Uuid, i64> = rows(
        conn,
        "select id, position from pipeline_stages where workspace_id = :ws",
        b,
        |r| Ok((r.get(0).map_err(rs_err)?, r.get(1).map_err(rs_err)?)),
    )?
    .into_iter()
    .collect();
    let mut groups = GroupIndex::default();
    let deal_groups: HashMap<Uuid, u32> = if *by == Breakdown::Total {
        HashMap::default()
    } else {
        let (g, joins) = group(by, "d.contact_id", Some("d.owner_id"), None);
        let sql = format!("select d.id, {g} from deals d{joins} where d.workspace_id = :ws");
        let names = Names::load(conn, b, by)?;
        rows(conn, &sql, b, |r| {
            Ok((r.get(0).map_err(rs_err)?, groups.of(names.get(r, 1)?)))
        })?
        .into_iter()
        .collect()
    };
    let names: Vec<Option<Label>> = groups
        .into_names()
        .iter()
        .map(|n| n.as_deref().map(Label::from))
        .collect();
    let mut labels = Labels::default();
    rows(
        conn,
        "select ds.deal_id, ds.stage_id, ds.stage_name, ds.left_at - ds.entered_at \
         from deal_stages ds where ds.workspace_id = :ws and ds.left_at >= :from and ds.left_at < :to",
        b,
        |r| {
            let group = if *by == Breakdown::Total {
                None
            } else {
                let deal: Uuid = r.get(0).map_err(rs_err)?;
                deal_groups
                    .get(&deal)
                    .and_then(|i| names.get(*i as usize))
                    .cloned()
                    .flatten()
            };
            let stage: Uuid = r.get(1).map_err(rs_err)?;
            Ok(StageStay {
                group,
                stage: labels.of(text(r, 2)?.unwrap_or_default()),
                // Stages removed since sort last.
                position: positions
                    .get(&stage)
                    .copied()
                    .unwrap_or(REMOVED_STAGE_POSITION),
                seconds: r.get::<_, i64>(3).map_err(rs_err)? / 1_000_000,
            })
        },
    )
}

pub(crate) fn lead_responses(
    conn: &Connection,
    b: &Binds<'_>,
    by: &Breakdown,
) -> Result<Vec<LeadResponse>, StoreError> {
    let (g, joins) = group(by, "j.contact_id", None, Some("j"));
    // `journeys_lead_idx` covers the whole business, owners and channels. Other breakdowns
    // need a column it lacks: through it, each lead would cost a second seek into the table,
    // so they scan the table instead (`+` keeps SQLite off the index).
    let covered = matches!(by, Breakdown::Total | Breakdown::Owner | Breakdown::Channel);
    let lead_at = if covered { "j.lead_at" } else { "+j.lead_at" };
    let sql = format!(
        "select {g}, j.first_touch_at - j.lead_at from journeys j{joins} \
         where j.workspace_id = :ws and {lead_at} >= :from and {lead_at} < :to \
         and j.first_touch_at is not null"
    );
    let names = Names::load(conn, b, by)?;
    let mut labels = Labels::default();
    rows(conn, &sql, b, |r| {
        Ok(LeadResponse {
            group: labels.of_opt(names.get(r, 0)?),
            seconds: r.get::<_, i64>(1).map_err(rs_err)?.max(0) / 1_000_000,
        })
    })
}

pub(crate) fn orders_until(
    conn: &Connection,
    b: &Binds<'_>,
    by: &Breakdown,
) -> Result<Vec<OrderRow>, StoreError> {
    let (g, joins) = group(by, "o.contact_id", None, None);
    let sql = format!(
        "select o.contact_id, {g}, o.placed_at, o.currency, o.total from orders o{joins} \
         where o.workspace_id = :ws and o.placed_at < :to order by o.placed_at, o.id"
    );
    let names = Names::load(conn, b, by)?;
    rows(conn, &sql, b, |r| {
        Ok(OrderRow {
            contact: ContactId(r.get(0).map_err(rs_err)?),
            group: names.owned(r, 1)?,
            placed_at: ts(r.get(2).map_err(rs_err)?)?,
            currency: r.get(3).map_err(rs_err)?,
            total_units: r.get(4).map_err(rs_err)?,
        })
    })
}

pub(crate) fn won_totals(conn: &Connection, b: &Binds<'_>) -> Result<Vec<WonTotal>, StoreError> {
    rows(
        conn,
        "select currency, count(*), sum(amount) from deals where workspace_id = :ws \
         and status = 'won' and closed_at >= :from and closed_at < :to \
         group by currency order by currency",
        b,
        |r| {
            Ok(WonTotal {
                currency: r.get(0).map_err(rs_err)?,
                deals: u64::try_from(r.get::<_, i64>(1).map_err(rs_err)?).unwrap_or(0),
                amount_units: i128::from(r.get::<_, i64>(2).map_err(rs_err)?),
            })
        },
    )
}

pub(crate) fn repeat_total(conn: &Connection, b: &Binds<'_>) -> Result<RepeatTotal, StoreError> {
    let totals = rows(
        conn,
        "select count(distinct contact_id), coalesce(sum(total), 0) from ( \
             select contact_id, total, \
                    row_number() over (partition by contact_id order by placed_at, id) as n \
             from orders where workspace_id = :ws and placed_at < :to and currency = :currency) \
         where n > 1",
        b,
        |r| {
            Ok(RepeatTotal {
                customers: u64::try_from(r.get::<_, i64>(0).map_err(rs_err)?).unwrap_or(0),
                after_first_units: i128::from(r.get::<_, i64>(1).map_err(rs_err)?),
            })
        },
    )?;
    Ok(totals.into_iter().next().unwrap_or_default())
}

pub(crate) fn conversion_paths(
    conn: &Connection,
    b: &Binds<'_>,
    kinds: &[ConversionKind],
) -> Result<Vec<ConversionPath>, StoreError> {
    // Every path was stored with its conversion (migrations 0006 and 0009). Lead paths scan
    // the journeys table: `+` keeps SQLite off `journeys_lead_idx`, which lacks the path.
    let queries = [
        (
            ConversionKind::Lead,
            "select j.lead_path, null, null from journeys j where j.workspace_id = :ws \
             and +j.lead_at >= :from and +j.lead_at < :to",
        ),
        (
            ConversionKind::Deal,
            "select d.created_path, null, null from deals d where d.workspace_id = :ws \
             and d.created_at >= :from and d.created_at < :to",
        ),
        (
            ConversionKind::Won,
            "select d.won_path, d.currency, d.amount from deals d where d.workspace_id = :ws \
             and d.status = 'won' and d.closed_at >= :from and d.closed_at < :to",
        ),
    ];
    let mut tally = PathTally::default();
    for (kind, sql) in queries.into_iter().filter(|(k, _)| kinds.contains(k)) {
        let mut stmt = conn.prepare_cached(sql).map_err(rs_err)?;
        b.bind(&mut stmt)?;
        let mut rs = stmt.raw_query();
        while let Some(r) = rs.next().map_err(rs_err)? {
            let str_at = |i: usize| {
                r.get_ref(i)
                    .map_err(rs_err)?
                    .as_str_or_null()
                    .map_err(|e| StoreError::Corrupt(format!("a conversion path: {e}")))
            };
            let path = str_at(0)?;
            let value = match str_at(1)? {
                Some(currency) => Some((currency, r.get::<_, i64>(2).map_err(rs_err)?)),
                None => None,
            };
            tally.add(kind, path, value);
        }
    }
    Ok(tally.into_paths())
}
