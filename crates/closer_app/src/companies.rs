//! Companies (accounts): create — or find, when one of the domains already names a company —
//! read, list, edit, delete, and a company's people, deals and orders. A company is a shared
//! record of the workspace: whoever reads contacts reads companies, whoever may edit a
//! contact with the company's owner may edit the company, and deleting one is erasure's.
//! `link_by_email` gives a new or changed contact the company its email's domain names.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use closer_domain::access::Action;
use closer_domain::company::employer_domains;
use closer_domain::pipeline::{Deal, Order};
use closer_domain::{
    Company, CompanyDraft, CompanyId, CompanyPatch, Contact, ContactId, Domain, Timestamp,
    WorkspaceId,
};
use closer_store::{COMPANY_DOMAIN, CompanyQuery, Page, Store, StoreError};
use serde::Serialize;

use crate::qualification::{ScoreJob, Scoring, WorkspaceRules};
use crate::{AppError, Principal};

/// Largest page a list returns, and most people, deals and orders a company page shows.
pub const MAX_PAGE: u32 = 200;

#[derive(Clone)]
pub struct Companies {
    store: Arc<dyn Store>,
    /// A company's fields count in its people's fit when a rule reads them: they are
    /// rescored when the company changes.
    rules: WorkspaceRules,
    scoring: Scoring,
    domains_seen: DomainCache,
}

/// Most of a company's people rescored after it changes; the rest follow at their next
/// event or `closer rescore`.
const RESCORE_AT_MOST: u32 = 10_000;

/// A company with what hangs from it, as far as the principal may see.
#[derive(Debug, Clone, Serialize)]
pub struct CompanyOverview {
    pub company: Company,
    pub people: Vec<Contact>,
    pub deals: Vec<Deal>,
    pub orders: Vec<Order>,
}

/// How long this process trusts what it read about a domain. Lead capture asks for every
/// lead, mostly about domains that name no company; a company made in another process is
/// seen within this time, and the process that made it links again after it
/// (`RELINK_AFTER`), so nobody captured meanwhile is left out.
const DOMAIN_FOR: Duration = Duration::from_secs(5);
/// When a new or changed company links its domains' people a second time.
const RELINK_AFTER: Duration = Duration::from_secs(6);
/// Domains remembered before the memory starts afresh.
const DOMAINS_KEPT: usize = 50_000;

/// Which company each recently asked-about domain names (or that none does), per process.
#[derive(Clone, Default)]
pub(crate) struct DomainCache(Arc<Mutex<HashMap<(WorkspaceId, Domain), Seen>>>);

/// What a domain named when it was last read, and when.
type Seen = (Option<CompanyId>, Instant);

impl DomainCache {
    async fn company(
        &self,
        store: &dyn Store,
        ws: WorkspaceId,
        domain: &Domain,
    ) -> Result<Option<CompanyId>, AppError> {
        let key = (ws, domain.clone());
        if let Ok(kept) = self.0.lock()
            && let Some((company, at)) = kept.get(&key)
            && at.elapsed() < DOMAIN_FOR
        {
            return Ok(*company);
        }
        let company = store
            .company_by_domains(ws, std::slice::from_ref(domain))
            .await?;
        if let Ok(mut kept) = self.0.lock() {
            if kept.len() >= DOMAINS_KEPT {
                kept.clear();
            }
            kept.insert(key, (company, Instant::now()));
        }
        Ok(company)
    }

    /// What this process knows of the workspace's domains is stale (a company changed here).
    fn forget(&self, ws: WorkspaceId) {
        if let Ok(mut kept) = self.0.lock() {
            kept.retain(|(w, _), _| *w != ws);
        }
    }
}

/// Gives the contact the company its email's domain names, if it has none yet (free-mail
/// domains name nobody). The company the contact belongs to afterwards.
pub(crate) async fn link_by_email(
    store: &dyn Store,
    domains_seen: &DomainCache,
    contact: &Contact,
) -> Result<Option<CompanyId>, AppError> {
    if contact.company_id.is_some() {
        return Ok(contact.company_id);
    }
    let ws = contact.workspace_id;
    let mut found = None;
    for domain in employer_domains(&contact.emails) {
        if let Some(c) = domains_seen.company(store, ws, &domain).await? {
            found = Some(c);
            break;
        }
    }
    let Some(company) = found else {
        return Ok(None);
    };
    match store.link_contact(ws, contact.id, company).await {
        Ok(true) => return Ok(Some(company)),
        Ok(false) => {}
        // The company was deleted since it was read: no company, as it is now.
        Err(StoreError::Conflict { .. }) => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    // Linked meanwhile (by a company's creation, say): whatever it is now.
    Ok(store.company_of(ws, contact.id).await?)
}

fn domain_taken(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict { constraint } if constraint == COMPANY_DOMAIN => AppError::Conflict(
            "one of these domains already belongs to another company of this workspace".into(),
        ),
        StoreError::Conflict { constraint } if constraint == "companies_owner_fk" => {
            AppError::invalid("owner_id", "is not a user of this workspace")
        }
        other => other.into(),
    }
}

