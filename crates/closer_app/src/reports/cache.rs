//! Computed dashboards, kept while nothing they count has changed. A dashboard reads several
//! reports over every contact of its period — seconds at a million contacts — while the
//! figures change only when a contact, deal or order does. Each entry remembers the
//! workspace's data version (`ReportStore::data_version`, a few index lookups) and is used
//! while the version is the same and the entry is younger than `FRESH_FOR`; tracked visits
//! alone do not change the version, so visitor counts may lag that long. Works across several
//! closer processes: each keeps its own entries, and the version comes from the database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use closer_domain::{Timestamp, WorkspaceId};
use closer_store::Period;

use super::Dashboard;
use crate::{App, AppError};

/// How long a dashboard is shown without recomputing, if nothing it counts changed.
pub const FRESH_FOR: Duration = Duration::from_mins(5);
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
pub(crate) struct DashboardCache(Mutex<HashMap<Key, Entry>>);

impl DashboardCache {
    fn get(&self, key: &Key, version: &str) -> Option<Arc<Dashboard>> {
        let map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(key)
            .filter(|e| e.version == version && e.at.elapsed() < FRESH_FOR)
            .map(|e| e.value.clone())
    }

    fn put(&self, key: Key, version: String, value: Arc<Dashboard>) {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
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
    /// The dashboard of the last `days` days (all channels or one), from the cache when
    /// nothing it counts has changed since it was computed.
    pub async fn dashboard_for(
        &self,
        ws: WorkspaceId,
        days: u32,
        channel: Option<&str>,
    ) -> Result<Arc<Dashboard>, AppError> {
        let version = self.store().data_version(ws).await?;
        let key = (ws, days, channel.map(str::to_owned));
        let cache = &self.inner.dashboards;
        if let Some(hit) = cache.get(&key, &version) {
            return Ok(hit);
        }
        let to = Timestamp::now();
        let from = Timestamp::new(to.get() - DAY * days);
        let value = Arc::new(self.dashboard(ws, Period { from, to }, channel).await?);
        cache.put(key, version, value.clone());
        Ok(value)
    }
}
