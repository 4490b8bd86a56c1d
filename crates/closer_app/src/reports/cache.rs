//! Computed dashboards and report pages, kept while nothing they count has changed. A
//! dashboard or a year's report reads every contact of its period — hundreds of milliseconds
//! to seconds at a million contacts — while the figures change only when a contact, deal or
//! order does. Each entry remembers the workspace's data version
//! (`ReportStore::data_version`, a few index lookups):
//!
//! - same version and younger than `FRESH_FOR`: shown as it is;
//! - otherwise, if younger than `SHOWN_FOR`: shown at once, marked as being refreshed, while
//!   one background task per entry computes the new figures for the next view;
//! - otherwise (or never computed): computed while the viewer waits, once for all viewers —
//!   or, through `fetch_within` (the web pages), waited for only so long: past that the
//!   viewer is told the figures are coming while at most `MAX_UNWAITED` such computations run
//!   in the background, and hears of one that failed.
//!
//! Tracked visits alone do not change the version, so visitor counts may lag `FRESH_FOR`.
//! Works across several closer processes: each keeps its own entries, and the version comes
//! from the database.
//!
//! The server also keeps entries warm (`keep_warm`, every `WARM_EVERY`): an entry someone
//! asked for within `WANTED_FOR` is recomputed in the background once it is older than
//! `FRESH_FOR` and its data changed, and before it would outlive `SHOWN_FOR`. So a dashboard
//! people use is never computed while they wait, however long they stay away; only a view
//! nobody asked for in a day (or since the start) is.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

// Tokio's clock, which tests can pause and advance.
use tokio::time::Instant;

use closer_domain::{Timestamp, WorkspaceId};
use closer_store::Period;

use super::DashboardData;
use super::Reports;
use crate::AppError;

/// How long a computed report is shown without recomputing, if nothing it counts changed.
pub const FRESH_FOR: Duration = Duration::from_mins(5);
/// How old a computed report may be to be shown while newer figures are computed.
pub const SHOWN_FOR: Duration = Duration::from_mins(15);
/// Entries kept at most per cache (the oldest go first).
const KEEP: usize = 256;
const DAY: Duration = Duration::from_hours(24);
/// How often the server's warmer looks over the kept entries.
pub const WARM_EVERY: Duration = Duration::from_mins(1);
/// Entries asked for within this long are kept warm.
pub const WANTED_FOR: Duration = DAY;

/// Computes an entry's value again: kept with it, so the warmer can without a viewer.
type Compute<V> =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<V, AppError>> + Send>> + Send + Sync>;

struct Entry<V> {
    ws: WorkspaceId,
    version: String,
    at: Instant,
    /// When someone last asked for it.
    asked: Instant,
    value: Arc<V>,
    compute: Compute<V>,
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
    /// Computations no viewer waited for that failed, and why: told to the next viewer
    /// (`fetch_within`) instead of a page that keeps saying its figures are coming.
    failed: Mutex<HashMap<K, String>>,
    /// Computations under way that no viewer waits for (`fetch_within`): bounded, so asking
    /// for many new pages at once cannot start more work than the server does for viewers
    /// who wait.
    unwaited: Arc<std::sync::atomic::AtomicUsize>,
}

/// Most computations under way in the background for viewers who did not wait, per cache;
/// past it a viewer waits for their figures as before.
const MAX_UNWAITED: usize = 4;

/// Counts one computation no viewer waits for, while it lives.
struct Unwaited(Arc<std::sync::atomic::AtomicUsize>);

impl Unwaited {
    fn claim(count: &Arc<std::sync::atomic::AtomicUsize>) -> Option<Self> {
        use std::sync::atomic::Ordering;
        count
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < MAX_UNWAITED).then_some(n + 1)
            })
            .ok()
            .map(|_| Self(count.clone()))
    }
}

