//! The end of a bulk load on PostgreSQL: the tables the row paths keep with triggers, derived
//! set-based from what the load copied; and turning the triggers off and on around it.

use closer_domain::WorkspaceId;
use closer_store::{LoadSteps, StoreError};
use sqlx::PgConnection;

use crate::bulk_write::TRIGGERED;
use crate::error::db_err;

pub(crate) async fn derive(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    steps: &mut LoadSteps,
) -> Result<(), StoreError> {
    const STATEMENTS: [(&str, &str); 3] = [
        // Contacts' own copies of their linked visitors' events.
        (
            "contacts' traffic",
            "insert into contact_traffic (contact_id, occurred_at, id, workspace_id, name, path, props) \
         select l.contact_id, t.occurred_at, t.id, t.workspace_id, t.name, t.path, t.props \
         from visitor_links l join sessions s on s.visitor = l.visitor and s.workspace_id = l.workspace_id \
         join traffic_events t on t.session_id = s.id \
         where l.workspace_id = $1 on conflict do nothing",
        ),
        // Each journey written once: the migrations' backfill (an insert, then an update per
        // source) left five versions of every row, and a year's funnel read the bloated
        // table in twice the time.
        (
            "journeys",
            "with st as ( \
             select contact_id, \
                    min(entered_at) as first_at, \
                    min(entered_at) filter (where stage = 'lead') as lead_at, \
                    min(entered_at) filter (where stage = 'prospect') as prospect_at, \
                    min(entered_at) filter (where stage = 'opportunity') as opportunity_at, \
                    min(entered_at) filter (where stage = 'customer') as customer_at \
             from contact_stages where workspace_id = $1 group by contact_id), \
         o as ( \
             select contact_id, min(placed_at) as first_at, \
                    (array_agg(placed_at order by placed_at))[2] as second_at \
             from orders where workspace_id = $1 group by contact_id), \
         touches as ( \
             select l.contact_id, s.started_at, s.channel, s.source, s.utm_campaign, s.site_id \
             from visitor_links l join sessions s on s.visitor = l.visitor and s.workspace_id = l.workspace_id \
             where l.workspace_id = $1), \
         f as ( \
             select distinct on (contact_id) * from touches order by contact_id, started_at), \
         base as ( \
             select c.id, c.workspace_id, c.owner_id, c.first_touch_at, \
                    least(c.created_at, st.first_at, o.first_at, f.started_at) as entered_at, \
                    f.started_at as first_visit_at, st.lead_at, st.prospect_at, st.opportunity_at, \
                    least(st.customer_at, o.first_at) as customer_at, o.second_at as repeat_at, \
                    f.channel, f.source, f.utm_campaign as campaign, f.site_id \
             from contacts c \
             left join st on st.contact_id = c.id \
             left join o on o.contact_id = c.id \
             left join f on f.contact_id = c.id \
             where c.workspace_id = $1), \
         p as ( \
             select b.id, \
                    string_agg(t.channel || chr(31) || coalesce(t.utm_campaign, ''), chr(30) order by t.started_at) as path \
             from base b join touches t on t.contact_id = b.id \
               and t.started_at <= coalesce(b.lead_at, b.entered_at) \
             group by b.id) \
         insert into journeys (contact_id, workspace_id, entered_at, first_visit_at, lead_at, prospect_at, \
             opportunity_at, customer_at, repeat_at, first_touch_at, channel, source, campaign, site_id, \
             owner_id, lead_path) \
         select b.id, b.workspace_id, b.entered_at, b.first_visit_at, b.lead_at, b.prospect_at, \
                b.opportunity_at, b.customer_at, b.repeat_at, b.first_touch_at, b.channel, b.source, \
                b.campaign, b.site_id, b.owner_id, p.path \
         from base b left join p on p.id = b.id",
        ),
        // `deal_path` and `deal_touches` (migration 0009) row by row took 2.5 ms a deal; one
        // update also leaves one version of each deal instead of three.
        (
            "deals' paths",
            "with touches as ( \
             select l.contact_id, s.started_at, s.channel, s.utm_campaign \
             from visitor_links l join sessions s on s.visitor = l.visitor and s.workspace_id = l.workspace_id \
             where l.workspace_id = $1), \
         d as ( \
             select id, contact_id, created_at, \
                    case when status = 'won' then closed_at end as won_at \
             from deals where workspace_id = $1), \
         created as ( \
             select d.id, string_agg(t.channel || chr(31) || coalesce(t.utm_campaign, ''), chr(30) order by t.started_at) as path \
             from d join touches t on t.contact_id = d.contact_id and t.started_at <= d.created_at \
             group by d.id), \
         won as ( \
             select d.id, count(*) as visits, \
                    string_agg(t.channel || chr(31) || coalesce(t.utm_campaign, ''), chr(30) order by t.started_at) as path \
             from d join touches t on t.contact_id = d.contact_id and t.started_at <= d.won_at \
             group by d.id), \
         acts as ( \
             select d.id, count(*) as n \
             from d join activities a on a.contact_id = d.contact_id and a.occurred_at <= d.won_at \
             group by d.id) \
         update deals set created_path = created.path, won_path = won.path, \
             won_touches = case when d.won_at is not null \
                 then coalesce(won.visits, 0) + coalesce(acts.n, 0) end \
         from d left join created on created.id = d.id left join won on won.id = d.id \
             left join acts on acts.id = d.id \
         where deals.id = d.id",
        ),
    ];
    // The copied rows are new to the planner; its statistics are what the joins below are
    // planned with (`analyze` runs inside the transaction and sees them).
    sqlx::query(
        "analyze contacts, contact_stages, visitor_links, activities, deals, orders, sessions",
    )
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    steps.done("analyze");
    for (step, sql) in STATEMENTS {
        sqlx::query(sql)
            .bind(ws.0)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
        steps.done(step);
    }
    Ok(())
}

pub(crate) async fn set_triggers(conn: &mut PgConnection, on: bool) -> Result<(), StoreError> {
    let verb = if on { "enable" } else { "disable" };
    for table in TRIGGERED {
        // Both parts are constants of this file.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "alter table {table} {verb} trigger user"
        )))
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    }
    Ok(())
}
