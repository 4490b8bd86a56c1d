//! Report reads on PostgreSQL. Parameters are always `$1` the workspace, `$2`/`$3` the
//! period, `$4` the breakdown's property name (unused ones are still bound, typed).

use closer_domain::reports::Breakdown;
use closer_domain::{ContactId, Timestamp, WorkspaceId};
use closer_store::{
    ConversionKind, ConversionPath, GroupIndex, JourneyRow, Journeys, Labels, LeadResponse,
    LostDeals, OpenDeals, OrderRow, PathTally, Period, RepeatTotal, ReportStore, StageStay,
    StoreError, VisitorCount, WonDeal, WonTotal,
};
use time::OffsetDateTime;

use crate::PostgresStore;
use crate::copy_read::{self, copy_rows};
use crate::error::db_err;
use crate::report_rows::{Owners, at, copy_group, count, group, prop_of, rows, uuid};

#[async_trait::async_trait]
impl ReportStore for PostgresStore {
    async fn has_property(&self, ws: WorkspaceId, name: &str) -> Result<bool, StoreError> {
        let found: Option<i32> = sqlx::query_scalar(
            "select 1 from contacts where workspace_id = $1 and properties ? $2 limit 1",
        )
        .bind(ws.0)
        .bind(name)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(found.is_some())
    }

    async fn journeys(
        &self,
        ws: WorkspaceId,
        period: Period,
        by: &Breakdown,
    ) -> Result<Journeys, StoreError> {
        let (g, joins) = copy_group(by, "j.contact_id", None, Some("j"));
        let owners = Owners::load(&self.pool, ws, by).await?;
        let sql = format!(
            "select {g}, j.first_visit_at, j.lead_at, j.prospect_at, j.opportunity_at, j.customer_at, j.repeat_at \
             from journeys j{joins} where j.workspace_id = $1 and j.entered_at < $3 \
             and (j.entered_at >= $2 or j.lead_at >= $2 or j.prospect_at >= $2 \
                  or j.opportunity_at >= $2 or j.customer_at >= $2 or j.repeat_at >= $2) \
             and ($4::text is null or true)"
        );
        let mut groups = GroupIndex::default();
        // A year of a large workspace is a million rows: read as a binary copy.
        let rows = copy_rows(&self.pool, &sql, ws, period, prop_of(by), |f| {
            let [group, times @ ..] = f else {
                return Err(StoreError::Corrupt("a journey row without fields".into()));
            };
            let mut reached = [None; 6];
            for (slot, field) in reached.iter_mut().zip(times) {
                *slot = copy_read::micros(*field)?;
            }
            Ok(JourneyRow {
                group: groups.of(owners.label(*group)?),
                reached,
            })
        })
        .await?;
        Ok(groups.into_journeys(rows))
    }

    async fn new_visitors(
        &self,
        ws: WorkspaceId,
        period: Period,
        by: &Breakdown,
    ) -> Result<Vec<VisitorCount>, StoreError> {
        closer_store_sql::reports_store::new_visitors(self, ws, period, by).await
    }

    // The visits are counted through the contact's visitors by index (`= any(array(…))`): as a
    // join, a plan made before statistics existed scanned every session once per won deal.
    async fn won_deals(
        &self,
        ws: WorkspaceId,
        period: Period,
        by: &Breakdown,
    ) -> Result<Vec<WonDeal>, StoreError> {
        let (g, joins) = copy_group(by, "d.contact_id", Some("d.owner_id"), None);
        let owners = Owners::load(&self.pool, ws, by).await?;
        let sql = format!(
            "select {g}, d.currency, d.amount, d.created_at, d.closed_at, coalesce(d.won_touches, 0) \
             from deals d{joins} where d.workspace_id = $1 and d.closed_at >= $2 and d.closed_at < $3 \
             and d.status = 'won' and ($4::text is null or true)"
        );
        let mut labels = Labels::default();
        copy_rows(&self.pool, &sql, ws, period, prop_of(by), |f| {
            let [group, currency, amount, created, closed, touches] = f else {
                return Err(StoreError::Corrupt("a won deal row's fields".into()));
            };
            Ok(WonDeal {
                group: labels.of_opt(owners.label(*group)?),
                currency: labels.of(copy_read::text(*currency)?.unwrap_or_default()),
                amount_units: copy_read::int8(*amount)?.unwrap_or_default(),
                created_at: copy_read::timestamp(*created, "a won deal")?,
                closed_at: copy_read::timestamp(*closed, "a won deal")?,
                touches: count(copy_read::int8(*touches)?.unwrap_or_default()),
            })
        })
        .await
    }