impl Drop for Unwaited {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl<K, V> Default for ReportCache<K, V> {
    fn default() -> Self {
        Self {
            entries: Mutex::default(),
            refreshing: Mutex::default(),
            computing: Mutex::default(),
            failed: Mutex::default(),
            unwaited: Arc::default(),
        }
    }
}

/// A value just computed, with what the cache keeps beside it.
struct Made<V> {
    ws: WorkspaceId,
    version: String,
    value: Arc<V>,
    compute: Compute<V>,
}

/// A value as the cache has it.
pub enum Cached<V = DashboardData> {
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

impl<K: Clone + Eq + Hash + Send + Sync + 'static, V: Send + Sync + 'static> ReportCache<K, V> {
    /// The entry and whether it is fresh, if one may be shown (noted as asked for).
    fn get(&self, key: &K, version: &str) -> Option<(Arc<V>, bool)> {
        let mut map = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let e = map.get_mut(key)?;
        e.asked = Instant::now();
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

    /// Keeps `value`; `asked` is when someone last asked for it (the warmer passes the kept
    /// entry's, so its own refreshes do not keep an entry wanted).
    fn put(&self, key: K, made: Made<V>, asked: Instant) {
        let mut map = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        // A viewer may have asked while the warmer computed.
        let asked = map.get(&key).map_or(asked, |e| e.asked.max(asked));
        if !map.contains_key(&key)
            && map.len() >= KEEP
            && let Some(oldest) = map
                .iter()
                .min_by_key(|(_, e)| e.asked)
                .map(|(k, _)| k.clone())
        {
            map.remove(&oldest);
        }
        map.insert(
            key,
            Entry {
                ws: made.ws,
                version: made.version,
                at: Instant::now(),
                asked,
                value: made.value,
                compute: made.compute,
            },
        );
    }

    /// Runs `compute` and keeps what it makes (see `put` for `asked`).
    async fn recompute(
        &self,
        key: &K,
        ws: WorkspaceId,
        version: String,
        compute: Compute<V>,
        asked: Instant,
    ) -> Result<(), AppError> {
        let value = Arc::new(compute().await?);
        let made = Made {
            ws,
            version,
            value,
            compute,
        };
        self.put(key.clone(), made, asked);
        Ok(())
    }

    /// Recomputes, in turn, each entry asked for within `WANTED_FOR` that is older than
    /// `FRESH_FOR` and either counts data that changed since or would soon outlive
    /// `SHOWN_FOR`. One at a time: the warmer must not take both cores from the people using
    /// the server. Entries a viewer is already refreshing are left to that viewer.
    pub async fn keep_warm(self: &Arc<Self>, reports: &Reports) {
        self.keep_warm_with(|ws| {
            let reports = reports.clone();
            async move { reports.data_version(ws).await }
        })
        .await;
    }

    /// `keep_warm` with the workspaces' data versions read by `version_of`.
    async fn keep_warm_with<F, Fut>(self: &Arc<Self>, version_of: F)
    where
        F: Fn(WorkspaceId) -> Fut,
        Fut: Future<Output = Result<String, AppError>>,
    {
        let candidates: Vec<_> = {
            let map = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            map.iter()
                .filter(|(_, e)| e.asked.elapsed() < WANTED_FOR && e.at.elapsed() >= FRESH_FOR)
                .map(|(k, e)| {
                    let soon_gone = e.at.elapsed() + 2 * WARM_EVERY >= SHOWN_FOR;
                    (k.clone(), e.ws, e.version.clone(), soon_gone, e.asked)
                })
                .collect()
        };
        let mut versions: HashMap<WorkspaceId, String> = HashMap::new();
        for (key, ws, kept_version, soon_gone, asked) in candidates {
            let version = match versions.get(&ws) {
                Some(v) => v.clone(),
                None => match version_of(ws).await {
                    Ok(v) => versions.entry(ws).or_insert(v).clone(),
                    Err(e) => {
                        tracing::warn!(error = %e, "keeping reports warm: reading a data version failed");
                        continue;
                    }
                },
            };
            if (version == kept_version && !soon_gone) || !self.claim(&key) {
                continue;
            }
            let compute = self
                .entries
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&key)
                .map(|e| e.compute.clone());
            if let Some(compute) = compute
                && let Err(e) = self.recompute(&key, ws, version, compute, asked).await
            {
                // Not tried again every minute: the next viewer computes it and sees the
                // error.
                tracing::warn!(error = %e, "keeping a report warm failed");
                self.entries
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(&key);
            }
            self.release(&key);
        }
    }

