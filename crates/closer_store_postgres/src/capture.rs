//! The contact upsert (every capture) in two round trips: one statement reads who owns the
//! draft's identities, with the owner's row and its version; the domain decides what to write;
//! one call of `capture_write` (migration 0014) writes it all as one implicit transaction.
//! A version that moved or an identity taken meanwhile sends the caller round again
//! (`ContactStore::upsert_contact` retries, locking the row it reads once optimism has failed:
//! many concurrent captures of one person then queue instead of starving).

use closer_domain::contact::duplicates::{DuplicateReason, pairs_with};
use closer_domain::contact::upsert::{
    IdentityKind, draft_identities, plan_upsert, search_text, stage_event,
};
use closer_domain::{Contact, ContactId, NewEvent, Timestamp, WorkspaceId};
use closer_store::{StoreError, UpsertContact, Upserted};
use sqlx::PgConnection;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::db_err;
use crate::rows::{self, CONTACT_COLUMNS};

/// The owners of the draft's identities in the draft's order, each with its contact row, the
/// row's version (`xmin`: it changes with every update) and when its open stage began. The
/// `limit 1` keeps the lateral lookup a per-identity index probe (a subquery without it is
/// pulled up into a join the planner may hash over every identity of the workspace).
fn lookup_sql(lock: bool) -> &'static str {
    static PLAIN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    static LOCKED: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let build = |suffix: &str| {
        format!(
            "select k.n, c.xmin::text as version, \
               (select max(s.entered_at) from contact_stages s \
                where s.contact_id = c.id and s.left_at is null) as open_since, \
               {CONTACT_COLUMNS} \
             from unnest($2::text[], $3::text[]) with ordinality as k(kind, value, n) \
             join lateral (select i.contact_id from contact_identities i \
               where i.workspace_id = $1 and i.kind = k.kind and i.value = k.value limit 1) i on true \
             join contacts c on c.id = i.contact_id \
             order by k.n{suffix}"
        )
    };
    if lock {
        LOCKED.get_or_init(|| build(" for update of c"))
    } else {
        PLAIN.get_or_init(|| build(""))
    }
}

const WRITE_SQL: &str = "select capture_write($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
     $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29)";

