//! Contact use cases: upsert, read, edit, erase, list, history and timeline — always within the
//! principal's workspace, and as far as the role table lets the principal reach.

use closer_domain::access::{Action, Reach, reach};
use closer_domain::property::PropertyOf;
use closer_domain::{Contact, ContactDraft, ContactId, ContactPatch, Event, Timestamp};
use closer_store::{
    ContactQuery, ContactSort, OwnerFilter, Page, StageSpan, UpsertContact, Upserted,
};

use std::sync::Arc;

use closer_store::Store;

use crate::qualification::{ScoreJob, Scoring};
use crate::reports::Reports;
use crate::{AppError, Principal};

/// Largest page a list returns.
pub const MAX_PAGE: u32 = 200;

/// Most contacts one bulk assignment changes.
pub const MAX_BULK: usize = 200;
/// A saved view's count goes this far; past it the view says "10,000+".
pub const COUNT_CAP: u64 = 10_000;

/// A count that may have stopped at `COUNT_CAP`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    Exactly(u64),
    AtLeast(u64),
}

impl std::fmt::Display for Counted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Exactly(n) => write!(f, "{n}"),
            Self::AtLeast(n) => write!(f, "{n}+"),
        }
    }
}

/// Contacts: each change is scored afterwards (fit and temperature follow the fields); a list
/// sorted by value asks the reports for each customer's value first.
#[derive(Clone)]
pub struct Contacts {
    store: Arc<dyn Store>,
    scoring: Scoring,
    reports: Reports,
    domains_seen: crate::companies::DomainCache,
}

/// The contact, if the principal may do `action` on it (one it may not even see is not
/// found).
pub(crate) async fn readable_contact(
    store: &dyn Store,
    principal: &Principal,
    action: Action,
    id: ContactId,
) -> Result<Contact, AppError> {
    let contact = match store.contact(principal.workspace_id, id).await {
        Err(closer_store::StoreError::NotFound) => {
            return Err(match store.merged_into(principal.workspace_id, id).await? {
                Some(into) => AppError::Merged(into),
                None => AppError::NotFound,
            });
        }
        other => other?,
    };
    principal.check_record(Action::ReadContacts, action, contact.owner_id)?;
    Ok(contact)
}

impl Contacts {
    pub(crate) fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub(crate) fn new(
        store: Arc<dyn Store>,
        scoring: Scoring,
        reports: Reports,
        domains_seen: crate::companies::DomainCache,
    ) -> Self {
        Self {
            store,
            scoring,
            reports,
            domains_seen,
        }
    }

    async fn contact_for(
        &self,
        principal: &Principal,
        action: Action,
        id: ContactId,
    ) -> Result<Contact, AppError> {
        readable_contact(self.store.as_ref(), principal, action, id).await
    }

    pub async fn upsert_contact(
        &self,
        principal: &Principal,
        mut draft: ContactDraft,
        overwrite: bool,
    ) -> Result<Upserted, AppError> {
        principal.check(Action::EditContacts, draft.owner_id)?;
        crate::properties::typed_new(
            self.store.as_ref(),
            principal.workspace_id,
            PropertyOf::Contacts,
            &mut draft.properties,
        )
        .await?;
        crate::access::workspace_user(self.store.as_ref(), principal.workspace_id, draft.owner_id)
            .await?;
        let request = UpsertContact {
            draft,
            overwrite,
            event: None,
            actor: principal.actor(),
            visitor: None,
            now: Timestamp::now(),
        };
        let mut out = self
            .store
            .upsert_contact(principal.workspace_id, request)
            .await?;
        out.contact.company_id =
            crate::companies::link_by_email(self.store.as_ref(), &self.domains_seen, &out.contact)
                .await?;
        self.rescore_later(principal, out.contact.id).await;
        Ok(out)
    }

    /// Fields changed: fit and temperature (a customer is never hot) are recomputed.
    async fn rescore_later(&self, principal: &Principal, id: ContactId) {
        self.queue_scoring(principal, id, false).await;
    }

    /// `rescan`: engagement too, from the whole timeline (after a merge brought events in).
    pub(crate) async fn queue_scoring(&self, principal: &Principal, id: ContactId, rescan: bool) {
        self.scoring
            .queue_scoring(ScoreJob {
                workspace: principal.workspace_id,
                contact: id,
                signals: Vec::new(),
                rescan,
            })
            .await;
    }

    pub async fn contact(&self, principal: &Principal, id: ContactId) -> Result<Contact, AppError> {
        self.contact_for(principal, Action::ReadContacts, id).await
    }