impl Companies {
    pub(crate) fn new(
        store: Arc<dyn Store>,
        rules: WorkspaceRules,
        scoring: Scoring,
        domains_seen: DomainCache,
    ) -> Self {
        Self {
            store,
            rules,
            scoring,
            domains_seen,
        }
    }

    /// The company's domains changed: this process asks again, and after `RELINK_AFTER`
    /// links the people other processes captured while they still trusted what they had
    /// read.
    fn domains_changed(&self, company: &Company) {
        self.domains_seen.forget(company.workspace_id);
        let store = self.store.clone();
        let (ws, id, domains) = (company.workspace_id, company.id, company.domains.clone());
        tokio::spawn(async move {
            tokio::time::sleep(RELINK_AFTER).await;
            for d in &domains {
                if let Err(e) = store.link_domain(ws, d, id).await {
                    tracing::warn!(company.id = %id, error = %e, "linking a company's people again failed");
                }
            }
        });
    }

    /// The company's people, rescored when some fit rule reads their company.
    async fn rescore_people(&self, ws: closer_domain::WorkspaceId, people: &[ContactId]) {
        match self.rules.get(ws).await {
            Ok(rules) if rules.reads_company() => {}
            _ => return,
        }
        for id in people {
            self.scoring
                .queue_scoring(ScoreJob {
                    workspace: ws,
                    contact: *id,
                    signals: Vec::new(),
                    rescan: false,
                })
                .await;
        }
    }

    async fn people(
        &self,
        ws: closer_domain::WorkspaceId,
        id: CompanyId,
    ) -> Result<Vec<ContactId>, AppError> {
        Ok(self
            .store
            .company_contacts(ws, id, RESCORE_AT_MOST)
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect())
    }

    fn refuse_free_mail(domains: &[closer_domain::Domain]) -> Result<(), AppError> {
        match domains.iter().find(|d| d.is_free_mail()) {
            Some(d) => Err(AppError::invalid(
                "domains",
                format!("{d} is a free-mail domain: it names no company"),
            )),
            None => Ok(()),
        }
    }

    /// Creates a company, or — when one of its domains already names a company — returns
    /// that one untouched (`false`: not created), as contacts dedupe by email.
    pub async fn create(
        &self,
        principal: &Principal,
        draft: CompanyDraft,
    ) -> Result<(Company, bool), AppError> {
        self.create_as(principal, CompanyId::new(), draft, Timestamp::now())
            .await
    }

    /// `create` with the id and creation time chosen by the caller (an import: derived from
    /// the file's record, so importing it again finds the company).
    pub(crate) async fn create_as(
        &self,
        principal: &Principal,
        id: CompanyId,
        mut draft: CompanyDraft,
        created_at: Timestamp,
    ) -> Result<(Company, bool), AppError> {
        principal.check(Action::EditContacts, draft.owner_id)?;
        crate::properties::typed_new(
            self.store.as_ref(),
            principal.workspace_id,
            closer_domain::property::PropertyOf::Companies,
            &mut draft.properties,
        )
        .await?;
        Self::refuse_free_mail(&draft.domains)?;
        crate::access::workspace_user(self.store.as_ref(), principal.workspace_id, draft.owner_id)
            .await?;
        let ws = principal.workspace_id;
        let domains = draft.domains.clone();
        for _ in 0..3 {
            if let Some(id) = self.store.company_by_domains(ws, &domains).await? {
                match self.store.company(ws, id).await {
                    Ok(existing) => return Ok((existing, false)),
                    Err(StoreError::NotFound) => {} // deleted meanwhile: try again
                    Err(e) => return Err(e.into()),
                }
            }
            let mut company = Company::from_draft(id, ws, draft.clone(), created_at);
            company.updated_at = Timestamp::now().max(created_at);
            match self.store.create_company(ws, &company).await {
                Ok(()) => {
                    tracing::info!(company.id = %company.id, "company created");
                    self.domains_changed(&company);
                    let people = self.people(ws, company.id).await?;
                    self.rescore_people(ws, &people).await;
                    return Ok((company, true));
                }
                // Created meanwhile by someone else: that one, on the next turn.
                Err(StoreError::Conflict { constraint }) if constraint == COMPANY_DOMAIN => {}
                Err(e) => return Err(domain_taken(e)),
            }
        }
        Err(AppError::Unavailable(
            "the company's domains kept changing under this request".into(),
        ))
    }

    /// The company, if the principal reads contacts at all.
    pub async fn get(&self, principal: &Principal, id: CompanyId) -> Result<Company, AppError> {
        principal.check(Action::ReadContacts, principal.user())?;
        Ok(self.store.company(principal.workspace_id, id).await?)
    }

