//! Each workspace's journeys, kept in memory for the reports. A year's funnel, speed-to-lead
//! and dashboard at a million contacts read every journey of the year: a scan of the table
//! and a million rows copied out of the database per report, most of a report's time. The
//! mirror reads the journeys once, then before each report only those changed since
//! (`JourneyFeedStore::journey_feed`), so every report sees every write committed before it
//! began, exactly as a read of the table would, and several closer processes over one
//! database each keep their own.
//!
//! About 90 bytes per contact. Breakdowns by a contact property still read the table: the
//! mirror holds no properties.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use closer_domain::reports::Breakdown;
use closer_domain::{ContactId, WorkspaceId};
use closer_store::{
    FeedJourney, FeedNumbers, GroupIndex, GroupNames, JourneyFeed, JourneyRow, Journeys, Labels,
    LeadResponse, Period, Store, StoreError,
};
use uuid::Uuid;

/// "Not reached" in a slot: the times are stored without `Option` to keep slots small.
const NOT_YET: i64 = i64::MIN;

fn packed(t: Option<i64>) -> i64 {
    t.unwrap_or(NOT_YET)
}

fn unpacked(t: i64) -> Option<i64> {
    (t != NOT_YET).then_some(t)
}

/// One contact's journey; a slot whose `entered_at` is `NOT_YET` is free.
#[derive(Debug, Clone, Copy)]
struct Slot {
    entered_at: i64,
    reached: [i64; 6],
    first_touch_at: i64,
    channel: u32,
    source: u32,
    campaign: u32,
    site: u32,
    owner: u32,
}

/// One workspace's journeys.
#[derive(Default)]
struct Mirror {
    /// Where the next feed starts; `None` until the first (whole) read.
    mark: Option<i64>,
    index: foldhash::HashMap<ContactId, u32>,
    slots: Vec<Slot>,
    free: Vec<u32>,
    numbers: FeedNumbers,
}

impl Mirror {
    fn apply(&mut self, feed: JourneyFeed) {
        if self.mark.is_none() {
            *self = Self::default();
        }
        // The feed numbers its own names and ids; the mirror keeps its own numbering.
        let names: Vec<u32> = feed
            .names
            .iter()
            .map(|n| self.numbers.name(n.as_deref()))
            .collect();
        let ids: Vec<u32> = feed.ids.iter().map(|i| self.numbers.id(*i)).collect();
        let renumber = |v: &[u32], n: u32| v.get(n as usize).copied().unwrap_or(0);
        for row in feed.rows {
            let Some(j) = row.journey else {
                if let Some(i) = self.index.remove(&row.contact) {
                    self.slots[i as usize].entered_at = NOT_YET;
                    self.free.push(i);
                }
                continue;
            };
            let slot = Self::slot(&j, &names, &ids, renumber);
            if let Some(&i) = self.index.get(&row.contact) {
                self.slots[i as usize] = slot;
                continue;
            }
            let i = if let Some(i) = self.free.pop() {
                self.slots[i as usize] = slot;
                i
            } else {
                self.slots.push(slot);
                u32::try_from(self.slots.len() - 1).unwrap_or(u32::MAX)
            };
            self.index.insert(row.contact, i);
        }
        self.mark = Some(feed.mark);
    }

    fn slot(
        j: &FeedJourney,
        names: &[u32],
        ids: &[u32],
        renumber: impl Fn(&[u32], u32) -> u32,
    ) -> Slot {
        Slot {
            entered_at: j.entered_at,
            reached: j.reached.map(packed),
            first_touch_at: packed(j.first_touch_at),
            channel: renumber(names, j.channel),
            source: renumber(names, j.source),
            campaign: renumber(names, j.campaign),
            site: renumber(ids, j.site),
            owner: renumber(ids, j.owner),
        }
    }

    fn live(&self) -> impl Iterator<Item = &Slot> {
        self.slots.iter().filter(|s| s.entered_at != NOT_YET)
    }
}

/// `cache[n]`, made the first time it is asked for: each of a report's groups is named once,
/// not once per journey.
fn memo<T: Clone>(cache: &mut [Option<T>], n: u32, make: impl FnOnce() -> T) -> T {
    match cache.get_mut(n as usize) {
        Some(Some(v)) => v.clone(),
        Some(slot) => slot.insert(make()).clone(),
        None => make(),
    }
}

/// How a breakdown groups slots: each slot's group number under it, and that number's name.
struct Grouping<'a> {
    by: &'a Breakdown,
    numbers: &'a FeedNumbers,
    sites: HashMap<Uuid, &'a str>,
    owners: HashMap<Uuid, &'a str>,
}

impl<'a> Grouping<'a> {
    fn new(by: &'a Breakdown, numbers: &'a FeedNumbers, names: &'a GroupNames) -> Self {
        let map = |v: &'a [(Uuid, String)]| v.iter().map(|(id, n)| (*id, n.as_str())).collect();
        Self {
            by,
            numbers,
            sites: map(&names.sites),
            owners: map(&names.owners),
        }
    }

    /// The slot's group number: a name's number for channels, sources and campaigns, an
    /// id's for sites and owners, 0 for the whole business.
    fn number(&self, s: &Slot) -> u32 {
        match self.by {
            Breakdown::Channel => s.channel,
            Breakdown::Source => s.source,
            Breakdown::Campaign => s.campaign,
            Breakdown::Site => s.site,
            Breakdown::Owner => s.owner,
            Breakdown::Total | Breakdown::Property(_) => 0,
        }
    }

