//! Deals' stage stays for the time-in-stage report on PostgreSQL: the stays of a period, each
//! with its deal's group and its stage's place.

use foldhash::HashMap;

use closer_domain::WorkspaceId;
use closer_domain::reports::Breakdown;
use closer_store::{Label, Labels, Period, REMOVED_STAGE_POSITION, StageStay, StoreError};
use sqlx::PgPool;
use uuid::Uuid;

use crate::copy_read::{self, copy_rows};
use crate::error::db_err;
use crate::report_rows::{Owners, copy_group, prop_of, uuid};

pub(crate) async fn stage_stays(
    pool: &PgPool,
    ws: WorkspaceId,
    period: Period,
    by: &Breakdown,
) -> Result<Vec<StageStay>, StoreError> {
    // Stays are read alone and matched to their deal's group here: joined to `deals` on
    // the server, a year's 620,000 stays by owner took 405 ms there instead of 178 ms,
    // and a workspace has far fewer deals than stays. (SQLite reads them the same way.)
    let mut labels = Labels::default();
    let deal_groups: HashMap<Uuid, Option<Label>> = if *by == Breakdown::Total {
        HashMap::default()
    } else {
        let (g, joins) = copy_group(by, "d.contact_id", Some("d.owner_id"), None);
        let owners = Owners::load(pool, ws, by).await?;
        let sql = format!(
            "select d.id, {g} from deals d{joins} where d.workspace_id = $1 \
             and ($2::timestamptz is null or true) and ($3::timestamptz is null or true) \
             and ($4::text is null or true)"
        );
        copy_rows(pool, &sql, ws, period, prop_of(by), |f| {
            let [id, group] = f else {
                return Err(StoreError::Corrupt("a deal group row's fields".into()));
            };
            Ok((uuid(*id)?, labels.of_opt(owners.label(*group)?)))
        })
        .await?
        .into_iter()
        .collect()
    };
    // The stages' places, read once rather than joined to each stay (57 of 215 ms on the
    // server for a year of stays).
    let positions: HashMap<Uuid, i64> =
        sqlx::query_as("select id, position::bigint from pipeline_stages where workspace_id = $1")
            .bind(ws.0)
            .fetch_all(pool)
            .await
            .map_err(db_err)?
            .into_iter()
            .collect();
    // Times are read as they are and subtracted here: `extract(epoch …)` is numeric
    // arithmetic on the server for each of half a million stays a year.
    // The deal is sent only when stays are grouped by it (a tenth of the copy's time).
    let deal = if *by == Breakdown::Total {
        "null::uuid"
    } else {
        "ds.deal_id"
    };
    let sql = format!(
        "select {deal}, ds.stage_name, ds.stage_id, ds.entered_at, ds.left_at \
         from deal_stages ds \
         where ds.workspace_id = $1 and ds.left_at >= $2 and ds.left_at < $3 \
         and ($4::text is null or true)"
    );
    copy_rows(pool, &sql, ws, period, prop_of(by), |f| {
        let [deal, stage, stage_id, entered, left] = f else {
            return Err(StoreError::Corrupt("a stage stay row's fields".into()));
        };
        let group = if *by == Breakdown::Total {
            None
        } else {
            deal_groups.get(&uuid(*deal)?).cloned().flatten()
        };
        let (entered, left) = (copy_read::micros(*entered)?, copy_read::micros(*left)?);
        Ok(StageStay {
            group,
            stage: labels.of(copy_read::text(*stage)?.unwrap_or_default()),
            position: positions
                .get(&uuid(*stage_id)?)
                .copied()
                .unwrap_or(REMOVED_STAGE_POSITION),
            seconds: left
                .zip(entered)
                .map_or(0, |(l, e)| (l - e).div_euclid(1_000_000)),
        })
    })
    .await
}