/// What one attempt writes.
struct Write {
    contact: Contact,
    created: bool,
    /// The version the row was read at, when the row is rewritten.
    version: Option<String>,
    /// Identities the contact gains: (kind, value).
    identities: (Vec<&'static str>, Vec<String>),
    /// The stage row opened, and when: (row id, at).
    stage: Option<(Uuid, Timestamp)>,
    events: Vec<NewEvent>,
}

/// How one attempt ended (moved straight to the caller, never stored: the size of the
/// written contact is no cost).
#[allow(clippy::large_enum_variant)]
pub(crate) enum Attempt {
    Written(Upserted),
    /// The contact changed or went between read and write: try again.
    Changed,
    /// The draft names identities of other contacts too: the write and the possible
    /// duplicates it records must go in one transaction, which the caller holds next time.
    NeedsTransaction,
}

/// One attempt. With `lock`, the owner's row is locked as it is read (the caller holds a
/// transaction).
pub(crate) async fn try_upsert(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    req: &UpsertContact,
    lock: bool,
) -> Result<Attempt, StoreError> {
    let identities = draft_identities(&req.draft);
    let (kinds, values): (Vec<&str>, Vec<&str>) = identities
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .unzip();
    let found = sqlx::query(lookup_sql(lock))
        .bind(ws.0)
        .bind(&kinds)
        .bind(&values)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
    let mut owners = Vec::with_capacity(found.len());
    for row in &found {
        let n: i64 = rows::get(row, "n")?;
        let (kind, value) = usize::try_from(n - 1)
            .ok()
            .and_then(|i| identities.get(i))
            .ok_or_else(|| StoreError::Corrupt(format!("identity lookup answered position {n}")))?;
        owners.push((*kind, value.clone(), ContactId(rows::get(row, "id")?)));
    }
    let (target, draft, others) = plan_upsert(req.draft.clone(), &owners);
    if !others.is_empty() && !lock {
        return Ok(Attempt::NeedsTransaction);
    }
    let write = match target {
        None => created(ws, draft, req),
        // The target is the first owner, so its row is the first row read.
        Some(_) => merged(&found[0], &draft, req)?,
    };
    let c = &write.contact;
    let consent = c.consent.as_ref();
    let (event_ids, event_kinds, event_at, event_props) = event_columns(&write.events);
    let written: bool = sqlx::query_scalar(WRITE_SQL)
        .bind(ws.0)
        .bind(c.id.0)
        .bind(write.created)
        .bind(write.version.as_deref())
        .bind(&c.name)
        .bind(Json(&c.emails))
        .bind(Json(&c.phones))
        .bind(&c.company)
        .bind(&c.job_title)
        .bind(Json(&c.properties))
        .bind(c.stage.as_str())
        .bind(c.owner_id.map(|o| o.0))
        .bind(consent.map(|x| x.granted))
        .bind(consent.map(|x| x.at.get()))
        .bind(consent.and_then(|x| x.source.clone()))
        .bind(search_text(c))
        .bind(c.created_at.get())
        .bind(c.updated_at.get())
        .bind(&write.identities.0)
        .bind(&write.identities.1)
        .bind(write.stage.map(|(id, _)| id))
        .bind(write.stage.map(|(_, at)| at.get()))
        .bind(&req.actor)
        .bind(&event_ids)
        .bind(&event_kinds)
        .bind(&event_at)
        .bind(&event_props)
        .bind(
            req.visitor
                .as_ref()
                .map(closer_domain::traffic::VisitorKey::as_str),
        )
        .bind(req.now.get())
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
    if !written {
        return Ok(Attempt::Changed);
    }
    // The other holders of the draft's identities may be the same person.
    if let Some(sql) = closer_store_sql::duplicates_store::record_sql(
        closer_store_sql::Dialect::Postgres,
        ws,
        &pairs_with(write.contact.id, &others),
        DuplicateReason::SharedIdentity,
        req.now,
    ) {
        crate::rows::query(&sql)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
    }
    Ok(Attempt::Written(Upserted {
        contact: write.contact,
        created: write.created,
    }))
}

/// A new person: the contact, all its identities, its first stage and the events.
fn created(ws: WorkspaceId, draft: closer_domain::ContactDraft, req: &UpsertContact) -> Write {
    let contact = Contact::from_draft(ContactId::new(), ws, draft, req.now);
    let identities = contact
        .emails
        .iter()
        .map(|e| (IdentityKind::Email.as_str(), e.as_str().to_owned()))
        .chain(
            contact
                .phones
                .iter()
                .map(|p| (IdentityKind::Phone.as_str(), p.as_str().to_owned())),
        )
        .unzip();
    let mut events = vec![stage_event(None, contact.stage, &req.actor, req.now)];
    events.extend(req.event.clone());
    Write {
        contact,
        created: true,
        version: None,
        identities,
        stage: Some((Uuid::now_v7(), req.now)),
        events,
    }
}

/// A known person: the draft merged into the row read, and what the merge changed.
fn merged(
    row: &PgRow,
    draft: &closer_domain::ContactDraft,
    req: &UpsertContact,
) -> Result<Write, StoreError> {
    let mut contact = rows::contact(row)?;
    let version: String = rows::get(row, "version")?;
    let open_since = rows::ts_opt(row, "open_since")?;
    let before = (contact.emails.clone(), contact.phones.clone());
    let outcome = contact.merge(draft, req.overwrite, req.now);
    let identities = contact
        .emails
        .iter()
        .filter(|e| !before.0.contains(e))
        .map(|e| (IdentityKind::Email.as_str(), e.as_str().to_owned()))
        .chain(
            contact
                .phones
                .iter()
                .filter(|p| !before.1.contains(p))
                .map(|p| (IdentityKind::Phone.as_str(), p.as_str().to_owned())),
        )
        .unzip();
    let mut events = Vec::new();
    let stage = outcome.stage_change.map(|(from, _)| {
        // The new stay never begins before the one it closes.
        let at = closer_domain::stage::next_stay_start(open_since, req.now);
        events.push(stage_event(Some(from), contact.stage, &req.actor, at));
        (Uuid::now_v7(), at)
    });
    events.extend(req.event.clone());
    let rewrite = outcome.changed || stage.is_some();
    Ok(Write {
        contact,
        created: false,
        version: rewrite.then_some(version),
        identities,
        stage,
        events,
    })
}

type EventColumns = (
    Vec<Uuid>,
    Vec<&'static str>,
    Vec<OffsetDateTime>,
    Vec<Json<serde_json::Value>>,
);

fn event_columns(events: &[NewEvent]) -> EventColumns {
    let mut cols: EventColumns = Default::default();
    for e in events {
        cols.0.push(e.id.0);
        cols.1.push(e.kind.as_str());
        cols.2.push(e.occurred_at.get());
        cols.3.push(Json(e.properties.clone()));
    }
    cols
}
