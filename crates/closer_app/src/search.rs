//! The search box as a use case: the text read into a `SearchQuery` (national phone numbers in
//! the workspace's country), each kind searched as far as the role table lets the principal
//! read it — a rep's own and unassigned contacts and own deals, every company.

use closer_domain::access::{Action, Reach, reach};
use closer_domain::search::SearchQuery;
use closer_store::{SearchHits, SearchReach, SearchRequest};

use crate::{App, AppError, Principal};

/// Most records of each kind one search returns.
pub const MAX_PER_KIND: u32 = 50;

fn search_reach(principal: &Principal, action: Action) -> SearchReach {
    match (reach(principal.role, action), principal.user()) {
        (Reach::Everyone, _) => SearchReach::Everyone,
        (Reach::Own, Some(me)) => SearchReach::Owner(me),
        (Reach::Own, None) | (Reach::Nobody, _) => SearchReach::Nobody,
    }
}

impl App {
    /// Contacts, companies and deals whose words start with those of `text` (contacts also by
    /// the start of a phone number in any notation), at most `per_kind` of each.
    pub async fn search(
        &self,
        principal: &Principal,
        text: &str,
        per_kind: u32,
    ) -> Result<SearchHits, AppError> {
        principal.check(Action::ReadContacts, principal.user())?;
        if !(1..=MAX_PER_KIND).contains(&per_kind) {
            return Err(AppError::invalid(
                "limit",
                format!("must be between 1 and {MAX_PER_KIND}"),
            ));
        }
        let query = SearchQuery::parse(text, self.region(principal).await?)?;
        let contacts = search_reach(principal, Action::ReadContacts);
        let request = SearchRequest {
            query,
            per_kind,
            contacts,
            companies: if contacts == SearchReach::Nobody {
                SearchReach::Nobody
            } else {
                SearchReach::Everyone
            },
            deals: search_reach(principal, Action::ReadPipeline),
        };
        Ok(self
            .store()
            .search(principal.workspace_id, &request)
            .await?)
    }
}
