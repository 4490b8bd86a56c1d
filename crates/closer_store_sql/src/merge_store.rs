//! Merging records of one person, written once over `Engine`: what would move, the merge as
//! one transaction of statements, and where a merged-away id went.
//!
//! The kept record's journey and its deals' visit paths are derived again inside the
//! transaction from the rows it now holds, with the same rules as the triggers and the bulk
//! load (`closer_store_postgres::bulk_derive`): the triggers fire on inserts, and a merge moves
//! rows by updating their contact instead.

use closer_domain::contact::merge::Moves;
use closer_domain::{ContactId, WorkspaceId};
use closer_store::{ContactMerge, MERGE_FOLLOWS, MERGE_MOVES, StoreError};
use uuid::Uuid;

use crate::import_store::{bind_json, update_contact};
use crate::{Dialect, Engine, Param, Sql, Step, required};

fn ids(contacts: &[ContactId]) -> Vec<Uuid> {
    contacts.iter().map(|c| c.0).collect()
}

pub async fn merge_moves(
    e: &impl Engine,
    ws: WorkspaceId,
    others: &[ContactId],
) -> Result<Moves, StoreError> {
    let mut moves = Moves::default();
    if others.is_empty() {
        return Ok(moves);
    }
    let others = ids(others);
    let mut sql = Sql::new(e.dialect(), "");
    for (i, (table, part)) in MERGE_MOVES.iter().enumerate() {
        if i > 0 {
            sql.push(" union all ");
        }
        // Both names are constants of `MERGE_MOVES`.
        sql.push(&format!(
            "select '{part}' as part, count(*) as n from {table} where workspace_id = "
        ));
        sql.bind(Param::Uuid(ws.0)).push(" and contact_id");
        sql.bind_ids(&others);
    }
    for (part, n) in e
        .fetch(sql, |r| {
            Ok((
                required("part", r.text("part")?)?,
                required("n", r.integer("n")?)?,
            ))
        })
        .await?
    {
        let n = u64::try_from(n).unwrap_or(0);
        match part.as_str() {
            "identities" => moves.identities = n,
            "external_ids" => moves.external_ids = n,
            "visitors" => moves.visitors = n,
            "timeline" => moves.timeline = n,
            "traffic" => moves.traffic = n,
            "stage_history" => moves.stage_history = n,
            "deals" => moves.deals = n,
            "activities" => moves.activities = n,
            "tasks" => moves.tasks = n,
            "orders" => moves.orders = n,
            other => return Err(StoreError::Corrupt(format!("merge count {other}"))),
        }
    }
    Ok(moves)
}

pub async fn merged_into(
    e: &impl Engine,
    ws: WorkspaceId,
    id: ContactId,
) -> Result<Option<ContactId>, StoreError> {
    let sql = e.sql(
        "select into_id from contact_merges where workspace_id = $1 and merged_id = $2",
        [ws.0.into(), id.0.into()],
    );
    e.fetch_optional(sql, |r| {
        Ok(ContactId(required("into_id", r.uuid("into_id")?)?))
    })
    .await
}

