//! What importing a batch of contact rows does, decided before anything is written: which
//! record each row is for (its external id's, else the first of its emails and phones that
//! someone holds, as captures dedupe), what it changes there, and the rows to write — new
//! contacts, changed ones, identities, external ids. Pure: the store reads what the batch
//! names, this plans, the store writes the plan in one transaction.
//!
//! The first row of a file for a person sets their fields (the file wins over what is
//! stored); later rows of the same file for that person only fill what is still empty. So a
//! file whose people appear twice imports the same way every time, and importing it again
//! changes nothing.

use std::collections::{HashMap, HashSet};

use crate::contact::upsert::{IdentityKind, draft_identities};
use crate::{CompanyId, Contact, ContactDraft, ContactId, Stage, Timestamp, WorkspaceId};

/// One row to import, read and with its owner resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    /// The row's line in the file (for the report).
    pub line: u64,
    pub external_id: Option<String>,
    pub draft: ContactDraft,
    pub created_at: Option<Timestamp>,
}

/// What the store holds of the people a batch names.
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// External id → its contact.
    pub external: HashMap<String, ContactId>,
    /// Who holds each of the batch's emails and phones.
    pub identities: HashMap<(IdentityKind, String), ContactId>,
    /// The contacts either of the above names, as stored.
    pub contacts: HashMap<ContactId, Contact>,
    /// The companies the batch's email domains name.
    pub company_domains: HashMap<String, CompanyId>,
}

impl Known {
    /// Adds what `writes` make: the contacts written, their emails, phones and external ids.
    pub fn add_written(&mut self, writes: &ContactWrites) {
        for c in writes
            .inserts
            .iter()
            .chain(writes.updates.iter().map(|u| &u.contact))
        {
            for (kind, value) in identities_of(c) {
                self.identities.insert((kind, value), c.id);
            }
            self.contacts.insert(c.id, c.clone());
        }
        for (x, id) in &writes.external_ids {
            self.external.insert(x.clone(), *id);
        }
    }
}

/// What became of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowOutcome {
    Created(ContactId),
    Updated(ContactId),
    Unchanged(ContactId),
    /// For a person an earlier row of the file made or updated: what it still lacked is
    /// filled in from this row.
    Merged(ContactId),
}

impl RowOutcome {
    pub fn contact(self) -> ContactId {
        match self {
            RowOutcome::Created(id)
            | RowOutcome::Updated(id)
            | RowOutcome::Unchanged(id)
            | RowOutcome::Merged(id) => id,
        }
    }
}

/// A stored contact changed by the batch.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactUpdate {
    pub contact: Contact,
    /// When it was last changed as read: the write only applies if it still is (someone
    /// else's change meanwhile makes the batch read and plan again).
    pub read_updated_at: Timestamp,
    /// The stage it was at, when the batch moved it.
    pub stage_from: Option<Stage>,
}

/// The rows a batch writes, in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactWrites {
    pub workspace: WorkspaceId,
    pub actor: String,
    pub now: Timestamp,
    pub inserts: Vec<Contact>,
    pub updates: Vec<ContactUpdate>,
    /// Emails and phones new to their contact.
    pub identities: Vec<(ContactId, IdentityKind, String)>,
    /// External ids seen for the first time.
    pub external_ids: Vec<(String, ContactId)>,
    /// Contacts written without a company whose email's domain names one: linked to it,
    /// unless someone set their company by hand.
    pub links: Vec<(ContactId, CompanyId)>,
    /// Pairs of contacts that may be one person: a row named an email or phone of each
    /// (the row went to the first, the other kept its own), in stored order.
    pub duplicates: Vec<(ContactId, ContactId)>,
}

impl ContactWrites {
    pub fn is_empty(&self) -> bool {
        self.inserts.is_empty()
            && self.updates.is_empty()
            && self.identities.is_empty()
            && self.external_ids.is_empty()
            && self.links.is_empty()
            && self.duplicates.is_empty()
    }

    /// The contacts made or changed: the ones to score.
    pub fn written(&self) -> Vec<ContactId> {
        self.inserts
            .iter()
            .map(|c| c.id)
            .chain(self.updates.iter().map(|u| u.contact.id))
            .collect()
    }
}

/// A batch's plan: each row's outcome, in order, and the writes.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactPlan {
    pub outcomes: Vec<RowOutcome>,
    pub writes: ContactWrites,
}

/// A contact the batch works on: stored (with what it was), or made by the batch.
struct Working {
    contact: Contact,
    changed: bool,
    stored: Option<(Timestamp, Stage)>,
    identities_before: HashSet<(IdentityKind, String)>,
}

