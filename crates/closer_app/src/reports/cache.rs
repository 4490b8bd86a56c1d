//! Computed dashboards, kept while nothing they count has changed. A dashboard reads several
//! reports over every contact of its period — seconds at a million contacts — while the
//! figures change only when a contact, deal or order does. Each entry remembers the
//! workspace's data version (`ReportStore::data_version`, a few index lookups):
//!
//! - same version and younger than `FRESH_FOR`: shown as it is;
//! - otherwise, if younger than `SHOWN_FOR`: shown at once, marked as being refreshed, while
//!   one background task per dashboard computes the new figures for the next view;
//! - otherwise (or never computed): computed while the viewer waits.
//!
//! Tracked visits alone do not change the version, so visitor counts may lag `FRESH_FOR`.
//! Works across several closer processes: each keeps its own entries, and the version comes
//! from the database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use closer_domain::{Timestamp, WorkspaceId};
use closer_store::Period;

use super::Dashboard;
use crate::{App, AppError};

/// How long a dashboard is shown without recomputing, if nothing it counts changed.
pub const FRESH_FOR: Duration = Duration::from_mins(5);
/// How old a dashboard may be to be shown while newer figures are computed.
pub const SHOWN_FOR: Duration = Duration::from_mins(15);
/// Dashboards kept at most (the oldest go first).
const KEEP: usize = 256;
const DAY: Duration = Duration::from_hours(24);

type Key = (WorkspaceId, u32, Option<String>);

struct Entry {
    version: String,
    at: Instant,
    value: Arc<Dashboard>,
}

#[derive(Default)]
pub(crate) struct DashboardCache {
    entries: Mutex<HashMap<Key, Entry>>,
    /// Dashboards being recomputed in the background (one task each).
    refreshing: Mutex<std::collections::HashSet<Key>>,
    /// One computation at a time per dashboard for viewers who wait: ten people opening the
    /// same dashboard after a restart wait for one computation, not ten side by side.
    computing: Mutex<HashMap<Key, Arc<tokio::sync::Mutex<()>>>>,
}

/// A dashboard as the cache has it.
pub enum Cached {
    /// Up to date.
    Fresh(Arc<Dashboard>),
    /// Shown while newer figures are being computed.
    Refreshing(Arc<Dashboard>),
}

impl Cached {
    pub fn dashboard(&self) -> &Dashboard {
        match self {
            Cached::Fresh(d) | Cached::Refreshing(d) => d,
        }
    }
}

impl DashboardCache {
    /// The entry and whether it is fresh, if one may be shown.
    fn get(&self, key: &Key, version: &str) -> Option<(Arc<Dashboard>, bool)> {
        let map = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let e = map.get(key)?;
        let age = e.at.elapsed();
        let fresh = e.version == version && age < FRESH_FOR;
        (fresh || age < SHOWN_FOR).then(|| (e.value.clone(), fresh))
    }

    /// Claims the background refresh of `key`; false if one is under way.
    fn claim(&self, key: &Key) -> bool {
        self.refreshing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key.clone())
    }

    fn release(&self, key: &Key) {
        self.refreshing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key);
    }

    fn gate(&self, key: &Key) -> Arc<tokio::sync::Mutex<()>> {
        self.computing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key.clone())
            .or_default()
            .clone()
    }

    fn put(&self, key: Key, version: String, value: Arc<Dashboard>) {
        let mut map = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= KEEP
            && let Some(oldest) = map.iter().min_by_key(|(_, e)| e.at).map(|(k, _)| k.clone())
        {
            map.remove(&oldest);
        }
        map.insert(
            key,
            Entry {
                version,
                at: Instant::now(),
                value,
            },
        );
    }
}

impl App {
    /// The dashboard of the last `days` days (all channels or one): from the cache while
    /// nothing it counts has changed, the kept one while a newer one is computed, or computed
    /// now.
    pub async fn dashboard_for(
        &self,
        ws: WorkspaceId,
        days: u32,
        channel: Option<&str>,
    ) -> Result<Cached, AppError> {
        let version = self.store().data_version(ws).await?;
        let key = (ws, days, channel.map(str::to_owned));
        let cache = &self.inner.dashboards;
        match cache.get(&key, &version) {
            Some((hit, true)) => return Ok(Cached::Fresh(hit)),
            Some((kept, false)) => {
                if cache.claim(&key) {
                    let app = self.clone();
                    tokio::spawn(async move {
                        let computed = app.compute_dashboard(&key, version).await;
                        app.inner.dashboards.release(&key);
                        if let Err(e) = computed {
                            tracing::warn!(error = %e, "refreshing a dashboard failed");
                        }
                    });
                }
                return Ok(Cached::Refreshing(kept));
            }
            None => {}
        }
        // Nothing to show: compute, once for everyone asking at the same time.
        let gate = cache.gate(&key);
        let _turn = gate.lock().await;
        if let Some((hit, _)) = cache.get(&key, &version) {
            return Ok(Cached::Fresh(hit));
        }
        self.compute_dashboard(&key, version)
            .await
            .map(Cached::Fresh)
    }

    /// Computes every workspace's default dashboard (90 days, all channels) in the
    /// background, so the first view after a start does not wait for it. Run by the server.
    pub async fn warm_dashboards(&self) {
        let Ok(workspaces) = self.list_workspaces().await else {
            return;
        };
        for ws in workspaces {
            let has_users = self.users(ws.id).await.is_ok_and(|u| !u.is_empty());
            if has_users && let Err(e) = self.dashboard_for(ws.id, 90, None).await {
                tracing::warn!(error = %e, "warming a dashboard failed");
            }
        }
    }

    async fn compute_dashboard(
        &self,
        key: &Key,
        version: String,
    ) -> Result<Arc<Dashboard>, AppError> {
        let (ws, days, channel) = key;
        let to = Timestamp::now();
        let from = Timestamp::new(to.get() - DAY * *days);
        let value = Arc::new(
            self.dashboard(*ws, Period { from, to }, channel.as_deref())
                .await?,
        );
        self.inner
            .dashboards
            .put(key.clone(), version, value.clone());
        Ok(value)
    }
}