    /// The value of `key` (of workspace `ws`) at data version `version`: kept while fresh;
    /// the kept one while `compute` runs in the background once it is stale (but younger
    /// than `SHOWN_FOR`); otherwise computed now, once for everyone asking at the same time.
    /// `compute` is kept with the value and may be called again from a background task (by
    /// the warmer too), so it owns what it needs and works out relative periods ("the last
    /// 90 days") each time it runs.
    pub async fn fetch<F, Fut>(
        self: &Arc<Self>,
        ws: WorkspaceId,
        key: K,
        version: String,
        compute: F,
    ) -> Result<Cached<V>, AppError>
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<V, AppError>> + Send + 'static,
    {
        let compute: Compute<V> = Arc::new(move || Box::pin(compute()));
        match self.get(&key, &version) {
            Some((hit, true)) => return Ok(Cached::Fresh(hit)),
            Some((kept, false)) => {
                if self.claim(&key) {
                    let cache = self.clone();
                    tokio::spawn(async move {
                        let asked = Instant::now();
                        if let Err(e) = cache.recompute(&key, ws, version, compute, asked).await {
                            tracing::warn!(error = %e, "refreshing a report failed");
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
                    let value = Arc::new(v);
                    let made = Made {
                        ws,
                        version,
                        value: value.clone(),
                        compute,
                    };
                    self.put(key.clone(), made, Instant::now());
                    value
                }),
            }
        };
        drop(gate);
        self.ungate(&key);
        computed.map(Cached::Fresh)
    }
}

impl<K: Clone + Eq + Hash + Send + Sync + 'static, V: Send + Sync + 'static> ReportCache<K, V> {
    /// `fetch`, waiting at most `wait` for a value that must be computed: past that the
    /// computation goes on in the background (its value kept for the next view, still
    /// computed once for everyone) and `None` comes back, so a page can answer at once
    /// and show its figures once they are ready.
    pub async fn fetch_within<F, Fut>(
        self: &Arc<Self>,
        ws: WorkspaceId,
        key: K,
        version: String,
        wait: Duration,
        compute: F,
    ) -> Result<Option<Cached<V>>, AppError>
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<V, AppError>> + Send + 'static,
    {
        if self.get(&key, &version).is_some() {
            // Kept figures are shown at once, whatever the wait.
            return self.fetch(ws, key, version, compute).await.map(Some);
        }
        let failed = self
            .failed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&key);
        if let Some(why) = failed {
            // Said once; the view after it tries again.
            return Err(AppError::Unavailable(format!(
                "the figures could not be computed: {why}"
            )));
        }
        let Some(unwaited) = Unwaited::claim(&self.unwaited) else {
            // Enough is being computed for nobody already: this viewer waits.
            return self.fetch(ws, key, version, compute).await.map(Some);
        };
        let cache = self.clone();
        let asked = key.clone();
        let task = tokio::spawn(async move {
            let _counted = unwaited;
            let done = cache.fetch(ws, asked.clone(), version, compute).await;
            if let Err(e) = &done {
                tracing::warn!(error = %e, "computing a report failed");
                let mut failed = cache.failed.lock().unwrap_or_else(PoisonError::into_inner);
                if failed.len() >= KEEP {
                    failed.clear();
                }
                failed.insert(asked, e.to_string());
            }
            done
        });
        if wait.is_zero() {
            // No wait at all: not even a look at a computation that may have raced ahead.
            return Ok(None);
        }
        match tokio::time::timeout(wait, task).await {
            Ok(Ok(done)) => {
                if done.is_err() {
                    // This viewer hears it now; the next one tries again.
                    self.failed
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .remove(&key);
                }
                done.map(Some)
            }
            Ok(Err(e)) => Err(AppError::Internal(format!("computing a report: {e}"))),
            Err(_) => Ok(None),
        }
    }
}

/// What dashboards show, by workspace and days: one entry serves every channel.
pub(crate) type DashboardCache = ReportCache<(WorkspaceId, u32), DashboardData>;

impl Reports {
    /// What the dashboard of the last `days` days shows, for every channel
    /// (`DashboardData::view` picks one): from the cache while nothing it counts has
    /// changed, the kept one while a newer one is computed, or computed now.
    pub async fn dashboard_for(&self, ws: WorkspaceId, days: u32) -> Result<Cached, AppError> {
        let version = self.store().data_version(ws).await?;
        let app = self.clone();
        self.inner()
            .dashboards
            .fetch(ws, (ws, days), version, move || {
                let app = app.clone();
                async move { app.dashboard_days(ws, days).await }
            })
            .await
    }

