//! Report reads on SQLite, on plain rusqlite connections in blocking threads (a year of a
//! large workspace is a million journey rows; handing each through sqlx's connection thread
//! cost more than SQLite's own work). Connections are pooled so their page caches stay warm.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use closer_domain::reports::Breakdown;
use closer_domain::{ContactId, Timestamp, WorkspaceId};
use closer_store::{
    ClosedDeal, ConversionKind, ConversionPath, JourneyRow, LeadResponse, OpenDeals, OrderRow,
    PathRow, Period, ReportStore, StageStay, StoreError, VisitorCount, fold_paths, group_sql,
    parse_lead_path,
};
use rusqlite::{Connection, OpenFlags, Row, Statement, ToSql};
use uuid::Uuid;

use crate::SqliteStore;
use crate::error::rs_err;
use crate::rows::ts;

const DAY_MICROS: i64 = 86_400_000_000;

/// Read-only connections kept between reports.
#[derive(Default)]
pub(crate) struct ReadPool(Mutex<Vec<Connection>>);

impl ReadPool {
    fn with<T>(
        &self,
        path: &Path,
        read: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let kept = self.0.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let conn = if let Some(c) = kept {
            c
        } else {
            let c = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(rs_err)?;
            c.execute_batch("pragma cache_size = -65536; pragma busy_timeout = 5000;")
                .map_err(rs_err)?;
            c
        };
        // One read transaction: the report's several queries see one snapshot.
        conn.execute_batch("begin").map_err(rs_err)?;
        let out = read(&conn);
        conn.execute_batch("commit").map_err(rs_err)?;
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(conn);
        out
    }
}

/// The query's named parameters, bound when the statement uses them.
struct Binds<'a> {
    ws: Uuid,
    from: i64,
    to: i64,
    prop: Option<String>,
    extra: &'a [(&'a str, &'a dyn ToSql)],
}

