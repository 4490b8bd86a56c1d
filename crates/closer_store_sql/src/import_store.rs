//! Imports written once over `Engine`: a batch's lookups (external ids, emails and phones,
//! the contacts they name) and its planned writes as multi-row statements in one transaction,
//! so a thousand rows cost a handful of statements rather than thousands.

use closer_domain::contact::upsert::{IdentityKind, search_text, stage_event};
use closer_domain::import::plan::{ContactWrites, Known};
use closer_domain::{CompanyId, Contact, ContactId, NewEvent, Stage, Timestamp, WorkspaceId};
use closer_store::{BatchKeys, StoreError};
use uuid::Uuid;

use crate::{Dialect, Engine, Param, Sql, Step, required};

/// Rows per multi-row statement: well under both engines' limits on parameters (SQLite
/// 32,766; PostgreSQL 65,535) at the widest row (16 columns).
const ROWS: usize = 500;

pub async fn import_known(
    e: &impl Engine,
    ws: WorkspaceId,
    keys: &BatchKeys,
) -> Result<Known, StoreError> {
    let mut known = Known::default();
    for chunk in keys.external_ids.chunks(ROWS) {
        // Only ids whose contact still exists are found (ids go with an erased contact).
        let sql = match e.dialect() {
            Dialect::Sqlite => {
                let mut sql = Sql::new(
                    e.dialect(),
                    "select external_id, contact_id from contact_external_ids where workspace_id = ",
                );
                sql.bind(Param::Uuid(ws.0)).push(" and external_id");
                sql.bind_texts(chunk);
                sql
            }
            // One probe of the key an id, as identities are looked up below.
            Dialect::Postgres => e.sql(
                "select v.external_id, x.contact_id from unnest($2::text[]) as v(external_id) \
                 cross join lateral (select contact_id from contact_external_ids \
                 where workspace_id = $1 and external_id = v.external_id limit 1) x",
                [Param::Uuid(ws.0), Param::Texts(chunk.to_vec())],
            ),
        };
        for (x, id) in e
            .fetch(sql, |r| {
                Ok((
                    required("external_id", r.text("external_id")?)?,
                    ContactId(required("contact_id", r.uuid("contact_id")?)?),
                ))
            })
            .await?
        {
            known.external.insert(x, id);
        }
    }
    for (kind, values) in [
        (IdentityKind::Email, &keys.emails),
        (IdentityKind::Phone, &keys.phones),
    ] {
        for chunk in values.chunks(ROWS) {
            let sql = match e.dialect() {
                Dialect::Sqlite => {
                    let mut sql = Sql::new(
                        e.dialect(),
                        "select value, contact_id from contact_identities where workspace_id = ",
                    );
                    sql.bind(Param::Uuid(ws.0)).push(" and kind = ");
                    sql.bind(Param::Text(kind.as_str().to_owned()))
                        .push(" and value");
                    sql.bind_texts(chunk);
                    sql
                }
                // One index probe a value, whatever the statistics say: as a join (or
                // `value = any($3)`), a planner with stale statistics — a table an import is
                // filling, whose last analysis saw it nearly empty — read every email of the
                // workspace and hashed them (300 ms a batch of 500 at a million rows). The
                // `limit 1` keeps the lateral subquery from being flattened into that join;
                // (workspace, kind, value) is unique, so it drops nothing.
                Dialect::Postgres => e.sql(
                    "select v.value, i.contact_id from unnest($3::text[]) as v(value) \
                     cross join lateral (select contact_id from contact_identities \
                     where workspace_id = $1 and kind = $2 and value = v.value limit 1) i",
                    [
                        Param::Uuid(ws.0),
                        Param::Text(kind.as_str().to_owned()),
                        Param::Texts(chunk.to_vec()),
                    ],
                ),
            };
            for (value, id) in e
                .fetch(sql, |r| {
                    Ok((
                        required("value", r.text("value")?)?,
                        ContactId(required("contact_id", r.uuid("contact_id")?)?),
                    ))
                })
                .await?
            {
                known.identities.insert((kind, value), id);
            }
        }
    }
    let mut ids: Vec<ContactId> = known
        .external
        .values()
        .chain(known.identities.values())
        .copied()
        .collect();
    ids.sort_unstable_by_key(|c| c.0);
    ids.dedup();
    for c in crate::contacts_store::contacts_by_id(e, ws, &ids).await? {
        known.contacts.insert(c.id, c);
    }
    for chunk in keys.domains.chunks(ROWS) {
        let mut sql = Sql::new(
            e.dialect(),
            "select domain, company_id from company_domains where workspace_id = ",
        );
        sql.bind(Param::Uuid(ws.0)).push(" and domain");
        sql.bind_texts(chunk);
        for (domain, company) in e
            .fetch(sql, |r| {
                Ok((
                    required("domain", r.text("domain")?)?,
                    CompanyId(required("company_id", r.uuid("company_id")?)?),
                ))
            })
            .await?
        {
            known.company_domains.insert(domain, company);
        }
    }
    // An id or identity whose contact was not read (erased between the reads) names nobody.
    known
        .external
        .retain(|_, id| known.contacts.contains_key(id));
    known
        .identities
        .retain(|_, id| known.contacts.contains_key(id));
    Ok(known)
}

