//! The reports use case as a service of its own: it holds what the reports need — the store,
//! the workspace rules (the bottleneck's targets, the dashboard's temperatures), the dashboard
//! cache, the journey mirrors and the lifetime-value fits — and nothing else of the app. `App`
//! composes it (`App::reports`); who may read which report is the caller's to check.

use std::sync::Arc;

use closer_domain::WorkspaceId;
use closer_domain::qualification::Rules;
use closer_store::Store;

use super::{DashboardCache, JourneyMirrors, ValueFits};
use crate::AppError;
use crate::qualification::WorkspaceRules;

#[derive(Clone)]
pub struct Reports(Arc<Inner>);

pub(super) struct Inner {
    pub(super) store: Arc<dyn Store>,
    pub(super) rules: WorkspaceRules,
    pub(super) dashboards: Arc<DashboardCache>,
    pub(super) mirrors: JourneyMirrors,
    pub(super) value_fits: ValueFits,
}

impl Reports {
    pub(crate) fn new(
        store: Arc<dyn Store>,
        rules: WorkspaceRules,
        mirrors: JourneyMirrors,
    ) -> Self {
        Self(Arc::new(Inner {
            store,
            rules,
            dashboards: Arc::default(),
            mirrors,
            value_fits: ValueFits::default(),
        }))
    }

    pub(super) fn store(&self) -> &Arc<dyn Store> {
        &self.0.store
    }

    pub(super) fn inner(&self) -> &Inner {
        &self.0
    }

    pub(super) async fn workspace_rules(&self, ws: WorkspaceId) -> Result<Arc<Rules>, AppError> {
        self.0.rules.get(ws).await
    }
}