    /// `dashboard_for`, waiting at most `wait` for figures that must be computed (see
    /// `ReportCache::fetch_within`): `None` while they are being computed.
    pub async fn dashboard_within(
        &self,
        ws: WorkspaceId,
        days: u32,
        wait: Duration,
    ) -> Result<Option<Cached>, AppError> {
        let version = self.store().data_version(ws).await?;
        let app = self.clone();
        self.inner()
            .dashboards
            .fetch_within(ws, (ws, days), version, wait, move || {
                let app = app.clone();
                async move { app.dashboard_days(ws, days).await }
            })
            .await
    }

    /// The dashboard of the `days` days up to now.
    async fn dashboard_days(&self, ws: WorkspaceId, days: u32) -> Result<DashboardData, AppError> {
        let to = Timestamp::now();
        let from = Timestamp::new(to.get() - DAY * days);
        self.dashboard_data(ws, Period { from, to }).await
    }

    /// Recomputes the dashboards people use before they are asked for again
    /// (`ReportCache::keep_warm`); the server runs it every `WARM_EVERY`.
    pub async fn keep_dashboards_warm(&self) {
        self.inner().dashboards.keep_warm(self).await;
    }

    /// The workspace's data version (`ReportStore::data_version`): what a cache of computed
    /// reports compares.
    pub async fn data_version(&self, ws: WorkspaceId) -> Result<String, AppError> {
        Ok(self.store().data_version(ws).await?)
    }

    /// The workspaces someone can sign in to: those whose reports are worth warming.
    pub async fn workspaces_with_users(&self) -> Vec<WorkspaceId> {
        let Ok(workspaces) = self.store().list_workspaces().await else {
            return Vec::new();
        };
        let mut with_users = Vec::new();
        for ws in workspaces {
            if self
                .store()
                .list_users(ws.id)
                .await
                .is_ok_and(|u| !u.is_empty())
            {
                with_users.push(ws.id);
            }
        }
        with_users
    }