pub async fn write_contact_import(e: &impl Engine, w: &ContactWrites) -> Result<(), StoreError> {
    if w.is_empty() {
        return Ok(());
    }
    let d = e.dialect();
    let ws = w.workspace;
    let mut steps = Vec::new();
    let mut events: Vec<(ContactId, NewEvent)> = Vec::new();
    if !w.inserts.is_empty() {
        // New people's journeys are written here, a row each, with the triggers that would
        // write them row by row (an insert and an update each) set aside meanwhile.
        steps.push(Step::any(e.sql(d.pause_journeys(true), [])));
        for chunk in w.inserts.chunks(ROWS) {
            steps.push(Step::any(insert_contacts(e, chunk)));
        }
        let first_stages: Vec<_> = w
            .inserts
            .iter()
            .map(|c| (c.id, c.stage, c.created_at))
            .collect();
        for chunk in first_stages.chunks(ROWS) {
            steps.push(Step::any(insert_stage_rows(d, ws, &w.actor, chunk)));
        }
        // In the order of the journeys' key (SQLite clusters them by entry time).
        let mut by_entry: Vec<&Contact> = w.inserts.iter().collect();
        by_entry.sort_unstable_by_key(|c| (c.created_at, c.id.0));
        for chunk in by_entry.chunks(ROWS) {
            steps.push(Step::any(insert_journeys(d, chunk)));
        }
        steps.push(Step::any(e.sql(d.pause_journeys(false), [])));
        for c in &w.inserts {
            events.push((c.id, stage_event(None, c.stage, &w.actor, c.created_at)));
        }
    }
    let mut stage_rows = Vec::new();
    for u in &w.updates {
        steps.push(Step::must_change(update_contact(
            e,
            &u.contact,
            u.read_updated_at,
        )));
        if let Some(from) = u.stage_from {
            steps.push(Step::any(e.sql(
                "update contact_stages set left_at = $1 where contact_id = $2 and left_at is null",
                [w.now.into(), u.contact.id.0.into()],
            )));
            stage_rows.push((u.contact.id, u.contact.stage, w.now));
            events.push((
                u.contact.id,
                stage_event(Some(from), u.contact.stage, &w.actor, w.now),
            ));
        }
    }
    for chunk in w.identities.chunks(ROWS) {
        let mut sql = Sql::new(
            d,
            "insert into contact_identities (workspace_id, kind, value, contact_id) values ",
        );
        for (i, (id, kind, value)) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(Param::Uuid(ws.0)).push(", ");
            sql.bind(Param::Text(kind.as_str().to_owned())).push(", ");
            sql.bind(Param::Text(value.clone())).push(", ");
            sql.bind(Param::Uuid(id.0)).push(")");
        }
        steps.push(Step::any(sql));
    }
    for chunk in stage_rows.chunks(ROWS) {
        steps.push(Step::any(insert_stage_rows(d, ws, &w.actor, chunk)));
    }
    for chunk in events.chunks(ROWS) {
        let mut sql = Sql::new(
            d,
            "insert into events (id, workspace_id, contact_id, kind, occurred_at, properties) values ",
        );
        for (i, (contact, ev)) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(Param::Uuid(ev.id.0)).push(", ");
            sql.bind(Param::Uuid(ws.0)).push(", ");
            sql.bind(Param::Uuid(contact.0)).push(", ");
            sql.bind(Param::Text(ev.kind.as_str().to_owned()))
                .push(", ");
            sql.bind(Param::Time(ev.occurred_at)).push(", ");
            bind_json(&mut sql, ev.properties.to_string());
            sql.push(")");
        }
        steps.push(Step::any(sql));
    }
    for chunk in w.external_ids.chunks(ROWS) {
        let mut sql = Sql::new(
            d,
            "insert into contact_external_ids (workspace_id, external_id, contact_id) values ",
        );
        for (i, (x, id)) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(Param::Uuid(ws.0)).push(", ");
            sql.bind(Param::Text(x.clone())).push(", ");
            sql.bind(Param::Uuid(id.0)).push(")");
        }
        steps.push(Step::any(sql));
    }
    let mut by_company: std::collections::BTreeMap<CompanyId, Vec<uuid::Uuid>> =
        std::collections::BTreeMap::new();
    for (contact, company) in &w.links {
        by_company.entry(*company).or_default().push(contact.0);
    }
    for (company, contacts) in by_company {
        for chunk in contacts.chunks(ROWS) {
            steps.push(Step::any(link_company(e, ws, company, chunk)));
        }
    }
    steps.extend(
        crate::duplicates_store::record_sql(
            d,
            ws,
            &w.duplicates,
            closer_domain::contact::duplicates::DuplicateReason::SharedIdentity,
            w.now,
        )
        .map(Step::any),
    );
    e.transaction(steps).await
}