    pub async fn list(
        &self,
        principal: &Principal,
        query: &CompanyQuery,
    ) -> Result<Page<Company>, AppError> {
        principal.check(Action::ReadContacts, principal.user())?;
        crate::pipeline::page_limit(query.limit, MAX_PAGE)?;
        Ok(self
            .store
            .list_companies(principal.workspace_id, query)
            .await?)
    }

    pub async fn patch(
        &self,
        principal: &Principal,
        id: CompanyId,
        patch: &CompanyPatch,
    ) -> Result<Company, AppError> {
        let mut company = self.get(principal, id).await?;
        principal.check(Action::EditContacts, company.owner_id)?;
        let typed = crate::properties::typed_change(
            self.store.as_ref(),
            principal.workspace_id,
            closer_domain::property::PropertyOf::Companies,
            patch.properties.as_ref(),
        )
        .await?
        .map(|props| CompanyPatch {
            properties: Some(props),
            ..patch.clone()
        });
        let patch = typed.as_ref().unwrap_or(patch);
        if let Some(domains) = &patch.domains {
            Self::refuse_free_mail(domains)?;
        }
        if let Some(owner) = patch.owner_id {
            principal.check(Action::EditContacts, owner)?;
            crate::access::workspace_user(self.store.as_ref(), principal.workspace_id, owner)
                .await?;
        }
        if company.apply(patch, Timestamp::now()) {
            self.store
                .save_company(principal.workspace_id, &company)
                .await
                .map_err(domain_taken)?;
            self.domains_changed(&company);
            let people = self.people(principal.workspace_id, id).await?;
            self.rescore_people(principal.workspace_id, &people).await;
        }
        Ok(company)
    }

    /// Puts a contact in a company by hand (`None`: takes them out): for people whose email
    /// names no company, or names the wrong one. An edit of the contact.
    pub async fn set_contact_company(
        &self,
        principal: &Principal,
        contact: ContactId,
        company: Option<CompanyId>,
    ) -> Result<Contact, AppError> {
        let ws = principal.workspace_id;
        let person = crate::contacts::readable_contact(
            self.store.as_ref(),
            principal,
            Action::EditContacts,
            contact,
        )
        .await?;
        if let Some(id) = company {
            // The workspace's company, or a field error (not a missing page).
            match self.store.company(ws, id).await {
                Ok(_) => {}
                Err(StoreError::NotFound) => {
                    return Err(AppError::invalid(
                        "company_id",
                        "is not a company of this workspace",
                    ));
                }
                Err(e) => return Err(e.into()),
            }
        }
        match self.store.set_contact_company(ws, contact, company).await {
            Ok(()) => {}
            // Deleted between the check and the write.
            Err(StoreError::Conflict { .. }) => {
                return Err(AppError::invalid(
                    "company_id",
                    "is not a company of this workspace",
                ));
            }
            Err(e) => return Err(e.into()),
        }
        self.rescore_people(ws, &[contact]).await;
        Ok(Contact {
            company_id: company,
            ..person
        })
    }

    /// Deletes the company; its people and deals stay, without a company.
    pub async fn delete(&self, principal: &Principal, id: CompanyId) -> Result<(), AppError> {
        principal.check(Action::EraseContacts, None)?;
        let people = self.people(principal.workspace_id, id).await?;
        self.store
            .delete_company(principal.workspace_id, id)
            .await?;
        self.domains_seen.forget(principal.workspace_id);
        self.rescore_people(principal.workspace_id, &people).await;
        tracing::info!(company.id = %id, "company deleted");
        Ok(())
    }

    /// The company with its people (those the principal may see), deals and orders.
    pub async fn overview(
        &self,
        principal: &Principal,
        id: CompanyId,
    ) -> Result<CompanyOverview, AppError> {
        let company = self.get(principal, id).await?;
        let ws = principal.workspace_id;
        let people: Vec<Contact> = self
            .store
            .company_contacts(ws, id, MAX_PAGE)
            .await?
            .into_iter()
            .filter(|c| {
                principal
                    .check_record(Action::ReadContacts, Action::ReadContacts, c.owner_id)
                    .is_ok()
            })
            .collect();
        let deals = if principal.may(Action::ReadPipeline, principal.user()) {
            self.store
                .company_deals(ws, id, MAX_PAGE)
                .await?
                .into_iter()
                .filter(|d| {
                    principal
                        .check_record(Action::ReadPipeline, Action::ReadPipeline, d.owner_id)
                        .is_ok()
                })
                .collect()
        } else {
            Vec::new()
        };
        let seen: std::collections::HashSet<_> = people.iter().map(|c| c.id).collect();
        let orders = self
            .store
            .company_orders(ws, id, MAX_PAGE)
            .await?
            .into_iter()
            .filter(|o| seen.contains(&o.contact_id))
            .collect();
        Ok(CompanyOverview {
            company,
            people,
            deals,
            orders,
        })
    }
}
