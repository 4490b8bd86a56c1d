//! Contact writes, run on the writer thread (`writer.rs`) inside the batch's transaction and
//! the write's own savepoint: upsert with dedupe, patch, erase. Writes never interleave, so
//! dedupe needs no retry here.

use closer_domain::contact::duplicates::{DuplicateReason, pairs_with};
use closer_domain::contact::upsert::{
    IdentityKind, draft_identities, plan_upsert, search_text, stage_event_why,
};
use closer_domain::{Contact, ContactId, ContactPatch, NewEvent, Stage, Timestamp, WorkspaceId};
use closer_store::{IDENTITY_CONSTRAINT, StoreError, UpsertContact, Upserted};
use rusqlite::{Connection, OptionalExtension, Row, params};
use uuid::Uuid;

use crate::error::{rs_err, rs_err_fk};
use crate::rows::{self, to_json};

const OWNER_FK: &str = "contacts_owner_fk";

/// A contact from a row of `CONTACT_COLUMNS` (by name).
pub(crate) fn contact(row: &Row<'_>) -> Result<Contact, StoreError> {
    rows::contact(row)
}

fn load(conn: &Connection, ws: WorkspaceId, id: ContactId) -> Result<Contact, StoreError> {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let sql = SQL.get_or_init(|| {
        format!(
            "select {} from contacts where workspace_id = ?1 and id = ?2",
            rows::CONTACT_COLUMNS
        )
    });
    let mut stmt = conn.prepare_cached(sql).map_err(rs_err)?;
    let mut found = stmt.query(params![ws.0, id.0]).map_err(rs_err)?;
    match found.next().map_err(rs_err)? {
        Some(row) => contact(row),
        None => Err(StoreError::NotFound),
    }
}

/// Inserts a new contact; `first_touch` is its earliest touching activity's time, which a
/// contact created by the row paths does not have yet (bulk loads know it).
pub(crate) fn insert(
    conn: &Connection,
    c: &Contact,
    first_touch: Option<closer_domain::Timestamp>,
) -> Result<(), StoreError> {
    conn.prepare_cached(include_str!("../queries/insert_contact.sql"))
        .and_then(|mut s| {
            s.execute(params![
                c.id.0,
                c.workspace_id.0,
                c.name,
                to_json(&c.emails),
                to_json(&c.phones),
                c.company,
                c.job_title,
                to_json(&c.properties),
                c.stage.as_str(),
                c.owner_id.map(|o| o.0),
                c.consent.as_ref().map(|x| x.granted),
                c.consent.as_ref().map(|x| x.at.unix_micros()),
                c.consent.as_ref().and_then(|x| x.source.clone()),
                search_text(c),
                c.created_at.unix_micros(),
                c.updated_at.unix_micros(),
                first_touch.map(closer_domain::Timestamp::unix_micros),
            ])
        })
        .map_err(rs_err_fk(OWNER_FK))?;
    Ok(())
}

fn update(conn: &Connection, c: &Contact) -> Result<(), StoreError> {
    conn.prepare_cached(include_str!("../queries/update_contact.sql"))
        .and_then(|mut s| {
            s.execute(params![
                c.name,
                to_json(&c.emails),
                to_json(&c.phones),
                c.company,
                c.job_title,
                to_json(&c.properties),
                c.stage.as_str(),
                c.owner_id.map(|o| o.0),
                c.consent.as_ref().map(|x| x.granted),
                c.consent.as_ref().map(|x| x.at.unix_micros()),
                c.consent.as_ref().and_then(|x| x.source.clone()),
                search_text(c),
                c.updated_at.unix_micros(),
                c.workspace_id.0,
                c.id.0,
            ])
        })
        .map_err(rs_err_fk(OWNER_FK))?;
    Ok(())
}