    async fn lost_deals(
        &self,
        ws: WorkspaceId,
        period: Period,
        by: &Breakdown,
    ) -> Result<Vec<LostDeals>, StoreError> {
        let (g, joins) = group(by, "d.contact_id", Some("d.owner_id"), None);
        let sql = format!(
            "select {g}, d.loss_reason, count(*) from deals d{joins} \
             where d.workspace_id = $1 and d.closed_at >= $2 and d.closed_at < $3 \
             and d.status = 'lost' and ($4::text is null or true) group by 1, 2"
        );
        rows(&self.pool, &sql, ws, period, by, |r| {
            Ok(LostDeals {
                group: at(r, 0)?,
                loss_reason: at(r, 1)?,
                deals: count(at(r, 2)?),
            })
        })
        .await
    }

    async fn open_deals(
        &self,
        ws: WorkspaceId,
        by: &Breakdown,
    ) -> Result<Vec<OpenDeals>, StoreError> {
        let (g, joins) = group(by, "d.contact_id", Some("d.owner_id"), None);
        let sql = format!(
            "select {g}, ps.forecast, ps.probability::bigint, d.currency, count(*), sum(d.amount)::bigint \
             from deals d join pipeline_stages ps on ps.id = d.stage_id{joins} \
             where d.workspace_id = $1 and d.status = 'open' \
             and ($2::timestamptz is null or true) and ($3::timestamptz is null or true) \
             and ($4::text is null or true) group by 1, 2, 3, 4"
        );
        let now = Timestamp::now();
        rows(
            &self.pool,
            &sql,
            ws,
            Period { from: now, to: now },
            by,
            |r| {
                Ok(OpenDeals {
                    group: at(r, 0)?,
                    forecast: at(r, 1)?,
                    probability: at(r, 2)?,
                    currency: at(r, 3)?,
                    deals: count(at(r, 4)?),
                    amount_units: at(r, 5)?,
                })
            },
        )
        .await
    }

    async fn stage_stays(
        &self,
        ws: WorkspaceId,
        period: Period,
        by: &Breakdown,
    ) -> Result<Vec<StageStay>, StoreError> {
        crate::stays::stage_stays(&self.pool, ws, period, by).await
    }

    async fn lead_responses(
        &self,
        ws: WorkspaceId,
        period: Period,
        by: &Breakdown,
    ) -> Result<Vec<LeadResponse>, StoreError> {
        let (g, joins) = copy_group(by, "j.contact_id", None, Some("j"));
        let owners = Owners::load(&self.pool, ws, by).await?;
        let sql = format!(
            "select {g}, j.lead_at, j.first_touch_at from journeys j{joins} \
             where j.workspace_id = $1 and j.lead_at >= $2 and j.lead_at < $3 \
             and j.first_touch_at is not null and ($4::text is null or true)"
        );
        let mut labels = Labels::default();
        copy_rows(&self.pool, &sql, ws, period, prop_of(by), |f| {
            let [group, lead, touch] = f else {
                return Err(StoreError::Corrupt("a lead response row's fields".into()));
            };
            let (lead, touch) = (copy_read::micros(*lead)?, copy_read::micros(*touch)?);
            Ok(LeadResponse {
                group: labels.of_opt(owners.label(*group)?),
                seconds: touch
                    .zip(lead)
                    .map_or(0, |(t, l)| (t - l).max(0).div_euclid(1_000_000)),
            })
        })
        .await
    }

    async fn orders_until(
        &self,
        ws: WorkspaceId,
        to: Timestamp,
        by: &Breakdown,
    ) -> Result<Vec<OrderRow>, StoreError> {
        let (g, joins) = copy_group(by, "o.contact_id", None, None);
        let owners = Owners::load(&self.pool, ws, by).await?;
        let sql = format!(
            "select o.contact_id, {g}, o.placed_at, o.currency, o.total from orders o{joins} \
             where o.workspace_id = $1 and o.placed_at < $3 and ($2::timestamptz is null or true) \
             and ($4::text is null or true) order by o.placed_at, o.id"
        );
        // Every order of the workspace's history (retention and lifetime value): a binary
        // copy, as the other big reads.
        copy_rows(
            &self.pool,
            &sql,
            ws,
            Period { from: to, to },
            prop_of(by),
            |f| {
                let [contact, group, placed, currency, total] = f else {
                    return Err(StoreError::Corrupt("an order row's fields".into()));
                };
                let placed_at = copy_read::timestamp(*placed, "an order")?;
                Ok(OrderRow {
                    contact: ContactId(uuid(*contact)?),
                    group: owners.label(*group)?.map(str::to_owned),
                    placed_at,
                    currency: copy_read::text(*currency)?.unwrap_or_default().to_owned(),
                    total_units: copy_read::int8(*total)?.unwrap_or(0),
                })
            },
        )
        .await
    }

