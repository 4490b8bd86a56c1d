//! The people the rows of a deal or activity file name: found at once by contact id (or the
//! id a contact import recorded for them), email or phone; or made, when nobody holds them.

use std::collections::{HashMap, HashSet};

use closer_domain::contact::upsert::IdentityKind;
use closer_domain::import::NamesPerson;
use closer_domain::{ContactDraft, ContactId, Email, FieldError, Phone, Timestamp, WorkspaceId};
use closer_store::{BatchKeys, UpsertContact};

use super::Imports;
use crate::AppError;

impl Imports {
    /// Who the rows' people are: by contact id, the id a contact import recorded, email or
    /// phone — read at once.
    pub(super) async fn people<'a, R: NamesPerson + 'a>(
        &self,
        ws: WorkspaceId,
        rows: impl Iterator<Item = &'a R>,
    ) -> Result<People, AppError> {
        let mut keys = BatchKeys::default();
        for row in rows {
            let (contact, email, phone) = (row.contact_id(), row.email(), row.phone());
            if let Some(c) = contact {
                keys.external_ids.push(c.to_owned());
            }
            if let Some(e) = email {
                keys.emails.push(e.as_str().to_owned());
            }
            if let Some(p) = phone {
                keys.phones.push(p.as_str().to_owned());
            }
        }
        for list in [&mut keys.external_ids, &mut keys.emails, &mut keys.phones] {
            list.sort_unstable();
            list.dedup();
        }
        let known = self.store.import_known(ws, &keys).await?;
        // A contact id of this workspace names its contact directly.
        let ids: Vec<ContactId> = keys
            .external_ids
            .iter()
            .filter_map(|x| x.parse().ok())
            .collect();
        let direct: HashSet<ContactId> = self
            .store
            .contacts_by_id(ws, &ids)
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect();
        Ok(People {
            direct,
            external: known.external,
            identities: known.identities,
        })
    }

    /// The contact of a row's person nobody holds yet (or, made meanwhile, the one that does).
    pub(super) async fn make_person(
        &self,
        ws: WorkspaceId,
        draft: ContactDraft,
        actor: &str,
        now: Timestamp,
    ) -> Result<ContactId, AppError> {
        let req = UpsertContact {
            draft,
            overwrite: false,
            event: None,
            actor: actor.to_owned(),
            visitor: None,
            now,
        };
        Ok(self.store.upsert_contact(ws, req).await?.contact.id)
    }
}

/// The people a file's rows name, as the store knows them.
pub(super) struct People {
    direct: HashSet<ContactId>,
    external: HashMap<String, ContactId>,
    identities: HashMap<(IdentityKind, String), ContactId>,
}

impl People {
    /// The contact a row's person is, `None` when nobody holds them yet but the row has an
    /// email or phone to make them by; a row naming only an unknown contact id is refused.
    pub(super) fn of_row(&self, row: &impl NamesPerson) -> Result<Option<ContactId>, FieldError> {
        let (email, phone) = (row.email(), row.phone());
        match self.find(row.contact_id(), email, phone) {
            None if email.is_none() && phone.is_none() => Err(FieldError::new(
                "contact_id",
                "names no contact of this workspace (import the contacts first, or add the person's email)",
            )),
            found => Ok(found),
        }
    }

    /// The contact a row's contact id (or the id a contact file gave them), email or phone
    /// names.
    fn find(
        &self,
        contact: Option<&str>,
        email: Option<&Email>,
        phone: Option<&Phone>,
    ) -> Option<ContactId> {
        contact
            .and_then(|c| {
                c.parse::<ContactId>()
                    .ok()
                    .filter(|id| self.direct.contains(id))
                    .or_else(|| self.external.get(c).copied())
            })
            .or_else(|| {
                email.and_then(|e| {
                    self.identities
                        .get(&(IdentityKind::Email, e.as_str().to_owned()))
                        .copied()
                })
            })
            .or_else(|| {
                phone.and_then(|p| {
                    self.identities
                        .get(&(IdentityKind::Phone, p.as_str().to_owned()))
                        .copied()
                })
            })
    }
}