/// Plans a batch. `touched` holds the contacts earlier batches of this file made or changed
/// (rows for them only fill); the caller adds this batch's (`RowOutcome::contact`) once it
/// is written.
pub fn plan_contacts<S: std::hash::BuildHasher>(
    workspace: WorkspaceId,
    actor: &str,
    rows: Vec<ImportRow>,
    mut known: Known,
    touched: &HashSet<ContactId, S>,
    now: Timestamp,
) -> ContactPlan {
    let mut mine: HashSet<ContactId> = HashSet::new();
    let mut working: HashMap<ContactId, Working> = HashMap::new();
    let mut order: Vec<ContactId> = Vec::new();
    let mut outcomes = Vec::with_capacity(rows.len());
    let mut external_ids = Vec::new();
    let mut duplicates = Vec::new();
    for row in rows {
        let identities = draft_identities(&row.draft);
        let target = row
            .external_id
            .as_ref()
            .and_then(|x| known.external.get(x).copied())
            .or_else(|| {
                identities
                    .iter()
                    .find_map(|(k, v)| known.identities.get(&(*k, v.clone())).copied())
            });
        let mut draft = row.draft;
        let outcome = match target {
            None => {
                let id = ContactId::new();
                let mut c = Contact::from_draft(id, workspace, draft, now);
                if let Some(at) = row.created_at {
                    c.created_at = at;
                    c.updated_at = at.max(now);
                }
                working.insert(
                    id,
                    Working {
                        contact: c,
                        changed: true,
                        stored: None,
                        identities_before: HashSet::new(),
                    },
                );
                order.push(id);
                RowOutcome::Created(id)
            }
            Some(id) => {
                // One person's email or phone is never moved onto another record; whoever
                // holds it may be the same person.
                for (k, v) in &identities {
                    if let Some(holder) = known.identities.get(&(*k, v.clone()))
                        && let Some(pair) = crate::contact::duplicates::pair(id, *holder)
                    {
                        duplicates.push(pair);
                    }
                }
                draft
                    .emails
                    .retain(|e| free_for(&known, IdentityKind::Email, e.as_str(), id));
                draft
                    .phones
                    .retain(|p| free_for(&known, IdentityKind::Phone, p.as_str(), id));
                let w = working.entry(id).or_insert_with(|| {
                    let contact = known.contacts.remove(&id).unwrap_or_else(|| {
                        // Named by an identity or id but not read: cannot happen when the
                        // store answers consistently; planned as a fresh record then.
                        Contact::from_draft(id, workspace, ContactDraft::default(), now)
                    });
                    order.push(id);
                    let identities_before = identities_of(&contact).into_iter().collect();
                    Working {
                        changed: false,
                        stored: Some((contact.updated_at, contact.stage)),
                        contact,
                        identities_before,
                    }
                });
                let earlier = touched.contains(&id) || mine.contains(&id);
                // An import never moves a person back down the funnel.
                if let (Some(to), Some(now_rank)) = (draft.stage, w.contact.stage.rank())
                    && to.rank().is_some_and(|r| r < now_rank)
                {
                    draft.stage = None;
                }
                let changed = w.contact.merge(&draft, !earlier, now).changed;
                w.changed |= changed;
                if earlier {
                    RowOutcome::Merged(id)
                } else if changed {
                    RowOutcome::Updated(id)
                } else {
                    RowOutcome::Unchanged(id)
                }
            }
        };
        let id = outcome.contact();
        mine.insert(id);
        // Later rows find what this one holds.
        for (k, v) in identities_of(&working[&id].contact) {
            known.identities.entry((k, v)).or_insert(id);
        }
        if let Some(x) = row.external_id
            && !known.external.contains_key(&x)
        {
            known.external.insert(x.clone(), id);
            external_ids.push((x, id));
        }
        outcomes.push(outcome);
    }
    let mut writes = ContactWrites {
        workspace,
        actor: actor.to_owned(),
        now,
        external_ids,
        inserts: Vec::new(),
        updates: Vec::new(),
        identities: Vec::new(),
        links: Vec::new(),
        duplicates,
    };
    writes.duplicates.sort_unstable_by_key(|(a, b)| (a.0, b.0));
    writes.duplicates.dedup();
    for id in order {
        let w = working
            .remove(&id)
            .expect("each planned contact is working");
        for (k, v) in identities_of(&w.contact) {
            if !w.identities_before.contains(&(k, v.clone())) {
                writes.identities.push((id, k, v));
            }
        }
        if (w.changed || w.stored.is_none()) && w.contact.company_id.is_none() {
            let company = w
                .contact
                .emails
                .iter()
                .find_map(|e| known.company_domains.get(e.domain()));
            if let Some(company) = company {
                writes.links.push((id, *company));
            }
        }
        match w.stored {
            None => writes.inserts.push(w.contact),
            Some((read_updated_at, stage)) => {
                if w.changed {
                    writes.updates.push(ContactUpdate {
                        stage_from: (w.contact.stage != stage).then_some(stage),
                        contact: w.contact,
                        read_updated_at,
                    });
                }
            }
        }
    }
    ContactPlan { outcomes, writes }
}

/// Whether `value` is nobody's or already `id`'s.
fn free_for(known: &Known, kind: IdentityKind, value: &str, id: ContactId) -> bool {
    known
        .identities
        .get(&(kind, value.to_owned()))
        .is_none_or(|holder| *holder == id)
}

/// A contact's emails and phones, in order.
fn identities_of(c: &Contact) -> Vec<(IdentityKind, String)> {
    c.emails
        .iter()
        .map(|e| (IdentityKind::Email, e.as_str().to_owned()))
        .chain(
            c.phones
                .iter()
                .map(|p| (IdentityKind::Phone, p.as_str().to_owned())),
        )
        .collect()
}

#[cfg(test)]
mod tests;