    /// Computes a workspace's dashboards for each of `periods` (days; every channel) in the
    /// background, so the first views after a start do not wait for them. Run by the server.
    pub async fn warm_dashboards(&self, ws: WorkspaceId, periods: &[u32]) {
        for &days in periods {
            if let Err(e) = self.dashboard_for(ws, days).await {
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
                    .fetch(
                        WorkspaceId(uuid::Uuid::nil()),
                        key,
                        "v1".into(),
                        move || {
                            let counter = counter.clone();
                            async move {
                                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                                Ok(key * 2)
                            }
                        },
                    )
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

    /// A page that does not wait: nothing at first, the figures once computed; a computation
    /// that failed is told to the next viewer once, and the view after that tries again.
    #[tokio::test]
    async fn viewers_who_do_not_wait_see_figures_or_why_there_are_none() {
        let cache: Arc<ReportCache<u32, u32>> = Arc::default();
        let ws = WorkspaceId(uuid::Uuid::nil());
        let ask = |key: u32, fail: bool| {
            let cache = cache.clone();
            async move {
                cache
                    .fetch_within(ws, key, "v1".into(), Duration::ZERO, move || async move {
                        if fail {
                            Err(AppError::Unavailable("the database is away".into()))
                        } else {
                            Ok(key * 2)
                        }
                    })
                    .await
            }
        };
        for (key, fail) in [(1, false), (2, true)] {
            assert!(matches!(ask(key, fail).await, Ok(None)), "nothing yet");
            let mut answer = Ok(None);
            for _ in 0..1_000 {
                tokio::time::sleep(Duration::from_millis(1)).await;
                answer = ask(key, fail).await;
                if !matches!(answer, Ok(None)) {
                    break;
                }
            }
            match (fail, answer) {
                (false, Ok(Some(Cached::Fresh(v)))) => assert_eq!(*v, 2),
                (true, Err(AppError::Unavailable(why))) => {
                    assert!(why.contains("the database is away"), "{why}");
                    assert!(
                        matches!(ask(key, fail).await, Ok(None)),
                        "said once, then tried again"
                    );
                }
                (_, other) => panic!("key {key}: {:?}", other.map(|v| v.is_some())),
            }
        }
    }

    /// Asking for many new pages at once starts at most `MAX_UNWAITED` computations nobody
    /// waits for; past that a viewer waits for their own figures.
    #[tokio::test]
    async fn computations_nobody_waits_for_are_bounded() {
        let cache: Arc<ReportCache<u32, u32>> = Arc::default();
        let ws = WorkspaceId(uuid::Uuid::nil());
        let release = Arc::new(tokio::sync::Semaphore::new(0));
        let ask = |key: u32| {
            let (cache, release) = (cache.clone(), release.clone());
            async move {
                cache
                    .fetch_within(ws, key, "v1".into(), Duration::ZERO, move || {
                        let release = release.clone();
                        async move {
                            // The first keys' computations hold until released.
                            if key < 100 {
                                let _go = release.acquire().await;
                            }
                            Ok(key)
                        }
                    })
                    .await
                    .map(|c| c.map(|c| *c.value()))
            }
        };
        for key in 0..u32::try_from(MAX_UNWAITED).unwrap() {
            assert_eq!(
                ask(key).await.unwrap(),
                None,
                "key {key} goes to the background"
            );
        }
        assert_eq!(
            ask(100).await.unwrap(),
            Some(100),
            "computed while its viewer waits"
        );
        release.add_permits(MAX_UNWAITED);
        for _ in 0..1_000 {
            if cache.unwaited.load(std::sync::atomic::Ordering::SeqCst) == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(cache.unwaited.load(std::sync::atomic::Ordering::SeqCst), 0);
        assert_eq!(ask(0).await.unwrap(), Some(0), "kept once computed");
        assert_eq!(
            ask(101).await.unwrap(),
            None,
            "room in the background again"
        );
    }

    /// A cache of one key whose computations are counted, and a version to report.
    struct Warmed {
        cache: Arc<ReportCache<u32, u32>>,
        computed: Arc<std::sync::atomic::AtomicU32>,
        version: Arc<Mutex<String>>,
    }

    impl Warmed {
        fn computed(&self) -> u32 {
            self.computed.load(std::sync::atomic::Ordering::SeqCst)
        }

        fn set_version(&self, v: &str) {
            *self.version.lock().unwrap() = v.to_owned();
        }

        async fn ask(&self) -> Cached<u32> {
            let counter = self.computed.clone();
            let version = self.version.lock().unwrap().clone();
            self.cache
                .fetch(WorkspaceId(uuid::Uuid::nil()), 1, version, move || {
                    let counter = counter.clone();
                    async move { Ok(counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1) }
                })
                .await
                .unwrap()
        }

        async fn warm(&self) {
            let version = self.version.clone();
            self.cache
                .keep_warm_with(|_| {
                    let v = version.lock().unwrap().clone();
                    async move { Ok(v) }
                })
                .await;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn entries_people_use_are_recomputed_before_they_are_asked_for_again() {
        let w = Warmed {
            cache: Arc::default(),
            computed: Arc::default(),
            version: Arc::new(Mutex::new("v1".into())),
        };
        // Just under SHOWN_FOR: an entry this old is recomputed before its next view.
        let step = SHOWN_FOR.saturating_sub(WARM_EVERY);
        assert!(matches!(w.ask().await, Cached::Fresh(v) if *v == 1));
        // Young and unchanged, then old but unchanged: left alone.
        w.warm().await;
        tokio::time::advance(FRESH_FOR + Duration::from_secs(1)).await;
        w.warm().await;
        assert_eq!(w.computed(), 1);
        // Its data changed: recomputed by the warmer, so the next viewer gets it fresh.
        w.set_version("v2");
        w.warm().await;
        assert_eq!(w.computed(), 2);
        assert!(matches!(w.ask().await, Cached::Fresh(v) if *v == 2));
        // Unchanged, but about to outlive SHOWN_FOR: recomputed all the same.
        tokio::time::advance(step).await;
        w.warm().await;
        assert_eq!(w.computed(), 3);
        // Kept warm for a day after it was last asked for, then no longer, and gone once
        // too old to show.
        let mut since_asked = step;
        while since_asked < WANTED_FOR {
            tokio::time::advance(step).await;
            since_asked += step;
            w.warm().await;
        }
        let recomputed = w.computed();
        assert!(
            recomputed >= 3 + 24 * 60 / 15,
            "kept warm while wanted: {recomputed}"
        );
        tokio::time::advance(SHOWN_FOR).await;
        w.warm().await;
        assert_eq!(w.computed(), recomputed, "not warmed once unwanted");
        assert!(matches!(w.ask().await, Cached::Fresh(v) if *v == recomputed + 1));
    }
}