/// Open stage rows: (contact, stage, entered at).
fn insert_stage_rows(
    d: Dialect,
    ws: WorkspaceId,
    actor: &str,
    rows: &[(ContactId, Stage, Timestamp)],
) -> Sql {
    let mut sql = Sql::new(
        d,
        "insert into contact_stages (id, workspace_id, contact_id, stage, entered_at, left_at, changed_by) values ",
    );
    for (i, (id, stage, at)) in rows.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" });
        sql.bind(Param::Uuid(Uuid::now_v7())).push(", ");
        sql.bind(Param::Uuid(ws.0)).push(", ");
        sql.bind(Param::Uuid(id.0)).push(", ");
        sql.bind(Param::Text(stage.as_str().to_owned())).push(", ");
        sql.bind(Param::Time(*at)).push(", null, ");
        sql.bind(Param::Text(actor.to_owned())).push(")");
    }
    sql
}

/// New people's journeys, as the triggers make them from a contact and its first stage row
/// (migrations 0006, 0008): in the funnel since their creation, at their stage since then.
fn insert_journeys(d: Dialect, contacts: &[&Contact]) -> Sql {
    let mut sql = Sql::new(
        d,
        "insert into journeys (contact_id, workspace_id, entered_at, owner_id, lead_at, \
         prospect_at, opportunity_at, customer_at) values ",
    );
    for (i, c) in contacts.iter().enumerate() {
        let at = |stage: Stage| (c.stage == stage).then_some(c.created_at);
        sql.push(if i == 0 { "(" } else { ", (" });
        sql.bind(Param::Uuid(c.id.0)).push(", ");
        sql.bind(Param::Uuid(c.workspace_id.0)).push(", ");
        sql.bind(Param::Time(c.created_at)).push(", ");
        sql.bind(Param::MaybeUuid(c.owner_id.map(|o| o.0)))
            .push(", ");
        sql.bind(Param::MaybeTime(at(Stage::Lead))).push(", ");
        sql.bind(Param::MaybeTime(at(Stage::Prospect))).push(", ");
        sql.bind(Param::MaybeTime(at(Stage::Opportunity)))
            .push(", ");
        sql.bind(Param::MaybeTime(at(Stage::Customer))).push(")");
    }
    sql
}

/// A JSON value as a placeholder (text on SQLite, `jsonb` on PostgreSQL).
pub(crate) fn bind_json(sql: &mut Sql, value: String) {
    let json = sql.dialect.json_text(&sql.next_placeholder());
    sql.push(&json);
    sql.params.push(Param::Text(value));
}

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).expect("plain data serialises")
}