/// Makes the identity rows match the contact's emails and phones. A value that belongs to
/// another contact is a conflict.
pub(crate) fn write_identities(
    conn: &Connection,
    c: &Contact,
    replace: bool,
) -> Result<(), StoreError> {
    if replace {
        conn.prepare_cached("delete from contact_identities where contact_id = ?1")
            .and_then(|mut s| s.execute(params![c.id.0]))
            .map_err(rs_err)?;
    }
    let mut stmt = conn
        .prepare_cached(
            "insert into contact_identities (workspace_id, kind, value, contact_id) values (?1, ?2, ?3, ?4) \
             on conflict (workspace_id, kind, value) do update set contact_id = contact_id \
             where contact_identities.contact_id = excluded.contact_id",
        )
        .map_err(rs_err)?;
    let emails = c.emails.iter().map(|e| (IdentityKind::Email, e.as_str()));
    let phones = c.phones.iter().map(|p| (IdentityKind::Phone, p.as_str()));
    for (kind, value) in emails.chain(phones) {
        // 0 rows: the value belongs to another contact.
        if stmt
            .execute(params![c.workspace_id.0, kind.as_str(), value, c.id.0])
            .map_err(rs_err)?
            == 0
        {
            return Err(StoreError::Conflict {
                constraint: IDENTITY_CONSTRAINT.into(),
            });
        }
    }
    Ok(())
}

pub(crate) fn insert_event(
    conn: &Connection,
    ws: WorkspaceId,
    contact: ContactId,
    e: &NewEvent,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "insert into events (id, workspace_id, contact_id, kind, occurred_at, properties) values (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .and_then(|mut s| {
        s.execute(params![e.id.0, ws.0, contact.0, e.kind.as_str(), e.occurred_at.unix_micros(), to_json(&e.properties)])
    })
    .map_err(rs_err)?;
    Ok(())
}

/// Closes the open stage row (never before it opened) and opens the contact's current stage,
/// with the mover's reason if they gave one.
fn move_stage(
    conn: &Connection,
    c: &Contact,
    from: Option<Stage>,
    (actor, reason): (&str, Option<&str>),
    now: Timestamp,
) -> Result<(), StoreError> {
    // A new contact (`from` is None) has no open row to close.
    let at = if from.is_some() {
        let open: Option<i64> = conn
            .prepare_cached("select max(entered_at) from contact_stages where contact_id = ?1 and left_at is null")
            .and_then(|mut s| s.query_row(params![c.id.0], |r| r.get(0)))
            .map_err(rs_err)?;
        let at =
            closer_domain::stage::next_stay_start(open.and_then(Timestamp::from_unix_micros), now)
                .unix_micros();
        conn.prepare_cached(
            "update contact_stages set left_at = ?1 where contact_id = ?2 and left_at is null",
        )
        .and_then(|mut s| s.execute(params![at, c.id.0]))
        .map_err(rs_err)?;
        at
    } else {
        now.unix_micros()
    };
    conn.prepare_cached(
        "insert into contact_stages (id, workspace_id, contact_id, stage, entered_at, left_at, changed_by, reason) \
         values (?1, ?2, ?3, ?4, ?5, null, ?6, ?7)",
    )
    .and_then(|mut s| s.execute(params![Uuid::now_v7(), c.workspace_id.0, c.id.0, c.stage.as_str(), at, actor, reason]))
    .map_err(rs_err)?;
    insert_event(
        conn,
        c.workspace_id,
        c.id,
        &stage_event_why(from, c.stage, actor, rows::ts(at)?, reason),
    )
}