pub async fn merge_contacts(e: &impl Engine, m: &ContactMerge) -> Result<(), StoreError> {
    let d = e.dialect();
    let ws = m.merged.workspace_id;
    let keep = m.merged.id;
    let others = ids(&m.others);
    let mut all = vec![keep.0];
    all.extend(&others);
    let now = m.merged.updated_at;
    let Some(&(_, keep_read)) = m.read.iter().find(|(id, _)| *id == keep) else {
        return Err(StoreError::NotFound);
    };
    let mut steps = Vec::new();
    if d == Dialect::Postgres {
        // Locked before anything moves: a row another transaction adds for one of the others
        // meanwhile (a deal, an activity) holds a key lock on it, so this waits for it and
        // moves it too, instead of deleting it with its contact at the end. (SQLite's one
        // writer runs nothing else meanwhile.)
        let mut sql = Sql::new(d, "select id from contacts where workspace_id = ");
        sql.bind(Param::Uuid(ws.0)).push(" and id");
        sql.bind_ids(&all).push(" order by id for update");
        steps.push(Step::any(sql));
    }
    for (id, read) in &m.read {
        if *id != keep {
            steps.push(Step::must_change(e.sql(
                "update contacts set updated_at = updated_at \
                 where workspace_id = $1 and id = $2 and updated_at = $3",
                [ws.0.into(), id.0.into(), Param::Time(*read)],
            )));
        }
    }
    steps.push(Step::must_change(update_contact(e, &m.merged, keep_read)));
    let mut sql = e.sql(
        "update contacts set created_at = $1, company_id = $2, first_touch_at = \
         (select min(first_touch_at) from contacts where workspace_id = $3 and id",
        [
            Param::Time(m.merged.created_at),
            Param::MaybeUuid(m.merged.company_id.map(|c| c.0)),
            ws.0.into(),
        ],
    );
    sql.bind_ids(&all).push(") where id = ").bind(keep.0.into());
    steps.push(Step::must_change(sql));
    // One stage row stays open: the merged stage's.
    let mut sql = e.sql(
        "update contact_stages set left_at = $1 \
         where workspace_id = $2 and left_at is null and contact_id <> $3 and contact_id",
        [Param::Time(now), ws.0.into(), m.stage_from.0.into()],
    );
    sql.bind_ids(&all);
    steps.push(Step::any(sql));
    // Tags: the kept record takes every tag of the others it does not hold (a tag held twice
    // cannot move as a row), then the others' rows go.
    let mut sql = e.sql(
        "insert into contact_tags (contact_id, workspace_id, tag, created_at) \
         select $1, workspace_id, tag, min(created_at) from contact_tags \
         where workspace_id = $2 and contact_id",
        [keep.0.into(), ws.0.into()],
    );
    sql.bind_ids(&others)
        .push(" group by workspace_id, tag on conflict (contact_id, tag) do nothing");
    steps.push(Step::any(sql));
    let mut sql = e.sql(
        "delete from contact_tags where workspace_id = $1 and contact_id",
        [ws.0.into()],
    );
    sql.bind_ids(&others);
    steps.push(Step::any(sql));
    for table in MERGE_MOVES
        .iter()
        .map(|(t, _)| *t)
        .chain(MERGE_FOLLOWS.iter().copied())
    {
        let mut sql = e.sql(
            // The table's name is a constant of `MERGE_MOVES` or `MERGE_FOLLOWS`.
            &format!("update {table} set contact_id = $1 where workspace_id = $2 and contact_id"),
            [keep.0.into(), ws.0.into()],
        );
        sql.bind_ids(&others);
        steps.push(Step::any(sql));
    }
    let mut sql = e.sql(
        "update contact_merges set into_id = $1 where workspace_id = $2 and into_id",
        [keep.0.into(), ws.0.into()],
    );
    sql.bind_ids(&others);
    steps.push(Step::any(sql));
    let mut sql = Sql::new(
        d,
        "insert into contact_merges (merged_id, workspace_id, into_id, merged_at) values ",
    );
    for (i, other) in others.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" });
        sql.bind(Param::Uuid(*other)).push(", ");
        sql.bind(Param::Uuid(ws.0)).push(", ");
        sql.bind(Param::Uuid(keep.0)).push(", ");
        sql.bind(Param::Time(now)).push(")");
    }
    steps.push(Step::any(sql));
    let ev = &m.event;
    let mut sql = e.sql(
        "insert into events (id, workspace_id, contact_id, kind, occurred_at, properties) \
         values ($1, $2, $3, $4, $5, ",
        [
            ev.id.0.into(),
            ws.0.into(),
            keep.0.into(),
            Param::Text(ev.kind.as_str().to_owned()),
            Param::Time(ev.occurred_at),
        ],
    );
    bind_json(&mut sql, ev.properties.to_string());
    sql.push(")");
    steps.push(Step::any(sql));
    let mut sql = e.sql(
        "delete from journeys where workspace_id = $1 and contact_id",
        [ws.0.into()],
    );
    sql.bind_ids(&all);
    steps.push(Step::any(sql));
    let mut sql = e.sql(
        "delete from contacts where workspace_id = $1 and id",
        [ws.0.into()],
    );
    sql.bind_ids(&others);
    steps.push(Step::must_change(sql));
    steps.extend(derive_journey(e, ws, keep));
    e.transaction(steps).await
}

