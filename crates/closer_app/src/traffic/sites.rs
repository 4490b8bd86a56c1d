//! Sites: add and list, and `SiteIndex`, every site in memory for the ingest path.
//!
//! An event names its site by domain, and tens of thousands arrive a second, most of them for
//! a handful of sites (and some for domains nobody tracks). The index holds all sites (a few
//! bytes each), so neither a known nor an unknown domain costs a database read. It reloads
//! every `REFRESH` (a site added by the CLI or another process shows up within that time) and
//! at once when this process adds one.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use closer_domain::traffic::{SiteDomain, SiteId};
use closer_domain::{Timestamp, WorkspaceId};
use closer_store::Site;

use crate::{AppError, Principal};

pub(crate) const REFRESH: Duration = Duration::from_secs(5);

#[derive(Default)]
pub(crate) struct SiteIndex {
    sites: RwLock<(HashMap<String, Site>, Option<Instant>)>,
    reloading: tokio::sync::Mutex<()>,
}

impl SiteIndex {
    fn lookup(&self, domain: &str) -> (Option<Site>, bool) {
        let guard = self
            .sites
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let fresh = guard.1.is_some_and(|at| at.elapsed() < REFRESH);
        (guard.0.get(domain).cloned(), fresh)
    }

    fn replace(&self, sites: Vec<Site>) {
        let map = sites
            .into_iter()
            .map(|s| (s.domain.as_str().to_owned(), s))
            .collect();
        *self
            .sites
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = (map, Some(Instant::now()));
    }

    fn insert(&self, site: Site) {
        self.sites
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .0
            .insert(site.domain.as_str().to_owned(), site);
    }
}

impl super::Traffic {
    /// Adds a tracked site to a workspace. A domain is tracked by one workspace only.
    pub async fn add_site(&self, workspace: WorkspaceId, domain: &str) -> Result<Site, AppError> {
        let site = Site {
            id: SiteId::new(),
            workspace_id: workspace,
            domain: SiteDomain::parse(domain)?,
            created_at: Timestamp::now(),
        };
        self.store().create_site(&site).await?;
        self.0.sites.insert(site.clone());
        Ok(site)
    }

    pub async fn create_site(&self, principal: &Principal, domain: &str) -> Result<Site, AppError> {
        principal.check(closer_domain::access::Action::Configure, None)?;
        self.add_site(principal.workspace_id, domain).await
    }

    pub async fn list_sites(&self, workspace: WorkspaceId) -> Result<Vec<Site>, AppError> {
        Ok(self.store().list_sites(Some(workspace)).await?)
    }

    /// The site tracking `domain` (exactly, after normalisation), from the index.
    pub(crate) async fn site_for(&self, domain: &str) -> Result<Option<Site>, AppError> {
        let index = &self.0.sites;
        let (found, fresh) = index.lookup(domain);
        if fresh {
            return Ok(found);
        }
        // One reload at a time; whoever waited on the lock finds the index fresh.
        let _reloading = index.reloading.lock().await;
        if !index.lookup(domain).1 {
            index.replace(self.store().list_sites(None).await?);
        }
        Ok(index.lookup(domain).0)
    }

    /// The site for a page's host: the host itself, or the nearest parent domain that is
    /// tracked (`blog.example.com` counts for `example.com`).
    pub(crate) async fn site_for_host(&self, host: &str) -> Result<Option<Site>, AppError> {
        let mut candidate = host.strip_prefix("www.").unwrap_or(host);
        loop {
            if let Some(site) = self.site_for(candidate).await? {
                return Ok(Some(site));
            }
            match candidate.split_once('.') {
                Some((_, parent)) if parent.contains('.') => candidate = parent,
                _ => return Ok(None),
            }
        }
    }
}