/// The contact's columns from `name` to `search`, bound in order.
fn bind_fields(sql: &mut Sql, c: &Contact, sep: &[&str; 12]) {
    sql.push(sep[0]).bind(Param::MaybeText(c.name.clone()));
    sql.push(sep[1]);
    bind_json(sql, json(&c.emails));
    sql.push(sep[2]);
    bind_json(sql, json(&c.phones));
    sql.push(sep[3]).bind(Param::MaybeText(c.company.clone()));
    sql.push(sep[4]).bind(Param::MaybeText(c.job_title.clone()));
    sql.push(sep[5]);
    bind_json(sql, json(&c.properties));
    sql.push(sep[6])
        .bind(Param::Text(c.stage.as_str().to_owned()));
    sql.push(sep[7])
        .bind(Param::MaybeUuid(c.owner_id.map(|o| o.0)));
    sql.push(sep[8])
        .bind(Param::MaybeBool(c.consent.as_ref().map(|x| x.granted)));
    sql.push(sep[9])
        .bind(Param::MaybeTime(c.consent.as_ref().map(|x| x.at)));
    sql.push(sep[10]).bind(Param::MaybeText(
        c.consent.as_ref().and_then(|x| x.source.clone()),
    ));
    sql.push(sep[11]).bind(Param::Text(search_text(c)));
}

fn insert_contacts(e: &impl Engine, chunk: &[Contact]) -> Sql {
    let mut sql = Sql::new(
        e.dialect(),
        "insert into contacts (id, workspace_id, name, emails, phones, company, job_title, \
         properties, stage, owner_id, consent_granted, consent_at, consent_source, search, \
         created_at, updated_at) values ",
    );
    for (i, c) in chunk.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" });
        sql.bind(Param::Uuid(c.id.0)).push(", ");
        sql.bind(Param::Uuid(c.workspace_id.0));
        bind_fields(&mut sql, c, &[", "; 12]);
        sql.push(", ").bind(Param::Time(c.created_at));
        sql.push(", ").bind(Param::Time(c.updated_at)).push(")");
    }
    sql
}

pub(crate) fn update_contact(
    e: &impl Engine,
    c: &Contact,
    read_updated_at: closer_domain::Timestamp,
) -> Sql {
    let mut sql = Sql::new(e.dialect(), "update contacts set ");
    bind_fields(
        &mut sql,
        c,
        &[
            "name = ",
            ", emails = ",
            ", phones = ",
            ", company = ",
            ", job_title = ",
            ", properties = ",
            ", stage = ",
            ", owner_id = ",
            ", consent_granted = ",
            ", consent_at = ",
            ", consent_source = ",
            ", search = ",
        ],
    );
    sql.push(", updated_at = ").bind(Param::Time(c.updated_at));
    sql.push(" where workspace_id = ")
        .bind(Param::Uuid(c.workspace_id.0));
    sql.push(" and id = ").bind(Param::Uuid(c.id.0));
    sql.push(" and updated_at = ")
        .bind(Param::Time(read_updated_at));
    sql
}

/// Links the contacts to the company their email's domain names, unless they have one or
/// someone set theirs by hand.
fn link_company(e: &impl Engine, ws: WorkspaceId, company: CompanyId, ids: &[Uuid]) -> Sql {
    let d = e.dialect();
    let mut sql = e.sql(
        &format!(
            // By key: SQLite would otherwise walk an index of the workspace's contacts.
            "update contacts set company_id = $1 where {} = $2 and {} is null \
             and company_manual = false and id",
            d.unindexed("workspace_id"),
            d.unindexed("company_id")
        ),
        [Param::Uuid(company.0), Param::Uuid(ws.0)],
    );
    sql.bind_ids(ids);
    sql
}

pub async fn existing_orders(
    e: &impl Engine,
    ws: WorkspaceId,
    ids: &[closer_domain::pipeline::OrderId],
) -> Result<Vec<closer_domain::pipeline::OrderId>, StoreError> {
    let mut found = Vec::new();
    for chunk in ids.chunks(ROWS) {
        let keys: Vec<Uuid> = chunk.iter().map(|o| o.0).collect();
        let mut sql = Sql::new(e.dialect(), "select id from orders where workspace_id = ");
        sql.bind(Param::Uuid(ws.0)).push(" and id");
        sql.bind_ids(&keys);
        found.extend(
            e.fetch(sql, |r| {
                Ok(closer_domain::pipeline::OrderId(required(
                    "id",
                    r.uuid("id")?,
                )?))
            })
            .await?,
        );
    }
    Ok(found)
}
