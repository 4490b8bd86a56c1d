//! Merging records of one person into one: the preview (each field's surviving value and why,
//! and how much of the others' history moves) and the merge itself, for anyone who may edit
//! every record involved.

use closer_domain::access::Action;
use closer_domain::contact::merge::{MergePlan, Moves, plan_merge};
use closer_domain::{Contact, ContactId, Timestamp};
use closer_store::{ContactMerge, StoreError};

use crate::contacts::readable_contact;
use crate::{AppError, Contacts, Principal};

/// Most records merged into one at once.
pub const MAX_MERGE: usize = 20;

/// How often a merge reads and plans again when a record changed meanwhile.
const ATTEMPTS: usize = 3;

/// What merging `others` into `keep` does (or did).
#[derive(Debug, Clone)]
pub struct MergePreview {
    pub keep: Contact,
    pub others: Vec<Contact>,
    pub plan: MergePlan,
    pub moves: Moves,
}

impl Contacts {
    /// The records, each one the principal may edit. The kept one as any contact read (a
    /// merged-away id is `Merged`); the others are input: one that is not a contact of the
    /// workspace is a field error naming it.
    async fn merge_records(
        &self,
        principal: &Principal,
        keep: ContactId,
        from: &[ContactId],
    ) -> Result<(Contact, Vec<Contact>), AppError> {
        if from.is_empty() {
            return Err(AppError::invalid("from", "names no contact to merge"));
        }
        if from.len() > MAX_MERGE {
            return Err(AppError::invalid(
                "from",
                format!("merge at most {MAX_MERGE} contacts at once"),
            ));
        }
        if from.contains(&keep) {
            return Err(AppError::invalid(
                "from",
                "a contact cannot be merged into itself",
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        if let Some(twice) = from.iter().find(|id| !seen.insert(id.0)) {
            return Err(AppError::invalid(
                "from",
                format!("names contact {twice} twice"),
            ));
        }
        let store = self.store().as_ref();
        let kept = readable_contact(store, principal, Action::EditContacts, keep).await?;
        let mut others = Vec::with_capacity(from.len());
        for id in from {
            match readable_contact(store, principal, Action::EditContacts, *id).await {
                Ok(c) => others.push(c),
                Err(AppError::NotFound) => {
                    return Err(AppError::invalid(
                        "from",
                        format!("{id} is not a contact of this workspace"),
                    ));
                }
                Err(AppError::Merged(into)) => {
                    return Err(AppError::invalid(
                        "from",
                        format!("{id} was already merged into contact {into}"),
                    ));
                }
                Err(e) => return Err(e),
            }
        }
        Ok((kept, others))
    }

    pub async fn merge_preview(
        &self,
        principal: &Principal,
        keep: ContactId,
        from: &[ContactId],
    ) -> Result<MergePreview, AppError> {
        let (keep, others) = self.merge_records(principal, keep, from).await?;
        let plan = plan_merge(&keep, &others)?;
        let moves = self
            .store()
            .merge_moves(principal.workspace_id, from)
            .await?;
        Ok(MergePreview {
            keep,
            others,
            plan,
            moves,
        })
    }

    /// Merges `from` into `keep` as the preview says, in one transaction; the survivor is
    /// scored again from its whole timeline. What the answer holds is what was merged (read
    /// and planned again if a record changed between the reads and the write).
    pub async fn merge_contacts(
        &self,
        principal: &Principal,
        keep: ContactId,
        from: &[ContactId],
    ) -> Result<MergePreview, AppError> {
        for _ in 0..ATTEMPTS {
            let preview = self.merge_preview(principal, keep, from).await?;
            let now = Timestamp::now();
            let mut merged = preview.plan.merged.clone();
            merged.updated_at = now;
            let merge = ContactMerge {
                merged,
                others: from.to_vec(),
                read: std::iter::once(&preview.keep)
                    .chain(&preview.others)
                    .map(|c| (c.id, c.updated_at))
                    .collect(),
                stage_from: preview.plan.stage_from(),
                event: preview.plan.event(from, &principal.actor(), now),
            };
            match self.store().merge_contacts(&merge).await {
                Ok(()) => {
                    self.queue_scoring(principal, keep, true).await;
                    tracing::info!(contact.id = %keep, merged = from.len(), "contacts merged");
                    return Ok(MergePreview {
                        keep: merge.merged,
                        ..preview
                    });
                }
                // Changed or gone since read: the next attempt reads again (and names what
                // is gone, if that is why).
                Err(StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Conflict(
            "the contacts kept changing while they were merged; try again".into(),
        ))
    }
}
