//! Report reads on SQLite, on the read pool (`read.rs`): a year of a large workspace is a
//! million journey rows, decoded where SQLite hands them over.

use foldhash::HashMap;

use closer_domain::reports::Breakdown;
use closer_domain::{Timestamp, WorkspaceId};
use closer_store::{
    ConversionKind, ConversionPath, Journeys, LeadResponse, LostDeals, OpenDeals, OrderRow, Period,
    RepeatTotal, ReportStore, StageStay, StoreError, VisitorCount, WonDeal, WonTotal,
};
use rusqlite::{Connection, Row, Statement, ToSql};
use uuid::Uuid;

use crate::SqliteStore;
use crate::error::rs_err;
use crate::report_reads::{
    conversion_paths, journeys, lead_responses, lost_deals, open_deals, orders_until, repeat_total,
    stage_stays, won_deals, won_totals,
};

/// The query's named parameters, bound when the statement uses them.
pub(crate) struct Binds<'a> {
    pub(crate) ws: Uuid,
    pub(crate) from: i64,
    pub(crate) to: i64,
    pub(crate) prop: Option<String>,
    pub(crate) extra: &'a [(&'a str, &'a dyn ToSql)],
}

impl Binds<'_> {
    pub(crate) fn new(ws: WorkspaceId, period: Period, by: &Breakdown) -> Binds<'static> {
        Binds {
            ws: ws.0,
            from: period.from.unix_micros(),
            to: period.to.unix_micros(),
            prop: match by {
                Breakdown::Property(p) => Some(format!("$.\"{p}\"")),
                _ => None,
            },
            extra: &[],
        }
    }

    pub(crate) fn bind(&self, stmt: &mut Statement<'_>) -> Result<(), StoreError> {
        let mut set = |name: &str, v: &dyn ToSql| -> Result<(), StoreError> {
            if let Some(i) = stmt.parameter_index(name).map_err(rs_err)? {
                stmt.raw_bind_parameter(i, v).map_err(rs_err)?;
            }
            Ok(())
        };
        set(":ws", &self.ws)?;
        set(":from", &self.from)?;
        set(":to", &self.to)?;
        set(":prop", &self.prop)?;
        for (name, v) in self.extra {
            set(name, *v)?;
        }
        Ok(())
    }
}

/// Runs `sql` with `binds` and maps each row.
pub(crate) fn rows<T>(
    conn: &Connection,
    sql: &str,
    binds: &Binds<'_>,
    mut map: impl FnMut(&Row<'_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(rs_err)?;
    binds.bind(&mut stmt)?;
    let mut out = Vec::new();
    let mut rs = stmt.raw_query();
    while let Some(row) = rs.next().map_err(rs_err)? {
        out.push(map(row)?);
    }
    Ok(out)
}

/// The SQL for a row's group (see `closer_store_sql::group_sql`). By owner it is the owner's id,
/// not the joined user's email: `Names` turns ids into emails from the workspace's few users,
/// read once, instead of a user lookup (two B-tree seeks) for each of a million rows.
pub(crate) fn group(
    by: &Breakdown,
    contact: &str,
    owner: Option<&str>,
    journey: Option<&str>,
) -> (String, String) {
    if *by == Breakdown::Owner {
        return match (owner, journey) {
            (Some(col), _) => (col.to_owned(), String::new()),
            (None, Some(j)) => (format!("{j}.owner_id"), String::new()),
            (None, None) => (
                "gj.owner_id".to_owned(),
                format!(" left join journeys gj on gj.contact_id = {contact}"),
            ),
        };
    }
    // By the value's stored type (a defined property is stored in one form): a checkbox
    // reads yes or no, a multi-select its options joined, as on PostgreSQL.
    closer_store_sql::group_sql(by, contact, owner, journey, |c| {
        format!(
            "(case json_type({c}.properties, :prop) when 'true' then 'yes' when 'false' then 'no' \
             when 'array' then (select group_concat(e.value, ', ') from json_each({c}.properties, :prop) e) \
             else cast(json_extract({c}.properties, :prop) as text) end)"
        )
    })
}

/// Reads the group column `group()` selected.
pub(crate) struct Names(Option<HashMap<Uuid, String>>);

impl Names {
    pub(crate) fn load(
        conn: &Connection,
        b: &Binds<'_>,
        by: &Breakdown,
    ) -> Result<Self, StoreError> {
        if *by != Breakdown::Owner {
            return Ok(Self(None));
        }
        let emails = rows(
            conn,
            "select id, email from users where workspace_id = :ws",
            b,
            |r| Ok((r.get(0).map_err(rs_err)?, r.get(1).map_err(rs_err)?)),
        )?;
        Ok(Self(Some(emails.into_iter().collect())))
    }

    pub(crate) fn get<'r>(
        &'r self,
        r: &'r Row<'_>,
        i: usize,
    ) -> Result<Option<&'r str>, StoreError> {
        match &self.0 {
            None => r
                .get_ref(i)
                .map_err(rs_err)?
                .as_str_or_null()
                .map_err(|e| StoreError::Corrupt(format!("a report group: {e}"))),
            Some(emails) => {
                let id: Option<Uuid> = r.get(i).map_err(rs_err)?;
                Ok(id.and_then(|id| emails.get(&id)).map(String::as_str))
            }
        }
    }

    pub(crate) fn owned(&self, r: &Row<'_>, i: usize) -> Result<Option<String>, StoreError> {
        Ok(self.get(r, i)?.map(str::to_owned))
    }
}

