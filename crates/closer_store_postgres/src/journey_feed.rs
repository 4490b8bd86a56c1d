//! The journey feed on PostgreSQL (`closer_store::JourneyFeedStore`): journeys read whole, or
//! those changed by transactions from the mark on (`journey_changes.xid`, migration 0011).
//! The mark is the oldest transaction still running when the read begins: anything the read
//! cannot see was written by that one or a newer one, so the next read, from the mark, sees
//! it. Both reads are binary copies: the first is a million rows in a large workspace.

use closer_domain::{ContactId, Timestamp, WorkspaceId};
use closer_store::{
    DealFeed, FeedDealRow, FeedJourney, FeedNumbers, FeedRow, FeedStay, GroupNames, JourneyFeed,
    JourneyFeedStore, Period, StoreError,
};
use uuid::Uuid;

use crate::PostgresStore;
use crate::copy_read::{self, copy_rows};
use crate::error::db_err;

/// The journey's columns, after the contact id; a removed journey reads as nulls.
const COLUMNS: &str = "j.entered_at, j.first_visit_at, j.lead_at, j.prospect_at, j.opportunity_at, \
     j.customer_at, j.repeat_at, j.first_touch_at, j.channel, j.source, j.campaign, j.site_id, j.owner_id, j.lead_path";

fn row(f: &[Option<&[u8]>], numbers: &mut FeedNumbers) -> Result<FeedRow, StoreError> {
    let [
        contact,
        entered,
        visit,
        lead,
        prospect,
        opportunity,
        customer,
        repeat,
        first_touch,
        channel,
        source,
        campaign,
        site,
        owner,
        lead_path,
    ] = f
    else {
        return Err(StoreError::Corrupt(
            "a journey feed row of the wrong width".into(),
        ));
    };
    let contact = ContactId(
        copy_read::uuid(*contact)?
            .ok_or_else(|| StoreError::Corrupt("a journey change without its contact".into()))?,
    );
    let Some(entered_at) = copy_read::micros(*entered)? else {
        return Ok(FeedRow {
            contact,
            journey: None,
        });
    };
    let mut reached = [None; 6];
    for (slot, field) in
        reached
            .iter_mut()
            .zip([visit, lead, prospect, opportunity, customer, repeat])
    {
        *slot = copy_read::micros(*field)?;
    }
    Ok(FeedRow {
        contact,
        journey: Some(FeedJourney {
            entered_at,
            reached,
            first_touch_at: copy_read::micros(*first_touch)?,
            channel: numbers.name(copy_read::text(*channel)?),
            source: numbers.name(copy_read::text(*source)?),
            campaign: numbers.name(copy_read::text(*campaign)?),
            site: numbers.id(copy_read::uuid(*site)?),
            owner: numbers.id(copy_read::uuid(*owner)?),
            lead_path: numbers.name(copy_read::text(*lead_path)?),
        }),
    })
}

fn deal_row(f: &[Option<&[u8]>], numbers: &mut FeedNumbers) -> Result<FeedDealRow, StoreError> {
    let [id, contact, owner, stage, stage_id, entered, left] = f else {
        return Err(StoreError::Corrupt(
            "a deal feed row of the wrong width".into(),
        ));
    };
    let id = copy_read::uuid(*id)?
        .ok_or_else(|| StoreError::Corrupt("a deal change without its deal".into()))?;
    let Some(contact) = copy_read::uuid(*contact)? else {
        return Ok(FeedDealRow {
            id,
            deal: None,
            stay: None,
        });
    };
    let owner = numbers.id(copy_read::uuid(*owner)?);
    let stay = match (copy_read::micros(*entered)?, copy_read::micros(*left)?) {
        (Some(entered_at), Some(left_at)) => Some(FeedStay {
            stage: numbers.name(copy_read::text(*stage)?),
            stage_id: numbers.id(copy_read::uuid(*stage_id)?),
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

impl PostgresStore {
    /// `(id, value)` rows of one of the workspace's small tables.
    async fn pairs<T>(
        &self,
        sql: &'static str,
        ws: WorkspaceId,
    ) -> Result<Vec<(Uuid, T)>, StoreError>
    where
        T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + Unpin,
    {
        sqlx::query_as(sql)
            .bind(ws.0)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)
    }

    /// The oldest transaction still running: where the next feed read starts.
    async fn feed_mark(&self) -> Result<i64, StoreError> {
        let (mark,): (String,) =
            sqlx::query_as("select pg_snapshot_xmin(pg_current_snapshot())::text")
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
        mark.parse()
            .map_err(|_| StoreError::Corrupt(format!("a transaction id {mark:?}")))
    }
}

#[async_trait::async_trait]
impl JourneyFeedStore for PostgresStore {
    async fn deal_feed(&self, ws: WorkspaceId, since: Option<i64>) -> Result<DealFeed, StoreError> {
        // Taken before the read, as for journeys.
        let mark = self.feed_mark().await?;
        let changed = since.map(|since| format!("c.xid >= '{since}'::xid8"));
        let sql = closer_store_sql::deal_feed_sql(
            closer_store_sql::Dialect::Postgres,
            changed.as_deref(),
        );
        let mut numbers = FeedNumbers::default();
        let now = Timestamp::now();
        let period = Period { from: now, to: now };
        let rows = copy_rows(&self.pool, &sql, ws, period, None, |f| {
            deal_row(f, &mut numbers)
        })
        .await?;
        Ok(numbers.into_deal_feed(mark, rows))
    }

    async fn journey_feed(
        &self,
        ws: WorkspaceId,
        since: Option<i64>,
    ) -> Result<JourneyFeed, StoreError> {
        // Taken before the read: conservative, a change committed in between comes twice.
        let mark = self.feed_mark().await?;
        let sql = match since {
            None => {
                format!("select j.contact_id, {COLUMNS} from journeys j where j.workspace_id = $1")
            }
            // An integer, formatted: the copy's statement takes no parameters.
            Some(since) => format!(
                "select c.contact_id, {COLUMNS} from journey_changes c \
                 left join journeys j on j.contact_id = c.contact_id \
                 where c.workspace_id = $1 and c.xid >= '{since}'::xid8"
            ),
        };
        let mut numbers = FeedNumbers::default();
        let now = Timestamp::now();
        let period = Period { from: now, to: now };
        let rows = copy_rows(&self.pool, &sql, ws, period, None, |f| row(f, &mut numbers)).await?;
        Ok(numbers.into_feed(mark, rows))
    }

    async fn group_names(&self, ws: WorkspaceId) -> Result<GroupNames, StoreError> {
        Ok(GroupNames {
            sites: self
                .pairs("select id, domain from sites where workspace_id = $1", ws)
                .await?,
            owners: self
                .pairs("select id, email from users where workspace_id = $1", ws)
                .await?,
            stages: self
                .pairs(
                    "select id, position::bigint from pipeline_stages where workspace_id = $1",
                    ws,
                )
                .await?,
        })
    }
}