    async fn won_totals(
        &self,
        ws: WorkspaceId,
        period: Period,
    ) -> Result<Vec<WonTotal>, StoreError> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "select currency, count(*), sum(amount)::bigint from deals where workspace_id = $1 \
             and status = 'won' and closed_at >= $2 and closed_at < $3 \
             group by currency order by currency",
        )
        .bind(ws.0)
        .bind(period.from.get())
        .bind(period.to.get())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|(currency, deals, units)| WonTotal {
                currency,
                deals: count(deals),
                amount_units: i128::from(units),
            })
            .collect())
    }

    async fn repeat_total(
        &self,
        ws: WorkspaceId,
        to: Timestamp,
        currency: &str,
    ) -> Result<RepeatTotal, StoreError> {
        let (customers, units): (i64, i64) = sqlx::query_as(
            "select count(distinct contact_id), coalesce(sum(total), 0)::bigint from ( \
                 select contact_id, total, \
                        row_number() over (partition by contact_id order by placed_at, id) as n \
                 from orders where workspace_id = $1 and placed_at < $2 and currency = $3) r \
             where n > 1",
        )
        .bind(ws.0)
        .bind(to.get())
        .bind(currency)
        .fetch_one(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(RepeatTotal {
            customers: count(customers),
            after_first_units: i128::from(units),
        })
    }

    async fn data_version(&self, ws: WorkspaceId) -> Result<String, StoreError> {
        let row: (
            Option<OffsetDateTime>,
            Option<OffsetDateTime>,
            Option<OffsetDateTime>,
        ) = sqlx::query_as(
            "select (select max(updated_at) from contacts where workspace_id = $1), \
                    (select max(updated_at) from deals where workspace_id = $1), \
                    (select max(created_at) from orders where workspace_id = $1)",
        )
        .bind(ws.0)
        .fetch_one(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(format!("{:?}/{:?}/{:?}", row.0, row.1, row.2))
    }

    async fn conversion_paths(
        &self,
        ws: WorkspaceId,
        period: Period,
        kinds: &[ConversionKind],
    ) -> Result<Vec<ConversionPath>, StoreError> {
        // Every path was stored with its conversion (migrations 0006 and 0009), and counted
        // here per distinct path: a few dozen rows cross, not a year's million leads.
        let queries = [
            (
                ConversionKind::Lead,
                "select j.lead_path, null::text, count(*), null::text from journeys j \
                 where j.workspace_id = $1 and j.lead_at >= $2 and j.lead_at < $3 \
                 group by j.lead_path",
            ),
            (
                ConversionKind::Deal,
                "select d.created_path, null::text, count(*), null::text from deals d \
                 where d.workspace_id = $1 and d.created_at >= $2 and d.created_at < $3 \
                 group by d.created_path",
            ),
            (
                ConversionKind::Won,
                "select d.won_path, d.currency, count(*), sum(d.amount)::text from deals d \
                 where d.workspace_id = $1 and d.status = 'won' and d.closed_at >= $2 and d.closed_at < $3 \
                 group by d.won_path, d.currency",
            ),
        ];
        let mut tally = PathTally::default();
        for (kind, sql) in queries.into_iter().filter(|(k, _)| kinds.contains(k)) {
            let rows = sqlx::query(sql)
                .bind(ws.0)
                .bind(period.from.get())
                .bind(period.to.get())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
            for r in &rows {
                let path: Option<&str> = at(r, 0)?;
                let currency: Option<&str> = at(r, 1)?;
                let n: i64 = at(r, 2)?;
                let sum: Option<&str> = at(r, 3)?;
                let amount = sum
                    .map(str::parse::<i128>)
                    .transpose()
                    .map_err(|e| StoreError::Corrupt(format!("summed amount: {e}")))?
                    .unwrap_or(0);
                tally.add_many(kind, path, currency, u64::try_from(n).unwrap_or(0), amount);
            }
        }
        Ok(tally.into_paths())
    }
}
