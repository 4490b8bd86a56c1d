//! Possible duplicates for people to act on: the pairs a capture or import recorded, and
//! those of the same name at the same company (scanned as the list is read, from what
//! changed since the last scan), each as the record to keep — the older — and the other;
//! and dismissing a pair ("not the same person").

use closer_domain::access::Action;
use closer_domain::contact::duplicates::{DuplicateReason, pair};
use closer_domain::{Contact, ContactId, Timestamp};

use crate::contacts::readable_contact;
use crate::{AppError, Contacts, Principal};

/// Most pairs a list returns.
pub const MAX_PAIRS: u32 = 200;

/// A pair as people see it: the record suggested to keep (the older) and the other.
#[derive(Debug, Clone)]
pub struct DuplicatePair {
    pub keep: Contact,
    pub other: Contact,
    pub reason: DuplicateReason,
    pub found_at: Timestamp,
}

impl Contacts {
    /// The pairs nobody merged or dismissed whose both records the principal may edit, the
    /// latest found first.
    pub async fn duplicates(
        &self,
        principal: &Principal,
        limit: u32,
    ) -> Result<Vec<DuplicatePair>, AppError> {
        principal.check(Action::EditContacts, principal.user())?;
        if !(1..=MAX_PAIRS).contains(&limit) {
            return Err(AppError::invalid("limit", format!("must be 1–{MAX_PAIRS}")));
        }
        let ws = principal.workspace_id;
        let store = self.store();
        store.scan_duplicates(ws, Timestamp::now()).await?;
        // Read more than asked: the ones the principal may not edit are left out.
        let found = store.possible_duplicates(ws, MAX_PAIRS * 5).await?;
        let mut ids: Vec<ContactId> = found.iter().flat_map(|d| [d.a, d.b]).collect();
        ids.sort_unstable_by_key(|c| c.0);
        ids.dedup();
        let contacts: std::collections::HashMap<ContactId, Contact> = store
            .contacts_by_id(ws, &ids)
            .await?
            .into_iter()
            .filter(|c| {
                principal
                    .check_record(Action::ReadContacts, Action::EditContacts, c.owner_id)
                    .is_ok()
            })
            .map(|c| (c.id, c))
            .collect();
        let mut out = Vec::new();
        for d in found {
            let (Some(a), Some(b)) = (contacts.get(&d.a), contacts.get(&d.b)) else {
                continue;
            };
            let (keep, other) = if (b.created_at, b.id.0) < (a.created_at, a.id.0) {
                (b, a)
            } else {
                (a, b)
            };
            out.push(DuplicatePair {
                keep: keep.clone(),
                other: other.clone(),
                reason: d.reason,
                found_at: d.found_at,
            });
            if out.len() >= limit as usize {
                break;
            }
        }
        Ok(out)
    }

    /// "Not the same person": the pair is no longer listed, nor found again.
    pub async fn dismiss_duplicate(
        &self,
        principal: &Principal,
        x: ContactId,
        y: ContactId,
    ) -> Result<(), AppError> {
        let pair = pair(x, y).ok_or_else(|| {
            AppError::invalid("contacts", "a contact is not a duplicate of itself")
        })?;
        let store = self.store().as_ref();
        for id in [x, y] {
            readable_contact(store, principal, Action::EditContacts, id).await?;
        }
        store
            .dismiss_duplicate(principal.workspace_id, pair, Timestamp::now())
            .await?;
        Ok(())
    }
}