/// A text column, borrowed from the row.
pub(crate) fn text<'r>(r: &'r Row<'_>, i: usize) -> Result<Option<&'r str>, StoreError> {
    r.get_ref(i)
        .map_err(rs_err)?
        .as_str_or_null()
        .map_err(|e| StoreError::Corrupt(format!("column {i}: {e}")))
}

pub(crate) fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

#[async_trait::async_trait]
impl ReportStore for SqliteStore {
    async fn has_property(&self, ws: WorkspaceId, name: &str) -> Result<bool, StoreError> {
        let path = format!("$.\"{name}\"");
        self.report_read(move |conn| {
            let found: Option<i64> = conn
                .prepare_cached(
                    "select 1 from contacts where workspace_id = ?1 \
                     and json_extract(properties, ?2) is not null limit 1",
                )
                .and_then(|mut s| {
                    rusqlite::OptionalExtension::optional(
                        s.query_row(rusqlite::params![ws.0, path], |r| r.get(0)),
                    )
                })
                .map_err(rs_err)?;
            Ok(found.is_some())
        })
        .await
    }

    async fn journeys(
        &self,
        ws: WorkspaceId,
        period: Period,
        by: &Breakdown,
    ) -> Result<Journeys, StoreError> {
        let by = by.clone();
        self.report_read(move |c| journeys(c, &Binds::new(ws, period, &by), &by))
            .await
    }

    async fn new_visitors(
        &self,
        ws: WorkspaceId,
        period: Period,
        by: &Breakdown,
    ) -> Result<Vec<VisitorCount>, StoreError> {
        closer_store_sql::reports_store::new_visitors(self, ws, period, by).await
    }

    async fn won_deals(
        &self,
        ws: WorkspaceId,
        period: Period,
        by: &Breakdown,
    ) -> Result<Vec<WonDeal>, StoreError> {
        let by = by.clone();
        self.report_read(move |c| won_deals(c, &Binds::new(ws, period, &by), &by))
            .await
    }

    async fn lost_deals(
        &self,
        ws: WorkspaceId,
        period: Period,
        by: &Breakdown,
    ) -> Result<Vec<LostDeals>, StoreError> {
        let by = by.clone();
        self.report_read(move |c| lost_deals(c, &Binds::new(ws, period, &by), &by))
            .await
    }

    async fn open_deals(
        &self,
        ws: WorkspaceId,
        by: &Breakdown,
    ) -> Result<Vec<OpenDeals>, StoreError> {
        let by = by.clone();
        let period = Period {
            from: Timestamp::now(),
            to: Timestamp::now(),
        };
        self.report_read(move |c| open_deals(c, &Binds::new(ws, period, &by), &by))
            .await
    }

    async fn stage_stays(
        &self,
        ws: WorkspaceId,
        period: Period,
        by: &Breakdown,
    ) -> Result<Vec<StageStay>, StoreError> {
        let by = by.clone();
        self.report_read(move |c| stage_stays(c, &Binds::new(ws, period, &by), &by))
            .await
    }

    async fn lead_responses(
        &self,
        ws: WorkspaceId,
        period: Period,
        by: &Breakdown,
    ) -> Result<Vec<LeadResponse>, StoreError> {
        let by = by.clone();
        self.report_read(move |c| lead_responses(c, &Binds::new(ws, period, &by), &by))
            .await
    }

    async fn orders_until(
        &self,
        ws: WorkspaceId,
        to: Timestamp,
        by: &Breakdown,
    ) -> Result<Vec<OrderRow>, StoreError> {
        let by = by.clone();
        let period = Period { from: to, to };
        self.report_read(move |c| orders_until(c, &Binds::new(ws, period, &by), &by))
            .await
    }

    async fn won_totals(
        &self,
        ws: WorkspaceId,
        period: Period,
    ) -> Result<Vec<WonTotal>, StoreError> {
        self.report_read(move |c| won_totals(c, &Binds::new(ws, period, &Breakdown::Total)))
            .await
    }

    async fn repeat_total(
        &self,
        ws: WorkspaceId,
        to: Timestamp,
        currency: &str,
    ) -> Result<RepeatTotal, StoreError> {
        let currency = currency.to_owned();
        self.report_read(move |c| {
            let extra: [(&str, &dyn ToSql); 1] = [(":currency", &currency)];
            let b = Binds {
                extra: &extra,
                ..Binds::new(ws, Period { from: to, to }, &Breakdown::Total)
            };
            repeat_total(c, &b)
        })
        .await
    }

    async fn data_version(&self, ws: WorkspaceId) -> Result<String, StoreError> {
        self.report_read(move |conn| {
            conn.prepare_cached(
                "select (select max(updated_at) from contacts where workspace_id = ?1), \
                        (select max(updated_at) from deals where workspace_id = ?1), \
                        (select max(created_at) from orders where workspace_id = ?1)",
            )
            .and_then(|mut s| {
                s.query_row([ws.0], |r| {
                    Ok(format!(
                        "{:?}/{:?}/{:?}",
                        r.get::<_, Option<i64>>(0)?,
                        r.get::<_, Option<i64>>(1)?,
                        r.get::<_, Option<i64>>(2)?
                    ))
                })
            })
            .map_err(rs_err)
        })
        .await
    }

    async fn conversion_paths(
        &self,
        ws: WorkspaceId,
        period: Period,
        kinds: &[ConversionKind],
    ) -> Result<Vec<ConversionPath>, StoreError> {
        let kinds = kinds.to_vec();
        self.report_read(move |c| {
            conversion_paths(c, &Binds::new(ws, period, &Breakdown::Total), &kinds)
        })
        .await
    }
}