/// The kept contact's journey and its deals' paths, derived from the rows it holds: the
/// funnel's entry is the earliest of its creation, stage rows, first order and first visit;
/// each stage's date its first entry (a customer's also its first order); the first visit's
/// channel, source and campaign; the visits before it became a lead; a deal's visits before
/// it opened and, once won, before it was won.
fn derive_journey(e: &impl Engine, ws: WorkspaceId, keep: ContactId) -> Vec<Step> {
    let d = e.dialect();
    let visits = "from visitor_links l join sessions s \
                  on s.visitor = l.visitor and s.workspace_id = l.workspace_id \
                  where l.workspace_id = $1 and l.contact_id = $2";
    let path = d.touch_path("s.channel", "s.utm_campaign", "s.started_at");
    let stage = |name: &str| {
        format!(
            "(select min(entered_at) from contact_stages where contact_id = c.id and stage = '{name}')"
        )
    };
    let statements = [
        format!(
            "insert into journeys (contact_id, workspace_id, entered_at, first_visit_at, lead_at, \
             prospect_at, opportunity_at, customer_at, repeat_at, first_touch_at, channel, source, \
             campaign, site_id, owner_id) \
             select c.id, c.workspace_id, c.created_at, f.started_at, {}, {}, {}, {}, \
             (select placed_at from orders where contact_id = c.id order by placed_at limit 1 offset 1), \
             c.first_touch_at, f.channel, f.source, f.utm_campaign, f.site_id, c.owner_id \
             from contacts c left join (select s.started_at, s.channel, s.source, s.utm_campaign, \
             s.site_id {visits} order by s.started_at limit 1) f on true \
             where c.workspace_id = $1 and c.id = $2",
            stage("lead"),
            stage("prospect"),
            stage("opportunity"),
            stage("customer"),
        ),
        "update journeys set customer_at = (select min(placed_at) from orders where contact_id = $2) \
         where workspace_id = $1 and contact_id = $2 and (customer_at is null \
         or customer_at > (select min(placed_at) from orders where contact_id = $2))"
            .to_owned(),
        "update journeys set entered_at = (select min(entered_at) from contact_stages where contact_id = $2) \
         where workspace_id = $1 and contact_id = $2 \
         and entered_at > (select min(entered_at) from contact_stages where contact_id = $2)"
            .to_owned(),
        // The first order made the customer date no later than it.
        "update journeys set entered_at = customer_at \
         where workspace_id = $1 and contact_id = $2 and customer_at < entered_at"
            .to_owned(),
        "update journeys set entered_at = first_visit_at \
         where workspace_id = $1 and contact_id = $2 and first_visit_at < entered_at"
            .to_owned(),
        format!(
            "update journeys set lead_path = (select {path} {visits} \
             and s.started_at <= coalesce(journeys.lead_at, journeys.entered_at)) \
             where workspace_id = $1 and contact_id = $2"
        ),
        format!(
            "update deals set \
             created_path = (select {path} {visits} and s.started_at <= deals.created_at), \
             won_path = case when status = 'won' and closed_at is not null \
                 then (select {path} {visits} and s.started_at <= deals.closed_at) end, \
             won_touches = case when status = 'won' and closed_at is not null \
                 then (select count(*) {visits} and s.started_at <= deals.closed_at) \
                    + (select count(*) from activities a where a.contact_id = $2 \
                       and a.occurred_at <= deals.closed_at) end \
             where workspace_id = $1 and contact_id = $2"
        ),
    ];
    statements
        .iter()
        .map(|text| Step::any(e.sql(text, [ws.0.into(), keep.0.into()])))
        .collect()
}
