//! Form management (create, list, read) and the cache the public capture path reads forms from.
//!
//! Forms change rarely and every public post names one, so the capture path keeps them in
//! memory for a short while instead of reading them on every post. The time-to-live bounds
//! how long another `closer` process's change takes to be seen.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use closer_domain::{FormId, FormKey, Region, Timestamp, text};
use closer_store::{Form, Store};

use crate::{AppError, Principal, hex};

const CACHE_TTL: Duration = Duration::from_secs(30);
/// A form's public key: 20 hex characters (80 random bits).
const KEY_BYTES: usize = 10;

/// A form as the capture path needs it: the form and its workspace's phone region.
#[derive(Clone)]
pub(crate) struct CachedForm {
    pub form: Form,
    pub region: Option<Region>,
    fetched: Instant,
}

#[derive(Default)]
struct FormCache {
    entries: RwLock<HashMap<String, CachedForm>>,
}

impl FormCache {
    fn get(&self, key: &FormKey) -> Option<CachedForm> {
        let entries = self
            .entries
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        entries
            .get(key.as_str())
            .filter(|e| e.fetched.elapsed() < CACHE_TTL)
            .cloned()
    }

    fn put(&self, entry: CachedForm) {
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Bounded: a flood of posts to unknown keys never reaches here, but stale entries of
        // real forms are dropped when the map grows.
        if entries.len() > 10_000 {
            entries.retain(|_, e| e.fetched.elapsed() < CACHE_TTL);
        }
        entries.insert(entry.form.key.as_str().to_owned(), entry);
    }
}

/// Checks a redirect target: an absolute http(s) URL.
fn parse_redirect(raw: &str) -> Result<String, AppError> {
    let raw = raw.trim();
    let ok = (raw.starts_with("https://") || raw.starts_with("http://"))
        && raw.len() <= 2_000
        && !raw.chars().any(|c| c.is_control() || c.is_whitespace());
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(AppError::invalid(
            "redirect_url",
            "must be an absolute http:// or https:// URL",
        ))
    }
}

/// Forms as a service of their own: the store and the cache of forms by key that every
/// capture reads. `App` composes it (`App::forms`).
#[derive(Clone)]
pub struct Forms {
    store: Arc<dyn Store>,
    cache: Arc<FormCache>,
}

impl Forms {
    pub(crate) fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            cache: Arc::default(),
        }
    }

    fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub async fn create_form(
        &self,
        principal: &Principal,
        name: &str,
        redirect: Option<&str>,
    ) -> Result<Form, AppError> {
        principal.check(closer_domain::access::Action::Configure, None)?;
        self.create_form_in(principal.workspace_id, name, redirect)
            .await
    }

    /// For the CLI, which acts as the operator of the whole instance.
    pub async fn create_form_in(
        &self,
        workspace: closer_domain::WorkspaceId,
        name: &str,
        redirect: Option<&str>,
    ) -> Result<Form, AppError> {
        let name = text::clean("name", name)?
            .ok_or_else(|| AppError::invalid("name", "must not be empty"))?;
        let redirect_url = redirect.map(parse_redirect).transpose()?;
        let random = uuid::Uuid::new_v4();
        let key = FormKey::parse(&hex(&random.as_bytes()[..KEY_BYTES])).expect("hex key is valid");
        let form = Form {
            id: FormId::new(),
            workspace_id: workspace,
            key,
            name,
            redirect_url,
            created_at: Timestamp::now(),
        };
        self.store().create_form(&form).await?;
        Ok(form)
    }

    /// A workspace's forms, for the operator's CLI.
    pub async fn list_forms_in(&self, workspace: &str) -> Result<Vec<Form>, AppError> {
        let ws = crate::access::workspace_by_slug(self.store().as_ref(), workspace).await?;
        Ok(self.store().list_forms(ws.id).await?)
    }

    pub async fn list_forms(&self, principal: &Principal) -> Result<Vec<Form>, AppError> {
        Ok(self.store().list_forms(principal.workspace_id).await?)
    }

    pub async fn form(&self, principal: &Principal, id: FormId) -> Result<Form, AppError> {
        Ok(self.store().form(principal.workspace_id, id).await?)
    }

    /// A form by id or by key, within a workspace (the CLI accepts either).
    pub async fn find_form(
        &self,
        workspace: closer_domain::WorkspaceId,
        id_or_key: &str,
    ) -> Result<Form, AppError> {
        if let Ok(id) = id_or_key.parse::<FormId>() {
            return Ok(self.store().form(workspace, id).await?);
        }
        let key = FormKey::parse(id_or_key).map_err(|_| AppError::NotFound)?;
        match self.store().form_by_key(&key).await? {
            Some(form) if form.workspace_id == workspace => Ok(form),
            _ => Err(AppError::NotFound),
        }
    }

    /// The form behind a public key, from the cache when fresh.
    pub(crate) async fn form_for_capture(&self, key: &FormKey) -> Result<CachedForm, AppError> {
        if let Some(hit) = self.cache.get(key) {
            return Ok(hit);
        }
        let form = self
            .store()
            .form_by_key(key)
            .await?
            .ok_or(AppError::NotFound)?;
        let ws = self.store().workspace(form.workspace_id).await?;
        let region = ws
            .default_region
            .as_deref()
            .and_then(|r| Region::parse(r).ok());
        let entry = CachedForm {
            form,
            region,
            fetched: Instant::now(),
        };
        self.cache.put(entry.clone());
        Ok(entry)
    }
}