pub(crate) fn upsert(
    conn: &Connection,
    ws: WorkspaceId,
    req: UpsertContact,
) -> Result<Upserted, StoreError> {
    let mut owners = Vec::new();
    {
        let mut lookup = conn
            .prepare_cached("select contact_id from contact_identities where workspace_id = ?1 and kind = ?2 and value = ?3")
            .map_err(rs_err)?;
        for (kind, value) in draft_identities(&req.draft) {
            let owner: Option<Uuid> = lookup
                .query_row(params![ws.0, kind.as_str(), value], |r| r.get(0))
                .optional()
                .map_err(rs_err)?;
            if let Some(id) = owner {
                owners.push((kind, value, ContactId(id)));
            }
        }
    }
    let (target, draft, others) = plan_upsert(req.draft, &owners);
    let (contact, created) = if let Some(id) = target {
        let mut c = load(conn, ws, id)?;
        let identities_before = (c.emails.len(), c.phones.len());
        let outcome = c.merge(&draft, req.overwrite, req.now);
        if outcome.changed {
            update(conn, &c)?;
        }
        if identities_before != (c.emails.len(), c.phones.len()) {
            write_identities(conn, &c, false)?;
        }
        if let Some((from, _)) = outcome.stage_change {
            move_stage(conn, &c, Some(from), (&req.actor, None), req.now)?;
        }
        (c, false)
    } else {
        let c = Contact::from_draft(ContactId::new(), ws, draft, req.now);
        insert(conn, &c, None)?;
        write_identities(conn, &c, false)?;
        move_stage(conn, &c, None, (&req.actor, None), req.now)?;
        (c, true)
    };
    if let Some(event) = &req.event {
        insert_event(conn, ws, contact.id, event)?;
    }
    // The other holders of the draft's identities may be the same person.
    if let Some(sql) = closer_store_sql::duplicates_store::record_sql(
        closer_store_sql::Dialect::Sqlite,
        ws,
        &pairs_with(contact.id, &others),
        DuplicateReason::SharedIdentity,
        req.now,
    ) {
        conn.prepare_cached(&sql.text)
            .and_then(|mut s| s.execute(crate::read::params(&sql)))
            .map_err(rs_err)?;
    }
    if let Some(visitor) = &req.visitor {
        // A visitor that is already someone else's stays theirs (`Link::Other`).
        crate::traffic_write::link(conn, ws, visitor, contact.id, req.now)?;
    }
    Ok(Upserted { contact, created })
}

pub(crate) fn patch(
    conn: &Connection,
    ws: WorkspaceId,
    id: ContactId,
    patch: &ContactPatch,
    actor: &str,
    now: Timestamp,
) -> Result<Contact, StoreError> {
    let mut c = load(conn, ws, id)?;
    if !patch.still_applies_to(&c) {
        return Err(StoreError::Conflict {
            constraint: closer_store::CONTACT_CHANGED.into(),
        });
    }
    let outcome = c.apply(patch, now);
    if outcome.changed {
        update(conn, &c)?;
        if patch.emails.is_some() || patch.phones.is_some() {
            write_identities(conn, &c, true)?;
        }
    }
    if let Some((from, _)) = outcome.stage_change {
        move_stage(
            conn,
            &c,
            Some(from),
            (actor, patch.stage_reason.as_deref()),
            now,
        )?;
    }
    Ok(c)
}

pub(crate) fn erase(
    conn: &Connection,
    ws: WorkspaceId,
    id: ContactId,
    now: Timestamp,
) -> Result<(), StoreError> {
    // The tracked history of the contact's visitors goes first (it is found through the
    // links); identities, links, stage rows and events go with the contact (on delete cascade).
    crate::traffic_write::erase_history(conn, ws, id)?;
    let gone = conn
        .prepare_cached("delete from contacts where workspace_id = ?1 and id = ?2")
        .and_then(|mut s| s.execute(params![ws.0, id.0]))
        .map_err(rs_err)?;
    if gone == 0 {
        return Err(StoreError::NotFound);
    }
    // The ids merged into the erased contact would still lead to it.
    conn.prepare_cached("delete from contact_merges where workspace_id = ?1 and into_id = ?2")
        .and_then(|mut s| s.execute(params![ws.0, id.0]))
        .map_err(rs_err)?;
    conn.prepare_cached(
        "insert into erasures (id, workspace_id, contact_id, erased_at) values (?1, ?2, ?3, ?4)",
    )
    .and_then(|mut s| s.execute(params![Uuid::now_v7(), ws.0, id.0, now.unix_micros()]))
    .map_err(rs_err)?;
    Ok(())
}
