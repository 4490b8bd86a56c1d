//! Tags and saved views as use cases. Tagging a record is editing it: a rep tags their own
//! contacts and deals, managers and admins anyone's (the role table's `EditContacts` and
//! `WorkDeals`); many at once, all or none. A saved view is a list's filter under a name, for
//! its author or (`shared`) the team; the filter is read by the list's own parser before it is
//! kept, so a view never holds a filter the list would refuse. Its author, a manager or an
//! admin deletes it.

use closer_domain::access::Action;
use closer_domain::pipeline::DealId;
use closer_domain::tag::{Tag, ViewOf, parse_tags, split_typed, view_name};
use closer_domain::{CompanyId, ContactId, Timestamp};
use closer_store::{SavedView, Tagged};

use crate::{App, AppError, Principal};

/// Most records one tagging names.
pub const MAX_TAGGED: usize = 1_000;
/// Most views one user keeps of one list (theirs and the team's).
pub const MAX_VIEWS: usize = 100;

/// How many different ids `ids` holds.
fn distinct(ids: &[uuid::Uuid]) -> usize {
    let mut u = ids.to_vec();
    u.sort_unstable();
    u.dedup();
    u.len()
}

impl App {
    /// Puts `add` on and takes `remove` off each record of `ids`; nothing when one is not the
    /// workspace's or not the principal's to edit.
    pub async fn retag(
        &self,
        principal: &Principal,
        kind: Tagged,
        ids: &[uuid::Uuid],
        add: &[String],
        remove: &[String],
    ) -> Result<(), AppError> {
        if ids.is_empty() {
            return Err(AppError::invalid("ids", "name at least one record"));
        }
        if ids.len() > MAX_TAGGED {
            return Err(AppError::invalid(
                "ids",
                format!("tag at most {MAX_TAGGED} records at once"),
            ));
        }
        let add = parse_tags(add).map_err(AppError::Invalid)?;
        let remove = parse_tags(remove).map_err(|errors| {
            AppError::Invalid(
                errors
                    .into_iter()
                    .map(|e| {
                        closer_domain::FieldError::new(e.field.replace("tags", "remove"), e.message)
                    })
                    .collect(),
            )
        })?;
        self.may_edit(principal, kind, ids).await?;
        Ok(self
            .store()
            .retag(
                principal.workspace_id,
                kind,
                ids,
                &add,
                &remove,
                Timestamp::now(),
            )
            .await?)
    }

    /// `NotFound` for a record the principal cannot see, `Forbidden` for one they may see but
    /// not edit.
    async fn may_edit(
        &self,
        principal: &Principal,
        kind: Tagged,
        ids: &[uuid::Uuid],
    ) -> Result<(), AppError> {
        let ws = principal.workspace_id;
        let store = self.store();
        match kind {
            Tagged::Contacts => {
                let wanted: Vec<ContactId> = ids.iter().copied().map(ContactId).collect();
                let found = store.contacts_by_id(ws, &wanted).await?;
                if found.len() != distinct(ids) {
                    return Err(AppError::NotFound);
                }
                for c in &found {
                    principal.check_record(
                        Action::ReadContacts,
                        Action::EditContacts,
                        c.owner_id,
                    )?;
                }
            }
            Tagged::Deals => {
                for id in ids {
                    let deal = store.deal(ws, DealId(*id)).await?;
                    principal.check_record(
                        Action::ReadPipeline,
                        Action::WorkDeals,
                        deal.owner_id,
                    )?;
                }
            }
            Tagged::Companies => {
                let wanted: Vec<CompanyId> = ids.iter().copied().map(CompanyId).collect();
                let found = store.companies_by_id(ws, &wanted).await?;
                if found.len() != distinct(ids) {
                    return Err(AppError::NotFound);
                }
                for company in &found {
                    principal.check(Action::EditContacts, company.owner_id)?;
                }
            }
        }
        Ok(())
    }

    /// Makes one record's tags exactly those typed ("vip, trade show"): the missing ones put
    /// on, the others taken off.
    pub async fn set_tags(
        &self,
        principal: &Principal,
        kind: Tagged,
        id: uuid::Uuid,
        typed: &str,
    ) -> Result<(), AppError> {
        let wanted = parse_tags(&split_typed(typed)).map_err(AppError::Invalid)?;
        let held = self
            .tags_of(principal, kind, &[id])
            .await?
            .remove(&id)
            .unwrap_or_default();
        let add: Vec<String> = wanted
            .iter()
            .filter(|t| !held.contains(t))
            .map(ToString::to_string)
            .collect();
        let remove: Vec<String> = held
            .iter()
            .filter(|t| !wanted.contains(t))
            .map(ToString::to_string)
            .collect();
        if add.is_empty() && remove.is_empty() {
            return Ok(());
        }
        self.retag(principal, kind, &[id], &add, &remove).await
    }

