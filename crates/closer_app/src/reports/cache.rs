//! Computed dashboards and report pages, kept while nothing they count has changed. A
//! dashboard or a year's report reads every contact of its period — hundreds of milliseconds
//! to seconds at a million contacts — while the figures change only when a contact, deal or
//! order does. Each entry remembers the workspace's data version
//! (`ReportStore::data_version`, a few index lookups):
//!
//! - same version and younger than `FRESH_FOR`: shown as it is;
//! - otherwise, if younger than `SHOWN_FOR`: shown at once, marked as being refreshed, while
//!   one background task per entry computes the new figures for the next view;
//! - otherwise (or never computed): computed while the viewer waits, once for all viewers.
//!
//! Tracked visits alone do not change the version, so visitor counts may lag `FRESH_FOR`.
//! Works across several closer processes: each keeps its own entries, and the version comes
//! from the database.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use closer_domain::{Timestamp, WorkspaceId};
use closer_store::Period;

use super::Dashboard;
use crate::{App, AppError};

/// How long a computed report is shown without recomputing, if nothing it counts changed.
pub const FRESH_FOR: Duration = Duration::from_mins(5);
/// How old a computed report may be to be shown while newer figures are computed.
pub const SHOWN_FOR: Duration = Duration::from_mins(15);
/// Entries kept at most per cache (the oldest go first).
const KEEP: usize = 256;
const DAY: Duration = Duration::from_hours(24);

struct Entry<V> {
    version: String,
    at: Instant,
    value: Arc<V>,
}

/// Computed values (dashboards, report pages) by key, each with the data version it was
/// computed at. Every key is scoped to a workspace by its caller.
pub struct ReportCache<K, V> {
    entries: Mutex<HashMap<K, Entry<V>>>,
    /// Keys being recomputed in the background (one task each).
    refreshing: Mutex<HashSet<K>>,
    /// One computation at a time per key for viewers who wait: ten people opening the same
    /// dashboard after a restart wait for one computation, not ten side by side.
    computing: Mutex<HashMap<K, Arc<tokio::sync::Mutex<()>>>>,
}

impl<K, V> Default for ReportCache<K, V> {
    fn default() -> Self {
        Self {
            entries: Mutex::default(),
            refreshing: Mutex::default(),
            computing: Mutex::default(),
        }
    }
}

/// A value as the cache has it.
pub enum Cached<V = Dashboard> {
    /// Up to date.
    Fresh(Arc<V>),
    /// Shown while newer figures are being computed.
    Refreshing(Arc<V>),
}

impl<V> Cached<V> {
    pub fn value(&self) -> &V {
        match self {
            Cached::Fresh(d) | Cached::Refreshing(d) => d,
        }
    }
}

impl Cached<Dashboard> {
    pub fn dashboard(&self) -> &Dashboard {
        self.value()
    }
}

impl<K: Clone + Eq + Hash + Send + Sync + 'static, V: Send + Sync + 'static> ReportCache<K, V> {
    /// The entry and whether it is fresh, if one may be shown.
    fn get(&self, key: &K, version: &str) -> Option<(Arc<V>, bool)> {
        let map = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let e = map.get(key)?;
        let age = e.at.elapsed();
        let fresh = e.version == version && age < FRESH_FOR;
        (fresh || age < SHOWN_FOR).then(|| (e.value.clone(), fresh))
    }

    /// Claims the background refresh of `key`; false if one is under way.
    fn claim(&self, key: &K) -> bool {
        self.refreshing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key.clone())
    }

    fn release(&self, key: &K) {
        self.refreshing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key);
    }

    fn gate(&self, key: &K) -> Arc<tokio::sync::Mutex<()>> {
        self.computing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key.clone())
            .or_default()
            .clone()
    }

    /// Forgets `key`'s gate once nobody waits on it: report pages are keyed by any period a
    /// user asks for, so gates kept forever would grow without bound.
    fn ungate(&self, key: &K) {
        let mut map = self
            .computing
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if map.get(key).is_some_and(|g| Arc::strong_count(g) == 1) {
            map.remove(key);
        }
    }

    fn put(&self, key: K, version: String, value: Arc<V>) {
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

    /// The value of `key` at data version `version`: kept while fresh; the kept one while
    /// `compute` runs in the background once it is stale (but younger than `SHOWN_FOR`);
    /// otherwise computed now, once for everyone asking at the same time. `compute` may be
    /// called from a background task, so it owns what it needs.
    pub async fn fetch<F, Fut>(
        self: &Arc<Self>,
        key: K,
        version: String,
        compute: F,
    ) -> Result<Cached<V>, AppError>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<V, AppError>> + Send + 'static,
    {
        match self.get(&key, &version) {
            Some((hit, true)) => return Ok(Cached::Fresh(hit)),
            Some((kept, false)) => {
                if self.claim(&key) {
                    let cache = self.clone();
                    tokio::spawn(async move {
                        match compute().await {
                            Ok(v) => cache.put(key.clone(), version, Arc::new(v)),
                            Err(e) => tracing::warn!(error = %e, "refreshing a report failed"),
                        }
                        cache.release(&key);
                    });
                }
                return Ok(Cached::Refreshing(kept));
            }
            None => {}
        }
        let gate = self.gate(&key);
        let computed = {
            let _turn = gate.lock().await;
            match self.get(&key, &version) {
                Some((hit, _)) => Ok(hit),
                None => compute().await.map(|v| {
                    let v = Arc::new(v);
                    self.put(key.clone(), version, v.clone());
                    v
                }),
            }
        };
        drop(gate);
        self.ungate(&key);
        computed.map(Cached::Fresh)
    }
}

/// Dashboards by workspace, days and channel.
pub(crate) type DashboardCache = ReportCache<(WorkspaceId, u32, Option<String>), Dashboard>;

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
        let app = self.clone();
        let channel = channel.map(str::to_owned);
        self.inner
            .dashboards
            .fetch(key, version, move || async move {
                let to = Timestamp::now();
                let from = Timestamp::new(to.get() - DAY * days);
                app.dashboard(ws, Period { from, to }, channel.as_deref())
                    .await
            })
            .await
    }

    /// The workspace's data version (`ReportStore::data_version`): what a cache of computed
    /// reports compares.
    pub async fn data_version(&self, ws: WorkspaceId) -> Result<String, AppError> {
        Ok(self.store().data_version(ws).await?)
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn values_are_computed_once_and_gates_do_not_pile_up() {
        let cache: Arc<ReportCache<u32, u32>> = Arc::default();
        let computed = Arc::new(std::sync::atomic::AtomicU32::new(0));
        for key in 0..300 {
            for _ in 0..2 {
                let counter = computed.clone();
                let got = cache
                    .fetch(key, "v1".into(), move || async move {
                        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        Ok(key * 2)
                    })
                    .await
                    .unwrap();
                assert_eq!(*got.value(), key * 2);
            }
        }
        assert_eq!(
            computed.load(std::sync::atomic::Ordering::SeqCst),
            300,
            "the second ask of each key is kept"
        );
        assert!(
            cache.computing.lock().unwrap().is_empty(),
            "no gate outlives its computation"
        );
        assert!(cache.entries.lock().unwrap().len() <= KEEP);
    }
}