    fn name(&self, n: u32) -> Option<&'a str> {
        match self.by {
            Breakdown::Channel | Breakdown::Source | Breakdown::Campaign => self.numbers.name_of(n),
            Breakdown::Site => self
                .numbers
                .id_of(n)
                .and_then(|id| self.sites.get(&id).copied()),
            Breakdown::Owner => self
                .numbers
                .id_of(n)
                .and_then(|id| self.owners.get(&id).copied()),
            Breakdown::Total | Breakdown::Property(_) => None,
        }
    }

    /// How many group numbers there can be.
    fn span(&self) -> usize {
        let (names, ids) = self.numbers.counts();
        names.max(ids).max(1)
    }
}

impl Mirror {
    /// What `ReportStore::journeys` reads, from memory.
    fn journeys(&self, period: Period, grouping: &Grouping<'_>) -> Journeys {
        let (from, to) = (period.from.unix_micros(), period.to.unix_micros());
        let mut groups = GroupIndex::default();
        let mut numbered: Vec<Option<u32>> = vec![None; grouping.span()];
        let mut rows = Vec::new();
        for s in self.live() {
            if s.entered_at >= to
                || (s.entered_at < from && s.reached[1..].iter().all(|t| *t < from))
            {
                continue;
            }
            let n = grouping.number(s);
            let group = memo(&mut numbered, n, || groups.of(grouping.name(n)));
            rows.push(JourneyRow {
                group,
                reached: s.reached.map(unpacked),
            });
        }
        groups.into_journeys(rows)
    }

    /// What `ReportStore::lead_responses` reads, from memory.
    fn lead_responses(&self, period: Period, grouping: &Grouping<'_>) -> Vec<LeadResponse> {
        let (from, to) = (period.from.unix_micros(), period.to.unix_micros());
        let mut labels = Labels::default();
        let mut named: Vec<Option<Option<closer_store::Label>>> = vec![None; grouping.span()];
        let mut out = Vec::new();
        for s in self.live() {
            let lead_at = s.reached[1];
            if lead_at == NOT_YET || lead_at < from || lead_at >= to || s.first_touch_at == NOT_YET
            {
                continue;
            }
            let n = grouping.number(s);
            let group = memo(&mut named, n, || labels.of_opt(grouping.name(n)));
            out.push(LeadResponse {
                group,
                seconds: (s.first_touch_at - lead_at).max(0) / 1_000_000,
            });
        }
        out
    }
}

/// The mirrors of every workspace a report was asked of.
pub(crate) struct JourneyMirrors {
    /// Off: every report reads the tables (`App::reading_tables`).
    on: bool,
    by_ws: Mutex<HashMap<WorkspaceId, Arc<tokio::sync::Mutex<Mirror>>>>,
}

impl Default for JourneyMirrors {
    fn default() -> Self {
        Self {
            on: true,
            by_ws: Mutex::default(),
        }
    }
}

impl JourneyMirrors {
    pub(crate) fn off() -> Self {
        Self {
            on: false,
            ..Self::default()
        }
    }

    /// Whether the mirror answers for this breakdown (it holds no contact properties).
    fn answers(&self, by: &Breakdown) -> bool {
        self.on && !matches!(by, Breakdown::Property(_))
    }

    /// Brings the workspace's mirror up to date, then reads it.
    async fn read<T>(
        &self,
        store: &dyn Store,
        ws: WorkspaceId,
        by: &Breakdown,
        read: impl FnOnce(&Mirror, &Grouping<'_>) -> T,
    ) -> Result<T, StoreError> {
        let mirror = self
            .by_ws
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(ws)
            .or_default()
            .clone();
        let names = if matches!(by, Breakdown::Site | Breakdown::Owner) {
            store.group_names(ws).await?
        } else {
            GroupNames::default()
        };
        // One refresh at a time per workspace; readers wait for it and then share it.
        let mut m = mirror.lock().await;
        let feed = store.journey_feed(ws, m.mark).await?;
        m.apply(feed);
        let grouping = Grouping::new(by, &m.numbers, &names);
        Ok(read(&m, &grouping))
    }

    pub(super) async fn journeys(
        &self,
        store: &dyn Store,
        ws: WorkspaceId,
        period: Period,
        by: &Breakdown,
    ) -> Result<Journeys, StoreError> {
        self.read(store, ws, by, |m, g| m.journeys(period, g)).await
    }

    pub(super) async fn lead_responses(
        &self,
        store: &dyn Store,
        ws: WorkspaceId,
        period: Period,
        by: &Breakdown,
    ) -> Result<Vec<LeadResponse>, StoreError> {
        self.read(store, ws, by, |m, g| m.lead_responses(period, g))
            .await
    }
}

impl crate::App {
    /// The journeys of a period (`ReportStore::journeys`), from the workspace's mirror where
    /// the breakdown allows.
    pub(super) async fn report_journeys(
        &self,
        ws: WorkspaceId,
        period: Period,
        by: &Breakdown,
    ) -> Result<Journeys, StoreError> {
        let store = self.store();
        if self.inner.mirrors.answers(by) {
            self.inner
                .mirrors
                .journeys(store.as_ref(), ws, period, by)
                .await
        } else {
            store.journeys(ws, period, by).await
        }
    }

    /// Speed-to-lead's rows (`ReportStore::lead_responses`), from the mirror where the
    /// breakdown allows.
    pub(super) async fn report_lead_responses(
        &self,
        ws: WorkspaceId,
        period: Period,
        by: &Breakdown,
    ) -> Result<Vec<LeadResponse>, StoreError> {
        let store = self.store();
        if self.inner.mirrors.answers(by) {
            self.inner
                .mirrors
                .lead_responses(store.as_ref(), ws, period, by)
                .await
        } else {
            store.lead_responses(ws, period, by).await
        }
    }
}