    /// The workspace's tags on `kind`, with how many records hold each.
    pub async fn workspace_tags(
        &self,
        principal: &Principal,
        kind: Tagged,
    ) -> Result<Vec<(Tag, u64)>, AppError> {
        let read = match kind {
            Tagged::Deals => Action::ReadPipeline,
            Tagged::Contacts | Tagged::Companies => Action::ReadContacts,
        };
        principal.check(read, principal.user())?;
        Ok(self
            .store()
            .workspace_tags(principal.workspace_id, kind)
            .await?)
    }

    /// The tags of these records (which the caller has read), by record.
    pub async fn tags_of(
        &self,
        principal: &Principal,
        kind: Tagged,
        ids: &[uuid::Uuid],
    ) -> Result<std::collections::HashMap<uuid::Uuid, Vec<Tag>>, AppError> {
        let mut out: std::collections::HashMap<uuid::Uuid, Vec<Tag>> =
            std::collections::HashMap::new();
        for (id, tag) in self
            .store()
            .tags_of(principal.workspace_id, kind, ids)
            .await?
        {
            out.entry(id).or_default().push(tag);
        }
        Ok(out)
    }

    /// Keeps `query` as a view named `name`: the principal's own, or the team's when `shared`
    /// (a token's always are). The caller has read `query` with the list's own parser (the
    /// HTTP layer's), so a view never holds filters the list would refuse.
    pub async fn save_view(
        &self,
        principal: &Principal,
        list: ViewOf,
        name: &str,
        query: &str,
        shared: bool,
    ) -> Result<SavedView, AppError> {
        let read = match list {
            ViewOf::Contacts => Action::ReadContacts,
            ViewOf::Deals => Action::ReadPipeline,
        };
        principal.check(read, principal.user())?;
        let name = view_name(name)?;
        let query = query.trim().trim_start_matches('?');
        if query.len() > 2_000 {
            return Err(AppError::invalid(
                "query",
                "must be at most 2000 characters",
            ));
        }
        // A query string's text is URL-encoded: a raw control character is none.
        if query.chars().any(char::is_control) {
            return Err(AppError::invalid(
                "query",
                "must not contain control characters (URL-encode them)",
            ));
        }
        let ws = principal.workspace_id;
        let owner = if shared { None } else { principal.user() };
        if self.store().views(ws, principal.user(), list).await?.len() >= MAX_VIEWS {
            return Err(AppError::invalid(
                "name",
                format!("at most {MAX_VIEWS} views of a list: delete one first"),
            ));
        }
        let view = SavedView {
            id: uuid::Uuid::now_v7(),
            workspace_id: ws,
            owner_id: owner,
            created_by: principal.user(),
            list,
            name,
            query: query.to_owned(),
            created_at: Timestamp::now(),
        };
        self.store().create_view(&view).await?;
        Ok(view)
    }

    /// The team's views of `list` and the principal's own.
    pub async fn views(
        &self,
        principal: &Principal,
        list: ViewOf,
    ) -> Result<Vec<SavedView>, AppError> {
        Ok(self
            .store()
            .views(principal.workspace_id, principal.user(), list)
            .await?)
    }

    /// One view the principal may use: the team's or their own.
    pub async fn view(&self, principal: &Principal, id: uuid::Uuid) -> Result<SavedView, AppError> {
        let view = self.store().view(principal.workspace_id, id).await?;
        if view.owner_id.is_some() && view.owner_id != principal.user() {
            return Err(AppError::NotFound);
        }
        Ok(view)
    }

    /// Whether the principal may delete this view (one they may see): their own, a team view
    /// they made, or — managers and admins — any team view.
    pub fn may_delete_view(principal: &Principal, view: &SavedView) -> bool {
        view.owner_id.is_some()
            || view.created_by == principal.user()
            || principal.role.sees_everyone()
    }

    /// Deletes a view the principal may delete (`may_delete_view`).
    pub async fn delete_view(&self, principal: &Principal, id: uuid::Uuid) -> Result<(), AppError> {
        let view = self.view(principal, id).await?;
        if !Self::may_delete_view(principal, &view) {
            return Err(AppError::Forbidden(
                "a team view is deleted by whoever made it, a manager or an admin".into(),
            ));
        }
        Ok(self.store().delete_view(principal.workspace_id, id).await?)
    }
}
