//! Each workspace's journeys and deals' stage stays, kept in memory for the reports. A year's
//! funnel, speed-to-lead, attribution of leads and dashboard at a million contacts read every
//! journey of the year, and time in stage every stay: a scan of the table and a million rows
//! copied out of the database per report, most of a report's time. The mirror reads them
//! once, then before each report only those changed since (`JourneyFeedStore`'s feeds), so
//! every report sees every write committed before it began, exactly as a read of the tables
//! would, and several closer processes over one database each keep their own.
//!
//! About 115 bytes per contact, 70 per deal and 25 per stay. Breakdowns by a contact
//! property still read the tables: the mirror holds no properties.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use closer_domain::reports::Breakdown;
use closer_domain::{ContactId, WorkspaceId};
use closer_store::{
    ConversionKind, ConversionPath, DealFeed, FeedJourney, FeedNumbers, GroupIndex, GroupNames,
    JourneyFeed, JourneyRow, Journeys, Label, Labels, LeadResponse, PathTally, Period,
    REMOVED_STAGE_POSITION, StageStay, Store, StoreError,
};

// Tokio's clock, which tests can pause and advance.
use tokio::time::Instant;
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
    lead_path: u32,
}

/// A finished stay of a deal in a stage; names and ids are numbers into `Mirror::deal_numbers`.
#[derive(Debug, Clone, Copy)]
struct StaySlot {
    stage: u32,
    stage_id: u32,
    entered_at: i64,
    left_at: i64,
}

#[derive(Debug, Clone)]
struct DealSlot {
    contact: ContactId,
    owner: u32,
    stays: Vec<StaySlot>,
}

/// One workspace's journeys and deals.
#[derive(Default)]
struct Mirror {
    /// Where the next deal feed starts; `None` until the first (whole) read.
    deal_mark: Option<i64>,
    deals: foldhash::HashMap<Uuid, DealSlot>,
    /// Stage names, stage ids and owner ids of the deals.
    deal_numbers: FeedNumbers,
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
            self.index.clear();
            self.slots.clear();
            self.free.clear();
            self.numbers = FeedNumbers::default();
        }
        let (names, ids) = renumbering(&mut self.numbers, &feed.names, &feed.ids);
        for row in feed.rows {
            let Some(j) = row.journey else {
                if let Some(i) = self.index.remove(&row.contact) {
                    self.slots[i as usize].entered_at = NOT_YET;
                    self.free.push(i);
                }
                continue;
            };
            let slot = Self::slot(&j, &names, &ids);
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

    fn slot(j: &FeedJourney, names: &[u32], ids: &[u32]) -> Slot {
        Slot {
            entered_at: j.entered_at,
            reached: j.reached.map(packed),
            first_touch_at: packed(j.first_touch_at),
            channel: renumber(names, j.channel),
            source: renumber(names, j.source),
            campaign: renumber(names, j.campaign),
            site: renumber(ids, j.site),
            owner: renumber(ids, j.owner),
            lead_path: renumber(names, j.lead_path),
        }
    }

    fn apply_deals(&mut self, feed: DealFeed) {
        if self.deal_mark.is_none() {
            self.deals.clear();
            self.deal_numbers = FeedNumbers::default();
        }
        let (names, ids) = renumbering(&mut self.deal_numbers, &feed.names, &feed.ids);
        // A deal comes in one row per stay: the first of its rows replaces what was kept.
        let mut seen: foldhash::HashSet<Uuid> = foldhash::HashSet::default();
        for row in feed.rows {
            let first = seen.insert(row.id);
            let Some((contact, owner)) = row.deal else {
                self.deals.remove(&row.id);
                continue;
            };
            let owner = renumber(&ids, owner);
            let slot = self.deals.entry(row.id).or_insert_with(|| DealSlot {
                contact,
                owner,
                stays: Vec::new(),
            });
            if first {
                slot.contact = contact;
                slot.owner = owner;
                slot.stays.clear();
            }
            if let Some(s) = row.stay {
                slot.stays.push(StaySlot {
                    stage: renumber(&names, s.stage),
                    stage_id: renumber(&ids, s.stage_id),
                    entered_at: s.entered_at,
                    left_at: s.left_at,
                });
            }
        }
        self.deal_mark = Some(feed.mark);
    }

    /// What `ReportStore::stage_stays` reads, from memory: stays that ended in the period,
    /// grouped by their deal's owner or its contact's journey.
    fn stage_stays(&self, period: Period, g: &Grouping<'_>) -> Vec<StageStay> {
        let (from, to) = (period.from.unix_micros(), period.to.unix_micros());
        let mut labels = Labels::default();
        let (stage_names, deal_ids) = self.deal_numbers.counts();
        let mut journey_groups: Vec<Option<Option<Label>>> = vec![None; g.span()];
        let mut owner_groups: Vec<Option<Option<Label>>> = vec![None; deal_ids];
        let mut stages: Vec<Option<Label>> = vec![None; stage_names];
        let mut positions: Vec<Option<i64>> = vec![None; deal_ids];
        let mut out = Vec::new();
        for d in self.deals.values() {
            if d.stays.iter().all(|s| s.left_at < from || s.left_at >= to) {
                continue;
            }
            let group = match g.by {
                Breakdown::Total | Breakdown::Property(_) => None,
                Breakdown::Owner => memo(&mut owner_groups, d.owner, || {
                    let id = self.deal_numbers.id_of(d.owner);
                    labels.of_opt(id.and_then(|id| g.owners.get(&id).copied()))
                }),
                _ => self.index.get(&d.contact).and_then(|&i| {
                    let n = g.number(&self.slots[i as usize]);
                    memo(&mut journey_groups, n, || labels.of_opt(g.name(n)))
                }),
            };
            for s in &d.stays {
                if s.left_at < from || s.left_at >= to {
                    continue;
                }
                out.push(StageStay {
                    group: group.clone(),
                    stage: memo(&mut stages, s.stage, || {
                        labels.of(self.deal_numbers.name_of(s.stage).unwrap_or_default())
                    }),
                    position: memo(&mut positions, s.stage_id, || {
                        self.deal_numbers
                            .id_of(s.stage_id)
                            .and_then(|id| g.stages.get(&id).copied())
                            .unwrap_or(REMOVED_STAGE_POSITION)
                    }),
                    seconds: (s.left_at - s.entered_at).div_euclid(1_000_000),
                });
            }
        }
        out
    }

    fn live(&self) -> impl Iterator<Item = &Slot> {
        self.slots.iter().filter(|s| s.entered_at != NOT_YET)
    }
}

