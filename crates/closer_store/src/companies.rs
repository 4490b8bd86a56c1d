//! Companies: the list query and the port. Written once for both SQL engines
//! (`closer_store_sql::companies_store`).

use async_trait::async_trait;
use closer_domain::pipeline::{Deal, Order};
use closer_domain::{Company, CompanyId, Contact, ContactId, Domain, WorkspaceId};

use crate::{Cursor, OwnerFilter, Page, StoreError};

/// Two companies may not hold one domain: the constraint a creation or an edit meets.
pub const COMPANY_DOMAIN: &str = "company_domains_domain_key";

/// A page of a workspace's companies, newest first.
#[derive(Debug, Clone, Default)]
pub struct CompanyQuery {
    /// Case-insensitive substring of the name or a domain.
    pub q: Option<String>,
    pub owner: Option<OwnerFilter>,
    /// 1..=200, checked by the caller.
    pub limit: u32,
    pub after: Option<Cursor>,
}

#[async_trait]
pub trait CompanyStore {
    /// Stores a new company with its domains, then links the workspace's contacts without a
    /// company whose email is at one of them. A domain another company holds is
    /// `Conflict(COMPANY_DOMAIN)` and nothing is written: of two creations naming one domain
    /// at once, one succeeds.
    async fn create_company(&self, ws: WorkspaceId, company: &Company) -> Result<(), StoreError>;

    async fn company(&self, ws: WorkspaceId, id: CompanyId) -> Result<Company, StoreError>;

    /// These of the workspace's companies (the gone ones left out), in no set order.
    async fn companies_by_id(
        &self,
        ws: WorkspaceId,
        ids: &[CompanyId],
    ) -> Result<Vec<Company>, StoreError>;

    async fn list_companies(
        &self,
        ws: WorkspaceId,
        query: &CompanyQuery,
    ) -> Result<Page<Company>, StoreError>;

    /// Saves an edited company whole (fields and domains), then links contacts at its
    /// domains as `create_company` does. `Conflict(COMPANY_DOMAIN)` as there.
    async fn save_company(&self, ws: WorkspaceId, company: &Company) -> Result<(), StoreError>;

    /// Deletes the company; its contacts and deals stay, without a company.
    async fn delete_company(&self, ws: WorkspaceId, id: CompanyId) -> Result<(), StoreError>;

    /// The company holding the first of `domains` that one holds.
    async fn company_by_domains(
        &self,
        ws: WorkspaceId,
        domains: &[Domain],
    ) -> Result<Option<CompanyId>, StoreError>;

    /// Links the workspace's contacts without a company whose email is at `domain` to the
    /// company; how many it linked.
    async fn link_domain(
        &self,
        ws: WorkspaceId,
        domain: &Domain,
        company: CompanyId,
    ) -> Result<u64, StoreError>;

    /// Links the contact to the company if it has none yet; whether it did.
    async fn link_contact(
        &self,
        ws: WorkspaceId,
        contact: ContactId,
        company: CompanyId,
    ) -> Result<bool, StoreError>;

    /// Puts the contact in the company (`None`: in none), whatever it had, for good: linking
    /// by domain leaves it alone afterwards. `NotFound` for a contact not in the workspace.
    /// The caller checks the company is the workspace's.
    async fn set_contact_company(
        &self,
        ws: WorkspaceId,
        contact: ContactId,
        company: Option<CompanyId>,
    ) -> Result<(), StoreError>;

    /// The company a contact belongs to, if any.
    async fn company_of(
        &self,
        ws: WorkspaceId,
        contact: ContactId,
    ) -> Result<Option<CompanyId>, StoreError>;

    /// The company's people, newest first, at most `limit`.
    async fn company_contacts(
        &self,
        ws: WorkspaceId,
        company: CompanyId,
        limit: u32,
    ) -> Result<Vec<Contact>, StoreError>;

    /// Deals on the company's people, newest first, at most `limit`.
    async fn company_deals(
        &self,
        ws: WorkspaceId,
        company: CompanyId,
        limit: u32,
    ) -> Result<Vec<Deal>, StoreError>;

    /// Orders of the company's people, newest first, at most `limit`.
    async fn company_orders(
        &self,
        ws: WorkspaceId,
        company: CompanyId,
        limit: u32,
    ) -> Result<Vec<Order>, StoreError>;
}
