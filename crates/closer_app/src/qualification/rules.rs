//! Each workspace's rules, parsed once and cached (a few seconds, so a change made by another
//! process or the CLI is picked up); the shipped defaults when a workspace has none.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use closer_domain::qualification::Rules;
use closer_domain::{FieldError, Timestamp, WorkspaceId};

use crate::{AppError, Principal};

const REFRESH: Duration = Duration::from_secs(5);

/// Each workspace's rules, read from the store and kept a few seconds: the one place every use
/// case (scoring, the queue, reports' targets) gets them from.
#[derive(Clone)]
pub(crate) struct WorkspaceRules {
    store: Arc<dyn closer_store::Store>,
    cache: Arc<RulesCache>,
}

impl WorkspaceRules {
    pub(crate) fn new(store: Arc<dyn closer_store::Store>) -> Self {
        Self {
            store,
            cache: Arc::default(),
        }
    }

    /// The workspace's rules: its own file, or the defaults.
    pub(crate) async fn get(&self, ws: WorkspaceId) -> Result<Arc<Rules>, AppError> {
        if let Some(rules) = self.cache.cached(ws) {
            return Ok(rules);
        }
        let rules =
            match self.store.rules_source(ws).await? {
                None => self.cache.defaults(),
                Some(source) => Arc::new(Rules::parse(&source).map_err(|e| {
                    AppError::Internal(format!("stored rules no longer parse: {e:?}"))
                })?),
            };
        self.cache.put(ws, rules.clone());
        Ok(rules)
    }

    /// Keeps `rules`, just saved, as the workspace's.
    pub(crate) fn saved(&self, ws: WorkspaceId, rules: Arc<Rules>) {
        self.cache.put(ws, rules);
    }
}

#[derive(Default)]
struct RulesCache {
    rules: RwLock<HashMap<WorkspaceId, (Arc<Rules>, Instant)>>,
    defaults: std::sync::OnceLock<Arc<Rules>>,
}

impl RulesCache {
    fn defaults(&self) -> Arc<Rules> {
        self.defaults
            .get_or_init(|| Arc::new(Rules::defaults()))
            .clone()
    }

    fn cached(&self, ws: WorkspaceId) -> Option<Arc<Rules>> {
        let guard = self
            .rules
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        guard
            .get(&ws)
            .filter(|(_, at)| at.elapsed() < REFRESH)
            .map(|(r, _)| r.clone())
    }

    fn put(&self, ws: WorkspaceId, rules: Arc<Rules>) {
        self.rules
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(ws, (rules, Instant::now()));
    }
}

/// A rules file's problems as field errors; the line goes first in the message.
fn rule_errors(errors: Vec<closer_domain::qualification::RuleError>) -> AppError {
    AppError::Invalid(
        errors
            .into_iter()
            .map(|e| {
                let message = match e.line {
                    Some(line) => format!("line {line}: {}", e.message),
                    None => e.message,
                };
                FieldError::new(e.field, message)
            })
            .collect(),
    )
}

impl super::Scoring {
    /// The rules in force for a workspace.
    pub async fn workspace_rules(&self, ws: WorkspaceId) -> Result<Arc<Rules>, AppError> {
        self.workspace_rules_cache().get(ws).await
    }

    pub async fn rules(&self, principal: &Principal) -> Result<Arc<Rules>, AppError> {
        self.workspace_rules(principal.workspace_id).await
    }

    /// Checks and stores a workspace's rules file (admins only). Scores computed under the old
    /// rules stay until `closer rescore` or the contact's next event.
    pub async fn put_rules(
        &self,
        principal: &Principal,
        source: &str,
    ) -> Result<Arc<Rules>, AppError> {
        principal.check(closer_domain::access::Action::Configure, None)?;
        self.apply_rules(principal.workspace_id, source).await
    }

    pub async fn apply_rules(&self, ws: WorkspaceId, source: &str) -> Result<Arc<Rules>, AppError> {
        let rules = Arc::new(Rules::parse(source).map_err(rule_errors)?);
        // Assignment rules name users: each must be one of the workspace's.
        let users = self.store().list_users(ws).await?;
        let unknown: Vec<_> = rules
            .assignment
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| !users.iter().any(|u| u.email == r.owner))
            .map(|(i, r)| closer_domain::qualification::RuleError {
                line: r.line,
                field: format!("assignment.rules[{i}].owner"),
                message: format!("{} is not a user of this workspace", r.owner),
            })
            .collect();
        if !unknown.is_empty() {
            return Err(rule_errors(unknown));
        }
        self.store()
            .put_rules_source(ws, source, Timestamp::now())
            .await?;
        self.workspace_rules_cache().saved(ws, rules.clone());
        tracing::info!(workspace.id = %ws, "qualification rules replaced");
        Ok(rules)
    }
}
