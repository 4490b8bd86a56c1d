//! The journey and deal feeds: each contact's journey (`journeys`, kept by the adapters' triggers) as a
//! report mirror keeps it in memory, and which of them changed since a mark. A mirror reads
//! every journey once, then only the changed ones before each report, so a year's funnel at a
//! million contacts does not scan the table.
//!
//! Marks are the adapter's own (SQLite: the highest change number seen; PostgreSQL: the
//! oldest transaction still running when the read began — see migration 0011). A feed may
//! repeat a change, never miss one: applying it twice does no harm.

use closer_domain::{ContactId, WorkspaceId};
use uuid::Uuid;

use crate::StoreError;

/// A contact's journey as stored: when each funnel step was first reached (Unix
/// microseconds, `closer_domain::reports::Step` order) and what it is grouped by. Text and ids
/// are numbers into the feed's `names` and `ids`, where 0 is "none": a million journeys share
/// a few dozen channels, sources, campaigns, sites and owners.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedJourney {
    pub entered_at: i64,
    pub reached: [Option<i64>; 6],
    /// The first call, email, meeting or demo (speed-to-lead).
    pub first_touch_at: Option<i64>,
    pub channel: u32,
    pub source: u32,
    pub campaign: u32,
    pub site: u32,
    pub owner: u32,
    /// The visits before the lead (`journeys.lead_path`), a number into the names.
    pub lead_path: u32,
}

/// One contact in a feed: its journey now, or `None` when it was removed (an erased contact).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRow {
    pub contact: ContactId,
    pub journey: Option<FeedJourney>,
}

/// Journeys of one workspace changed since a mark (or all of them), and the mark to ask from
/// next time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JourneyFeed {
    pub mark: i64,
    /// Channel, source and campaign names by number; `names[0]` is `None`.
    pub names: Vec<Option<String>>,
    /// Site and owner ids by number; `ids[0]` is `None`.
    pub ids: Vec<Option<Uuid>>,
    pub rows: Vec<FeedRow>,
}

/// Numbers the names and ids of a feed as an adapter reads its rows; only the first sight of
/// a name allocates.
#[derive(Debug)]
pub struct FeedNumbers {
    names: Vec<Option<String>>,
    name_index: foldhash::HashMap<String, u32>,
    ids: Vec<Option<Uuid>>,
    id_index: foldhash::HashMap<Uuid, u32>,
}

impl Default for FeedNumbers {
    fn default() -> Self {
        Self {
            names: vec![None],
            name_index: foldhash::HashMap::default(),
            ids: vec![None],
            id_index: foldhash::HashMap::default(),
        }
    }
}

impl FeedNumbers {
    pub fn name(&mut self, name: Option<&str>) -> u32 {
        let Some(name) = name else { return 0 };
        if let Some(i) = self.name_index.get(name) {
            return *i;
        }
        let i = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(Some(name.to_owned()));
        self.name_index.insert(name.to_owned(), i);
        i
    }

    pub fn id(&mut self, id: Option<Uuid>) -> u32 {
        let Some(id) = id else { return 0 };
        let next = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
        let i = *self.id_index.entry(id).or_insert(next);
        if i == next {
            self.ids.push(Some(id));
        }
        i
    }

    /// The name numbered `n` (`None` for 0 or an unknown number).
    pub fn name_of(&self, n: u32) -> Option<&str> {
        self.names.get(n as usize).and_then(|n| n.as_deref())
    }

    /// The id numbered `n` (`None` for 0 or an unknown number).
    pub fn id_of(&self, n: u32) -> Option<Uuid> {
        self.ids.get(n as usize).copied().flatten()
    }

    /// How many names and ids are numbered, "none" included.
    pub fn counts(&self) -> (usize, usize) {
        (self.names.len(), self.ids.len())
    }

    pub fn into_deal_feed(self, mark: i64, rows: Vec<FeedDealRow>) -> DealFeed {
        DealFeed {
            mark,
            names: self.names,
            ids: self.ids,
            rows,
        }
    }

    pub fn into_feed(self, mark: i64, rows: Vec<FeedRow>) -> JourneyFeed {
        JourneyFeed {
            mark,
            names: self.names,
            ids: self.ids,
            rows,
        }
    }
}

/// A finished stay of a deal in a stage: the stage's name (a number into the feed's names)
/// and id (into its ids), when the deal entered and left it (Unix microseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedStay {
    pub stage: u32,
    pub stage_id: u32,
    pub entered_at: i64,
    pub left_at: i64,
}

/// One row of a deal feed. A deal comes in as many rows as it has finished stays (one, with
/// `stay: None`, if it has none); `deal: None` says the deal was removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedDealRow {
    pub id: Uuid,
    /// The deal's contact and owner (a number into the ids).
    pub deal: Option<(ContactId, u32)>,
    pub stay: Option<FeedStay>,
}

/// Deals of one workspace changed since a mark (or all of them), with their finished stays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealFeed {
    pub mark: i64,
    /// Stage names by number; `names[0]` is `None`.
    pub names: Vec<Option<String>>,
    /// Stage and owner ids by number; `ids[0]` is `None`.
    pub ids: Vec<Option<Uuid>>,
    pub rows: Vec<FeedDealRow>,
}

/// What site, owner and stage ids are called in reports: sites by domain, owners by email,
/// stages by their place in their pipeline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupNames {
    pub sites: Vec<(Uuid, String)>,
    pub owners: Vec<(Uuid, String)>,
    pub stages: Vec<(Uuid, i64)>,
}

/// Reads the feed. Scoped to the workspace.
#[async_trait::async_trait]
pub trait JourneyFeedStore {
    /// Every journey of the workspace (`since: None`), or those changed since the mark a
    /// feed gave before (a superset: a change may come twice).
    async fn journey_feed(
        &self,
        ws: WorkspaceId,
        since: Option<i64>,
    ) -> Result<JourneyFeed, StoreError>;
    /// Every deal of the workspace (`since: None`), or those changed since the mark a deal
    /// feed gave before, each with its finished stays.
    async fn deal_feed(&self, ws: WorkspaceId, since: Option<i64>) -> Result<DealFeed, StoreError>;
    /// The workspace's sites, users and stages, for naming groups and placing stages.
    async fn group_names(&self, ws: WorkspaceId) -> Result<GroupNames, StoreError>;
}