/// A feed numbers its own names and ids; the mirror keeps its own numbering. Per feed
/// number, the mirror's: names, then ids.
fn renumbering(
    numbers: &mut FeedNumbers,
    names: &[Option<String>],
    ids: &[Option<Uuid>],
) -> (Vec<u32>, Vec<u32>) {
    (
        names.iter().map(|n| numbers.name(n.as_deref())).collect(),
        ids.iter().map(|i| numbers.id(*i)).collect(),
    )
}

/// The mirror's number for a feed's number `n` (0, "none", for a number the feed lacks).
fn renumber(mine: &[u32], n: u32) -> u32 {
    mine.get(n as usize).copied().unwrap_or(0)
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
    /// Stages' places in their pipelines.
    stages: HashMap<Uuid, i64>,
}

impl<'a> Grouping<'a> {
    fn new(by: &'a Breakdown, numbers: &'a FeedNumbers, names: &'a GroupNames) -> Self {
        let map = |v: &'a [(Uuid, String)]| v.iter().map(|(id, n)| (*id, n.as_str())).collect();
        Self {
            by,
            numbers,
            sites: map(&names.sites),
            owners: map(&names.owners),
            stages: names.stages.iter().copied().collect(),
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

impl Mirror {
    /// Leads of the period counted per path of visits (what `ReportStore::conversion_paths`
    /// reads for leads).
    fn lead_paths(&self, period: Period) -> Vec<ConversionPath> {
        let (from, to) = (period.from.unix_micros(), period.to.unix_micros());
        let mut counts: foldhash::HashMap<u32, u64> = foldhash::HashMap::default();
        for s in self.live() {
            let lead_at = s.reached[1];
            if lead_at != NOT_YET && lead_at >= from && lead_at < to {
                *counts.entry(s.lead_path).or_default() += 1;
            }
        }
        let mut tally = PathTally::default();
        for (path, n) in counts {
            tally.add_many(ConversionKind::Lead, self.numbers.name_of(path), None, n, 0);
        }
        tally.into_paths()
    }
}

/// A workspace's mirror and when a report last read it.
struct Kept {
    mirror: Arc<tokio::sync::Mutex<Mirror>>,
    used: Instant,
}

/// The mirrors of every workspace a report was asked of.
pub(crate) struct JourneyMirrors {
    /// Off: every report reads the tables (`App::reading_tables`).
    on: bool,
    by_ws: Mutex<HashMap<WorkspaceId, Kept>>,
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

    /// Drops the mirrors no report read for `idle`: a workspace nobody looks at gives its
    /// memory back, and is read whole again the next time.
    pub(crate) fn forget_idle(&self, idle: Duration) {
        let now = Instant::now();
        self.by_ws
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|_, kept| now.duration_since(kept.used) < idle);
    }

    /// How many workspaces' mirrors are kept.
    #[cfg(test)]
    fn kept(&self) -> usize {
        self.by_ws
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Brings the workspace's mirror up to date, then reads it. Applying a feed and reading
    /// a million journeys are a tenth of a second of CPU or more: they run on a blocking
    /// thread, not on the server's two workers, which meanwhile answer other requests.
    async fn read<T: Send + 'static>(
        &self,
        store: &dyn Store,
        ws: WorkspaceId,
        by: &Breakdown,
        deals: bool,
        read: impl FnOnce(&Mirror, &Grouping<'_>) -> T + Send + 'static,
    ) -> Result<T, StoreError> {
        let mirror = {
            let mut by_ws = self.by_ws.lock().unwrap_or_else(PoisonError::into_inner);
            let kept = by_ws.entry(ws).or_insert_with(|| Kept {
                mirror: Arc::default(),
                used: Instant::now(),
            });
            kept.used = Instant::now();
            kept.mirror.clone()
        };
        let names = if deals || matches!(by, Breakdown::Site | Breakdown::Owner) {
            store.group_names(ws).await?
        } else {
            GroupNames::default()
        };
        // One refresh at a time per workspace; readers wait for it and then share it.
        let mut m = mirror.lock_owned().await;
        let started = std::time::Instant::now();
        let feed = store.journey_feed(ws, m.mark).await?;
        let journeys_read = started.elapsed();
        let deal_feed = if deals {
            Some(store.deal_feed(ws, m.deal_mark).await?)
        } else {
            None
        };
        let deals_read = started.elapsed().saturating_sub(journeys_read);
        let by = by.clone();
        tokio::task::spawn_blocking(move || {
            let applying = std::time::Instant::now();
            let whole = m.mark.is_none();
            m.apply(feed);
            if whole {
                tracing::info!(
                    workspace = %ws.0,
                    journeys = m.index.len(),
                    ms = (journeys_read + applying.elapsed()).as_millis(),
                    "reports: journeys read into memory"
                );
            }
            if let Some(feed) = deal_feed {
                let applying = std::time::Instant::now();
                let whole = m.deal_mark.is_none();
                m.apply_deals(feed);
                if whole {
                    tracing::info!(
                        workspace = %ws.0,
                        deals = m.deals.len(),
                        ms = (deals_read + applying.elapsed()).as_millis(),
                        "reports: deals and their stage stays read into memory"
                    );
                }
            }
            let grouping = Grouping::new(&by, &m.numbers, &names);
            read(&m, &grouping)
        })
        .await
        .map_err(|e| StoreError::Internal(format!("reading reports' memory failed: {e}")))
    }

    pub(super) async fn journeys(
        &self,
        store: &dyn Store,
        ws: WorkspaceId,
        period: Period,
        by: &Breakdown,
    ) -> Result<Journeys, StoreError> {
        self.read(store, ws, by, false, move |m, g| m.journeys(period, g))
            .await
    }

    async fn lead_paths(
        &self,
        store: &dyn Store,
        ws: WorkspaceId,
        period: Period,
    ) -> Result<Vec<ConversionPath>, StoreError> {
        self.read(store, ws, &Breakdown::Total, false, move |m, _| {
            m.lead_paths(period)
        })
        .await
    }

    pub(super) async fn stage_stays(
        &self,
        store: &dyn Store,
        ws: WorkspaceId,
        period: Period,
        by: &Breakdown,
    ) -> Result<Vec<StageStay>, StoreError> {
        self.read(store, ws, by, true, move |m, g| m.stage_stays(period, g))
            .await
    }

    pub(super) async fn lead_responses(
        &self,
        store: &dyn Store,
        ws: WorkspaceId,
        period: Period,
        by: &Breakdown,
    ) -> Result<Vec<LeadResponse>, StoreError> {
        self.read(store, ws, by, false, move |m, g| {
            m.lead_responses(period, g)
        })
        .await
    }
}

impl super::Reports {
    /// The journeys of a period (`ReportStore::journeys`), from the workspace's mirror where
    /// the breakdown allows.
    pub(super) async fn report_journeys(
        &self,
        ws: WorkspaceId,
        period: Period,
        by: &Breakdown,
    ) -> Result<Journeys, StoreError> {
        let store = self.store();
        if self.inner().mirrors.answers(by) {
            self.inner()
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
        if self.inner().mirrors.answers(by) {
            self.inner()
                .mirrors
                .lead_responses(store.as_ref(), ws, period, by)
                .await
        } else {
            store.lead_responses(ws, period, by).await
        }
    }

    /// Conversions counted per path of visits (`ReportStore::conversion_paths`): leads from
    /// the mirror, deals from the database.
    pub(super) async fn report_conversion_paths(
        &self,
        ws: WorkspaceId,
        period: Period,
    ) -> Result<Vec<ConversionPath>, StoreError> {
        let store = self.store();
        if !self.inner().mirrors.on {
            return store
                .conversion_paths(ws, period, &closer_store::ALL_CONVERSIONS)
                .await;
        }
        let deals = [ConversionKind::Deal, ConversionKind::Won];
        let (mut paths, deals) = tokio::try_join!(
            self.inner().mirrors.lead_paths(store.as_ref(), ws, period),
            store.conversion_paths(ws, period, &deals)
        )?;
        // Both come sorted by kind first, and leads are the first kind.
        paths.extend(deals);
        Ok(paths)
    }

    /// Time in stage's rows (`ReportStore::stage_stays`), from the mirror where the
    /// breakdown allows.
    pub(super) async fn report_stage_stays(
        &self,
        ws: WorkspaceId,
        period: Period,
        by: &Breakdown,
    ) -> Result<Vec<StageStay>, StoreError> {
        let store = self.store();
        if self.inner().mirrors.answers(by) {
            self.inner()
                .mirrors
                .stage_stays(store.as_ref(), ws, period, by)
                .await
        } else {
            store.stage_stays(ws, period, by).await
        }
    }
}

impl super::Reports {
    /// Gives back the memory of workspaces whose reports nobody read for `idle` (the server
    /// calls it as it keeps reports warm, with `WANTED_FOR`: a workspace whose dashboards are
    /// kept warm keeps its mirror).
    pub fn forget_idle_report_memory(&self, idle: Duration) {
        self.inner().mirrors.forget_idle(idle);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn mirrors_nobody_reads_are_forgotten() {
        let mirrors = JourneyMirrors::default();
        let (a, b) = (WorkspaceId::new(), WorkspaceId::new());
        for ws in [a, b] {
            mirrors.by_ws.lock().unwrap().insert(
                ws,
                Kept {
                    mirror: Arc::default(),
                    used: Instant::now(),
                },
            );
        }
        tokio::time::advance(Duration::from_hours(20)).await;
        mirrors.by_ws.lock().unwrap().get_mut(&a).unwrap().used = Instant::now();
        tokio::time::advance(Duration::from_hours(5)).await;
        mirrors.forget_idle(Duration::from_hours(24));
        assert_eq!(mirrors.kept(), 1, "b, unread for 25 hours, is gone");
        assert!(mirrors.by_ws.lock().unwrap().contains_key(&a));
        tokio::time::advance(Duration::from_hours(20)).await;
        mirrors.forget_idle(Duration::from_hours(24));
        assert_eq!(mirrors.kept(), 0);
    }
}