impl Binds<'_> {
    fn new(ws: WorkspaceId, period: Period, by: &Breakdown) -> Binds<'static> {
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

    fn bind(&self, stmt: &mut Statement<'_>) -> Result<(), StoreError> {
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
fn rows<T>(
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

fn group(
    by: &Breakdown,
    contact: &str,
    owner: Option<&str>,
    journey: Option<&str>,
) -> (String, String) {
    group_sql(by, contact, owner, journey, |c| {
        format!("cast(json_extract({c}.properties, :prop) as text)")
    })
}

fn opt_ts(row: &Row<'_>, i: usize) -> Result<Option<Timestamp>, StoreError> {
    row.get::<_, Option<i64>>(i)
        .map_err(rs_err)?
        .map(ts)
        .transpose()
}

fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn journeys(
    conn: &Connection,
    b: &Binds<'_>,
    by: &Breakdown,
) -> Result<Vec<JourneyRow>, StoreError> {
    let (g, joins) = group(by, "j.contact_id", None, Some("j"));
    let sql = format!(
        "select {g}, j.first_visit_at, j.lead_at, j.prospect_at, j.opportunity_at, j.customer_at, j.repeat_at \
         from journeys j{joins} where j.workspace_id = :ws and j.entered_at < :to \
         and (j.entered_at >= :from or j.lead_at >= :from or j.prospect_at >= :from \
              or j.opportunity_at >= :from or j.customer_at >= :from or j.repeat_at >= :from)"
    );
    rows(conn, &sql, b, |r| {
        let mut reached = [None; 6];
        for (i, slot) in reached.iter_mut().enumerate() {
            *slot = opt_ts(r, i + 1)?;
        }
        Ok(JourneyRow {
            group: r.get(0).map_err(rs_err)?,
            reached,
        })
    })
}

fn new_visitors(
    conn: &Connection,
    ws: WorkspaceId,
    period: Period,
    by: &Breakdown,
) -> Result<Vec<VisitorCount>, StoreError> {
    let (g, joins) = match by {
        Breakdown::Channel => ("v.channel", ""),
        Breakdown::Source => ("nullif(v.source, '')", ""),
        Breakdown::Campaign => ("nullif(v.campaign, '')", ""),
        Breakdown::Site => ("s.domain", " left join sites s on s.id = v.site_id"),
        _ => ("null", ""),
    };
    let from_day = period.from.unix_micros().div_euclid(DAY_MICROS);
    let to_day = (period.to.unix_micros() + DAY_MICROS - 1).div_euclid(DAY_MICROS);
    let extra: [(&str, &dyn ToSql); 2] = [(":from_day", &from_day), (":to_day", &to_day)];
    let b = Binds {
        extra: &extra,
        ..Binds::new(ws, period, by)
    };
    let sql = format!(
        "select {g}, sum(v.visitors) from visitor_days v{joins} \
         where v.workspace_id = :ws and v.day >= :from_day and v.day < :to_day group by 1"
    );
    rows(conn, &sql, &b, |r| {
        Ok(VisitorCount {
            group: r.get(0).map_err(rs_err)?,
            visitors: count(r.get(1).map_err(rs_err)?),
        })
    })
}

fn closed_deals(
    conn: &Connection,
    b: &Binds<'_>,
    by: &Breakdown,
) -> Result<Vec<ClosedDeal>, StoreError> {
    let (g, joins) = group(by, "d.contact_id", Some("d.owner_id"), None);
    let sql = format!(
        "select {g}, d.status = 'won', d.currency, d.amount, d.created_at, d.closed_at, d.loss_reason, \
           case when d.status = 'won' then \
             (select count(*) from activities a where a.contact_id = d.contact_id and a.occurred_at <= d.closed_at) \
             + (select count(*) from visitor_links l join sessions s on s.visitor = l.visitor \
                and s.workspace_id = l.workspace_id where l.contact_id = d.contact_id and s.started_at <= d.closed_at) \
           else 0 end \
         from deals d{joins} where d.workspace_id = :ws and d.closed_at >= :from and d.closed_at < :to \
         and d.status in ('won', 'lost')"
    );
    rows(conn, &sql, b, |r| {
        Ok(ClosedDeal {
            group: r.get(0).map_err(rs_err)?,
            won: r.get(1).map_err(rs_err)?,
            currency: r.get(2).map_err(rs_err)?,
            amount_units: r.get(3).map_err(rs_err)?,
            created_at: ts(r.get(4).map_err(rs_err)?)?,
            closed_at: ts(r.get(5).map_err(rs_err)?)?,
            loss_reason: r.get(6).map_err(rs_err)?,
            touches: count(r.get(7).map_err(rs_err)?),
        })
    })
}

fn open_deals(
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
    rows(conn, &sql, b, |r| {
        Ok(OpenDeals {
            group: r.get(0).map_err(rs_err)?,
            forecast: r.get(1).map_err(rs_err)?,
            probability: r.get(2).map_err(rs_err)?,
            currency: r.get(3).map_err(rs_err)?,
            deals: count(r.get(4).map_err(rs_err)?),
            amount_units: r.get(5).map_err(rs_err)?,
        })
    })
}

fn stage_stays(
    conn: &Connection,
    b: &Binds<'_>,
    by: &Breakdown,
) -> Result<Vec<StageStay>, StoreError> {
    let (g, joins) = group(by, "d.contact_id", Some("d.owner_id"), None);
    // The deal is read only when the breakdown needs its contact or owner.
    let deals = if *by == Breakdown::Total {
        ""
    } else {
        " join deals d on d.id = ds.deal_id"
    };
    let sql = format!(
        "select {g}, ds.stage_name, coalesce(ps.position, 1000000), ds.left_at - ds.entered_at \
         from deal_stages ds{deals} \
         left join pipeline_stages ps on ps.id = ds.stage_id{joins} \
         where ds.workspace_id = :ws and ds.left_at >= :from and ds.left_at < :to"
    );
    rows(conn, &sql, b, |r| {
        Ok(StageStay {
            group: r.get(0).map_err(rs_err)?,
            stage: r.get(1).map_err(rs_err)?,
            position: r.get(2).map_err(rs_err)?,
            seconds: r.get::<_, i64>(3).map_err(rs_err)? / 1_000_000,
        })
    })
}

fn lead_responses(
    conn: &Connection,
    b: &Binds<'_>,
    by: &Breakdown,
) -> Result<Vec<LeadResponse>, StoreError> {
    let (g, joins) = group(by, "j.contact_id", None, Some("j"));
    let sql = format!(
        "select {g}, j.first_touch_at - j.lead_at from journeys j{joins} \
         where j.workspace_id = :ws and j.lead_at >= :from and j.lead_at < :to \
         and j.first_touch_at is not null"
    );
    rows(conn, &sql, b, |r| {
        Ok(LeadResponse {
            group: r.get(0).map_err(rs_err)?,
            seconds: r.get::<_, i64>(1).map_err(rs_err)?.max(0) / 1_000_000,
        })
    })
}

fn orders_until(
    conn: &Connection,
    b: &Binds<'_>,
    by: &Breakdown,
) -> Result<Vec<OrderRow>, StoreError> {
    let (g, joins) = group(by, "o.contact_id", None, None);
    let sql = format!(
        "select o.contact_id, {g}, o.placed_at, o.currency, o.total from orders o{joins} \
         where o.workspace_id = :ws and o.placed_at < :to order by o.placed_at, o.id"
    );
    rows(conn, &sql, b, |r| {
        Ok(OrderRow {
            contact: ContactId(r.get(0).map_err(rs_err)?),
            group: r.get(1).map_err(rs_err)?,
            placed_at: ts(r.get(2).map_err(rs_err)?)?,
            currency: r.get(3).map_err(rs_err)?,
            total_units: r.get(4).map_err(rs_err)?,
        })
    })
}

/// The visits of the contact in `contact`, up to the time in `until`.
fn visits_join(contact: &str, until: &str) -> String {
    format!(
        "left join visitor_links l on l.contact_id = {contact} \
         left join sessions s on s.visitor = l.visitor and s.workspace_id = l.workspace_id \
         and s.started_at <= {until}"
    )
}

fn conversion_paths(conn: &Connection, b: &Binds<'_>) -> Result<Vec<ConversionPath>, StoreError> {
    // Leads: their paths were kept when their visitors were linked.
    let mut out: Vec<ConversionPath> = rows(
        conn,
        "select j.lead_path from journeys j where j.workspace_id = :ws \
         and j.lead_at >= :from and j.lead_at < :to",
        b,
        |r| {
            let path: Option<String> = r.get(0).map_err(rs_err)?;
            Ok(ConversionPath {
                kind: ConversionKind::Lead,
                value: None,
                touches: parse_lead_path(path.as_deref()),
            })
        },
    )?;
    let queries = [
        (
            ConversionKind::Deal,
            format!(
                "select d.id, null, null, s.channel, s.utm_campaign from deals d {} \
                 where d.workspace_id = :ws and d.created_at >= :from and d.created_at < :to \
                 order by d.id, s.started_at",
                visits_join("d.contact_id", "d.created_at")
            ),
        ),
        (
            ConversionKind::Won,
            format!(
                "select d.id, d.currency, d.amount, s.channel, s.utm_campaign from deals d {} \
                 where d.workspace_id = :ws and d.status = 'won' and d.closed_at >= :from \
                 and d.closed_at < :to order by d.id, s.started_at",
                visits_join("d.contact_id", "d.closed_at")
            ),
        ),
    ];
    for (kind, sql) in queries {
        let flat = rows(conn, &sql, b, |r| {
            let currency: Option<String> = r.get(1).map_err(rs_err)?;
            let amount: Option<i64> = r.get(2).map_err(rs_err)?;
            let channel: Option<String> = r.get(3).map_err(rs_err)?;
            Ok(PathRow {
                kind,
                id: r.get(0).map_err(rs_err)?,
                value: currency.zip(amount),
                touch: channel
                    .map(|c| Ok::<_, StoreError>((c, r.get(4).map_err(rs_err)?)))
                    .transpose()?,
            })
        })?;
        out.extend(fold_paths(flat));
    }
    Ok(out)
}

impl SqliteStore {
    async fn report_read<T: Send + 'static>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (path, pool): (PathBuf, Arc<ReadPool>) = (self.path.clone(), self.reports.clone());
        tokio::task::spawn_blocking(move || pool.with(&path, read))
            .await
            .map_err(|e| StoreError::Internal(format!("report read task failed: {e}")))?
    }
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
    ) -> Result<Vec<JourneyRow>, StoreError> {
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
        let by = by.clone();
        self.report_read(move |c| new_visitors(c, ws, period, &by))
            .await
    }

    async fn closed_deals(
        &self,
        ws: WorkspaceId,
        period: Period,
        by: &Breakdown,
    ) -> Result<Vec<ClosedDeal>, StoreError> {
        let by = by.clone();
        self.report_read(move |c| closed_deals(c, &Binds::new(ws, period, &by), &by))
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
    ) -> Result<Vec<ConversionPath>, StoreError> {
        self.report_read(move |c| conversion_paths(c, &Binds::new(ws, period, &Breakdown::Total)))
            .await
    }
}
