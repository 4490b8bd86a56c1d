//! The journey and deal feeds on SQLite (`closer_store::JourneyFeedStore`): journeys or deals
//! read whole, or those whose change number (`journey_changes.seq`, `deal_changes.seq`,
//! migrations 0011 and 0012) is above the mark.

use closer_domain::{ContactId, WorkspaceId};
use closer_store::StoreError;
use closer_store::{
    DealFeed, FeedDealRow, FeedJourney, FeedNumbers, FeedRow, FeedStay, GroupNames, JourneyFeed,
    JourneyFeedStore,
};
use rusqlite::{Connection, Row};
use uuid::Uuid;

use crate::SqliteStore;
use crate::error::rs_err;
use crate::reports::text;

/// The journey's columns, after the contact id; a removed journey reads as nulls.
const COLUMNS: &str = "j.entered_at, j.first_visit_at, j.lead_at, j.prospect_at, j.opportunity_at, \
     j.customer_at, j.repeat_at, j.first_touch_at, j.channel, j.source, j.campaign, j.site_id, j.owner_id, j.lead_path";

fn uuid(r: &Row<'_>, i: usize) -> Result<Option<Uuid>, StoreError> {
    r.get::<_, Option<Uuid>>(i).map_err(rs_err)
}

fn row(r: &Row<'_>, numbers: &mut FeedNumbers) -> Result<FeedRow, StoreError> {
    let contact = ContactId(r.get(0).map_err(rs_err)?);
    let Some(entered_at) = r.get::<_, Option<i64>>(1).map_err(rs_err)? else {
        return Ok(FeedRow {
            contact,
            journey: None,
        });
    };
    let mut reached = [None; 6];
    for (i, slot) in reached.iter_mut().enumerate() {
        *slot = r.get(i + 2).map_err(rs_err)?;
    }
    Ok(FeedRow {
        contact,
        journey: Some(FeedJourney {
            entered_at,
            reached,
            first_touch_at: r.get(8).map_err(rs_err)?,
            channel: numbers.name(text(r, 9)?),
            source: numbers.name(text(r, 10)?),
            campaign: numbers.name(text(r, 11)?),
            site: numbers.id(uuid(r, 12)?),
            owner: numbers.id(uuid(r, 13)?),
            lead_path: numbers.name(text(r, 14)?),
        }),
    })
}

/// Runs in one read transaction (`read::Reader`): the mark and the rows see one snapshot,
/// and writers commit one at a time, so nothing numbered at or below the mark can appear
/// later.
fn feed(conn: &Connection, ws: WorkspaceId, since: Option<i64>) -> Result<JourneyFeed, StoreError> {
    let mark: i64 = conn
        .prepare_cached("select coalesce(max(seq), 0) from journey_changes")
        .and_then(|mut s| s.query_row([], |r| r.get(0)))
        .map_err(rs_err)?;
    let sql = match since {
        None => format!(
            "select j.contact_id, {COLUMNS} from journeys j where j.workspace_id = ?1 and ?2 is null"
        ),
        Some(_) => format!(
            "select c.contact_id, {COLUMNS} from journey_changes c \
             left join journeys j on j.contact_id = c.contact_id \
             where c.seq > ?2 and c.workspace_id = ?1"
        ),
    };
    let mut numbers = FeedNumbers::default();
    let mut rows = Vec::new();
    let mut stmt = conn.prepare_cached(&sql).map_err(rs_err)?;
    let mut rs = stmt.query(rusqlite::params![ws.0, since]).map_err(rs_err)?;
    while let Some(r) = rs.next().map_err(rs_err)? {
        rows.push(row(r, &mut numbers)?);
    }
    Ok(numbers.into_feed(mark, rows))
}

fn deal_row(r: &Row<'_>, numbers: &mut FeedNumbers) -> Result<FeedDealRow, StoreError> {
    let id: Uuid = r.get(0).map_err(rs_err)?;
    let Some(contact) = uuid(r, 1)? else {
        return Ok(FeedDealRow {
            id,
            deal: None,
            stay: None,
        });
    };
    let owner = numbers.id(uuid(r, 2)?);
    let times: (Option<i64>, Option<i64>) = (r.get(5).map_err(rs_err)?, r.get(6).map_err(rs_err)?);
    let stay = match times {
        (Some(entered_at), Some(left_at)) => Some(FeedStay {
            stage: numbers.name(text(r, 3)?),
            stage_id: numbers.id(uuid(r, 4)?),
            entered_at,
            left_at,
        }),
        _ => None,
    };
    Ok(FeedDealRow {
        id,
        deal: Some((ContactId(contact), owner)),
        stay,
    })
}

/// As `feed`, for deals and their finished stays.
fn deal_feed(
    conn: &Connection,
    ws: WorkspaceId,
    since: Option<i64>,
) -> Result<DealFeed, StoreError> {
    let mark: i64 = conn
        .prepare_cached("select coalesce(max(seq), 0) from deal_changes")
        .and_then(|mut s| s.query_row([], |r| r.get(0)))
        .map_err(rs_err)?;
    let sql = closer_store_sql::deal_feed_sql(
        closer_store_sql::Dialect::Sqlite,
        since.map(|_| "c.seq > $2"),
    );
    let mut numbers = FeedNumbers::default();
    let mut rows = Vec::new();
    let mut stmt = conn.prepare_cached(&sql).map_err(rs_err)?;
    let mut rs = match since {
        None => stmt.query(rusqlite::params![ws.0]),
        Some(since) => stmt.query(rusqlite::params![ws.0, since]),
    }
    .map_err(rs_err)?;
    while let Some(r) = rs.next().map_err(rs_err)? {
        rows.push(deal_row(r, &mut numbers)?);
    }
    Ok(numbers.into_deal_feed(mark, rows))
}

/// `(id, value)` rows of one of the workspace's small tables.
fn pairs<T: rusqlite::types::FromSql>(
    conn: &Connection,
    sql: &str,
    ws: WorkspaceId,
) -> Result<Vec<(Uuid, T)>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(rs_err)?;
    let rows = stmt
        .query_map([ws.0], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(rs_err)?;
    rows.collect::<Result<_, _>>().map_err(rs_err)
}

#[async_trait::async_trait]
impl JourneyFeedStore for SqliteStore {
    async fn journey_feed(
        &self,
        ws: WorkspaceId,
        since: Option<i64>,
    ) -> Result<JourneyFeed, StoreError> {
        self.report_read(move |c| feed(c, ws, since)).await
    }

    async fn deal_feed(&self, ws: WorkspaceId, since: Option<i64>) -> Result<DealFeed, StoreError> {
        self.report_read(move |c| deal_feed(c, ws, since)).await
    }

    async fn group_names(&self, ws: WorkspaceId) -> Result<GroupNames, StoreError> {
        self.report_read(move |c| {
            Ok(GroupNames {
                sites: pairs(
                    c,
                    "select id, domain from sites where workspace_id = ?1",
                    ws,
                )?,
                owners: pairs(c, "select id, email from users where workspace_id = ?1", ws)?,
                stages: pairs(
                    c,
                    "select id, position from pipeline_stages where workspace_id = ?1",
                    ws,
                )?,
            })
        })
        .await
    }
}
