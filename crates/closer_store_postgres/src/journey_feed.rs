//! The journey feed on PostgreSQL (`closer_store::JourneyFeedStore`): journeys read whole, or
//! those changed by transactions from the mark on (`journey_changes.xid`, migration 0011).
//! The mark is the oldest transaction still running when the read begins: anything the read
//! cannot see was written by that one or a newer one, so the next read, from the mark, sees
//! it. Both reads are binary copies: the first is a million rows in a large workspace.

use closer_domain::{ContactId, Timestamp, WorkspaceId};
use closer_store::{
    FeedJourney, FeedNumbers, FeedRow, GroupNames, JourneyFeed, JourneyFeedStore, Period,
    StoreError,
};
use uuid::Uuid;

use crate::PostgresStore;
use crate::copy_read::{self, copy_rows};
use crate::error::db_err;

/// The journey's columns, after the contact id; a removed journey reads as nulls.
const COLUMNS: &str = "j.entered_at, j.first_visit_at, j.lead_at, j.prospect_at, j.opportunity_at, \
     j.customer_at, j.repeat_at, j.first_touch_at, j.channel, j.source, j.campaign, j.site_id, j.owner_id";

fn row(f: &[Option<&[u8]>], numbers: &mut FeedNumbers) -> Result<FeedRow, StoreError> {
    let [
        contact,
        entered,
        times @ ..,
        first_touch,
        channel,
        source,
        campaign,
        site,
        owner,
    ] = f
    else {
        return Err(StoreError::Corrupt(
            "a journey feed row of the wrong width".into(),
        ));
    };
    if times.len() != 6 {
        return Err(StoreError::Corrupt(
            "a journey feed row of the wrong width".into(),
        ));
    }
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
    for (slot, field) in reached.iter_mut().zip(times) {
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
        }),
    })
}

#[async_trait::async_trait]
impl JourneyFeedStore for PostgresStore {
    async fn journey_feed(
        &self,
        ws: WorkspaceId,
        since: Option<i64>,
    ) -> Result<JourneyFeed, StoreError> {
        // Taken before the read: conservative, a change committed in between comes twice.
        let (mark,): (String,) =
            sqlx::query_as("select pg_snapshot_xmin(pg_current_snapshot())::text")
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
        let mark: i64 = mark
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("a transaction id {mark:?}")))?;
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
        let read = |sql: &'static str| async move {
            sqlx::query_as::<_, (Uuid, String)>(sql)
                .bind(ws.0)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)
        };
        Ok(GroupNames {
            sites: read("select id, domain from sites where workspace_id = $1").await?,
            owners: read("select id, email from users where workspace_id = $1").await?,
        })
    }
}