    pub async fn patch_contact(
        &self,
        principal: &Principal,
        id: ContactId,
        patch: &ContactPatch,
    ) -> Result<Contact, AppError> {
        self.contact_for(principal, Action::EditContacts, id)
            .await?;
        if let Some(owner) = patch.owner_id {
            // Handing a contact to someone else is an edit of theirs too.
            principal.check(Action::EditContacts, owner)?;
        }
        crate::access::workspace_user(
            self.store.as_ref(),
            principal.workspace_id,
            patch.owner_id.flatten(),
        )
        .await?;
        let typed = crate::properties::typed_change(
            self.store.as_ref(),
            principal.workspace_id,
            PropertyOf::Contacts,
            patch.properties.as_ref(),
        )
        .await?
        .map(|props| ContactPatch {
            properties: Some(props),
            ..patch.clone()
        });
        let patch = typed.as_ref().unwrap_or(patch);
        let mut contact = self
            .store
            .patch_contact(
                principal.workspace_id,
                id,
                patch,
                &principal.actor(),
                Timestamp::now(),
            )
            .await?;
        if patch.emails.is_some() {
            contact.company_id =
                crate::companies::link_by_email(self.store.as_ref(), &self.domains_seen, &contact)
                    .await?;
        }
        self.rescore_later(principal, id).await;
        Ok(contact)
    }

    /// Gives many contacts one owner (`None`: unassigned), all or nothing: an unknown id (or
    /// any failure) changes none of them; at most `MAX_BULK` at once.
    pub async fn assign_contacts(
        &self,
        principal: &Principal,
        ids: &[ContactId],
        owner: Option<closer_domain::UserId>,
    ) -> Result<(), AppError> {
        principal.check(Action::AssignContacts, owner)?;
        if ids.len() > MAX_BULK {
            return Err(AppError::invalid(
                "id",
                format!("assign at most {MAX_BULK} contacts at once"),
            ));
        }
        crate::access::workspace_user(self.store.as_ref(), principal.workspace_id, owner).await?;
        let patch = ContactPatch {
            owner_id: Some(owner),
            ..ContactPatch::default()
        };
        self.store
            .patch_contacts(
                principal.workspace_id,
                ids,
                &patch,
                &principal.actor(),
                Timestamp::now(),
            )
            .await?;
        for id in ids {
            self.rescore_later(principal, *id).await;
        }
        Ok(())
    }

    /// Changes many contacts at once — their owner (`Some(None)`: unassigned), their stage, or
    /// both — all or nothing: an unknown id, a contact the principal may not edit, or any
    /// failure changes none; at most `MAX_BULK`. Each stage change is recorded in the
    /// contact's history as a one-by-one edit is.
    pub async fn update_contacts(
        &self,
        principal: &Principal,
        ids: &[ContactId],
        owner: Option<Option<closer_domain::UserId>>,
        stage: Option<closer_domain::Stage>,
    ) -> Result<(), AppError> {
        if owner.is_none() && stage.is_none() {
            return Err(AppError::invalid(
                "owner_id",
                "say what to change: an owner, a stage or both",
            ));
        }
        if ids.is_empty() || ids.len() > MAX_BULK {
            return Err(AppError::invalid(
                "ids",
                format!("change 1 to {MAX_BULK} contacts at once"),
            ));
        }
        if let Some(owner) = owner {
            principal.check(Action::AssignContacts, owner)?;
            crate::access::workspace_user(self.store.as_ref(), principal.workspace_id, owner)
                .await?;
        }
        let found = self
            .store
            .contacts_by_id(principal.workspace_id, ids)
            .await?;
        let mut wanted = ids.to_vec();
        wanted.sort_unstable_by_key(|c| c.0);
        wanted.dedup();
        if found.len() != wanted.len() {
            return Err(AppError::NotFound);
        }
        for c in &found {
            principal.check_record(Action::ReadContacts, Action::EditContacts, c.owner_id)?;
        }
        let patch = ContactPatch {
            owner_id: owner,
            stage,
            ..ContactPatch::default()
        };
        self.store
            .patch_contacts(
                principal.workspace_id,
                &wanted,
                &patch,
                &principal.actor(),
                Timestamp::now(),
            )
            .await?;
        for id in &wanted {
            self.rescore_later(principal, *id).await;
        }
        Ok(())
    }

    /// Many erasures at once (a list's ticked people): every id is checked to be the
    /// workspace's before any is erased, then each is erased in its own transaction, as one
    /// request would be. At most `MAX_BULK`.
    pub async fn erase_contacts(
        &self,
        principal: &Principal,
        ids: &[ContactId],
    ) -> Result<usize, AppError> {
        principal.check(Action::EraseContacts, None)?;
        let mut ids = ids.to_vec();
        ids.sort_unstable_by_key(|c| c.0);
        ids.dedup();
        if ids.is_empty() || ids.len() > MAX_BULK {
            return Err(AppError::invalid(
                "ids",
                format!("name 1 to {MAX_BULK} contacts"),
            ));
        }
        let found = self
            .store
            .contacts_by_id(principal.workspace_id, &ids)
            .await?;
        if found.len() != ids.len() {
            return Err(AppError::NotFound);
        }
        for id in &ids {
            self.erase_contact(principal, *id).await?;
        }
        Ok(ids.len())
    }

    /// An erasure request: the contact's personal data is deleted, not flagged.
    pub async fn erase_contact(
        &self,
        principal: &Principal,
        id: ContactId,
    ) -> Result<(), AppError> {
        principal.check(Action::EraseContacts, None)?;
        self.store
            .erase_contact(principal.workspace_id, id, Timestamp::now())
            .await?;
        tracing::info!(contact.id = %id, "contact erased");
        Ok(())
    }

    /// The page of contacts the query names, narrowed to what the principal may see: a rep
    /// lists their own contacts, or the unassigned ones when asking for those.
    /// The stored predicted values (52 weeks, in the fit's currency) of those of `ids` the
    /// principal may read and that have one, as money text — for a list sorted by value.
    pub async fn values(
        &self,
        principal: &Principal,
        ids: &[ContactId],
    ) -> Result<std::collections::HashMap<ContactId, String>, AppError> {
        principal.check(Action::ReadContacts, principal.user())?;
        let readable: Vec<ContactId> = self
            .store
            .contacts_by_id(principal.workspace_id, ids)
            .await?
            .into_iter()
            .filter(|c| {
                principal
                    .check_record(Action::ReadContacts, Action::ReadContacts, c.owner_id)
                    .is_ok()
            })
            .map(|c| c.id)
            .collect();
        Ok(self
            .store
            .contact_values(principal.workspace_id, &readable)
            .await?
            .into_iter()
            .map(|(id, v)| (id, crate::reports::money(i128::from(v))))
            .collect())
    }

    /// The query as far as the principal reaches: a rep's own contacts, or the unassigned.
    fn reachable(principal: &Principal, query: &ContactQuery) -> ContactQuery {
        let mut narrowed = query.clone();
        if let (Reach::Own, Some(me)) = (
            reach(principal.role, Action::ReadContacts),
            principal.user(),
        ) && query.owner != Some(OwnerFilter::Unassigned)
        {
            narrowed.owner = Some(OwnerFilter::User(me));
        }
        narrowed
    }

    /// How many contacts the principal would list with `query` (a saved view's count), up to
    /// `COUNT_CAP`: `Counted::AtLeast` past it, so a view of most of a million contacts costs
    /// what one of ten thousand does.
    pub async fn count_contacts(
        &self,
        principal: &Principal,
        query: &ContactQuery,
    ) -> Result<Counted, AppError> {
        principal.check(Action::ReadContacts, principal.user())?;
        let query = Self::reachable(principal, query);
        let n = self
            .store
            .count_matching(principal.workspace_id, &query, COUNT_CAP)
            .await?;
        Ok(if n > COUNT_CAP {
            Counted::AtLeast(COUNT_CAP)
        } else {
            Counted::Exactly(n)
        })
    }

    pub async fn list_contacts(
        &self,
        principal: &Principal,
        query: &ContactQuery,
    ) -> Result<Page<Contact>, AppError> {
        principal.check(Action::ReadContacts, principal.user())?;
        let narrowed = Self::reachable(principal, query);
        let query = &narrowed;
        if !(1..=MAX_PAGE).contains(&query.limit) {
            return Err(AppError::invalid(
                "limit",
                format!("must be between 1 and {MAX_PAGE}"),
            ));
        }
        if let (Some(from), Some(to)) = (query.created_from, query.created_to)
            && from > to
        {
            return Err(AppError::invalid(
                "created_from",
                "must not be after created_to",
            ));
        }
        if query.sort == ContactSort::ValueDesc {
            self.reports.refresh_values(principal.workspace_id).await?;
        }
        Ok(self
            .store
            .list_contacts(principal.workspace_id, query)
            .await?)
    }

    pub async fn stage_history(
        &self,
        principal: &Principal,
        id: ContactId,
    ) -> Result<Vec<StageSpan>, AppError> {
        self.contact_for(principal, Action::ReadContacts, id)
            .await?;
        Ok(self.store.stage_history(principal.workspace_id, id).await?)
    }

    pub async fn contact_events(
        &self,
        principal: &Principal,
        id: ContactId,
        limit: u32,
        before: Option<closer_store::Cursor>,
    ) -> Result<Vec<Event>, AppError> {
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(AppError::invalid(
                "limit",
                format!("must be between 1 and {MAX_PAGE}"),
            ));
        }
        self.contact_for(principal, Action::ReadContacts, id)
            .await?;
        let mut events = self
            .store
            .contact_events(principal.workspace_id, id, limit, before)
            .await?;
        for e in &mut events {
            tidy_order_total(e);
        }
        Ok(events)
    }
}

/// The stores render an order's total with four decimals ("13460.0000"); the timeline shows
/// it as amounts are shown everywhere else ("13460.00").
fn tidy_order_total(e: &mut Event) {
    if e.kind != closer_domain::EventKind::OrderPlaced {
        return;
    }
    let total = e
        .properties
        .get("total")
        .and_then(serde_json::Value::as_str);
    if let Some(amount) =
        total.and_then(|t| closer_domain::pipeline::Amount::parse("total", t).ok())
    {
        e.properties["total"] = serde_json::Value::String(amount.to_string());
    }
}
