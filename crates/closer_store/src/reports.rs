//! The reports port: the few compact reads the funnel, success-measure, retention,
//! lifetime-value and attribution reports are computed from. Each row carries its group under
//! the report's breakdown (`None`: not known, such as an anonymous visitor's owner).
//!
//! Steps and first touches come from `journeys` and `visitor_days`, which the adapters' schema
//! keeps in step with every write (see migration 0006).

use std::sync::Arc;

use async_trait::async_trait;
use closer_domain::reports::Breakdown;
use closer_domain::{ContactId, Timestamp, WorkspaceId};

use crate::StoreError;

/// A report's period: `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Timestamp,
    pub to: Timestamp,
}

/// When one contact reached each funnel step (visitor = first tracked visit), in
/// `closer_domain::reports::Step` order, as Unix microseconds. `group` indexes
/// `Journeys::groups`: a million rows share a handful of group names. The domain's own type,
/// so the funnel reads a year's million rows where they are, without a copy.
pub type JourneyRow = closer_domain::reports::Journey<u32>;

/// The journeys of a period and the names of their groups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Journeys {
    pub groups: Vec<Option<String>>,
    pub rows: Vec<JourneyRow>,
}

impl Journeys {
    /// The group of `row`.
    pub fn group(&self, row: &JourneyRow) -> Option<&str> {
        self.groups
            .get(row.group as usize)
            .and_then(|g| g.as_deref())
    }
}

/// Gives each distinct group name a small number, allocating only the first time a name is
/// seen: adapters read a row's group as a borrowed `&str`.
#[derive(Debug, Default)]
pub struct GroupIndex {
    groups: Vec<Option<String>>,
    index: foldhash::HashMap<String, u32>,
    none: Option<u32>,
}

impl GroupIndex {
    pub fn of(&mut self, group: Option<&str>) -> u32 {
        let next = u32::try_from(self.groups.len()).unwrap_or(u32::MAX);
        match group {
            None => *self.none.get_or_insert_with(|| {
                self.groups.push(None);
                next
            }),
            Some(name) => {
                if let Some(i) = self.index.get(name) {
                    return *i;
                }
                self.groups.push(Some(name.to_owned()));
                self.index.insert(name.to_owned(), next);
                next
            }
        }
    }

    /// The names, by number.
    pub fn into_names(self) -> Vec<Option<String>> {
        self.groups
    }

    pub fn into_journeys(self, rows: Vec<JourneyRow>) -> Journeys {
        Journeys {
            groups: self.groups,
            rows,
        }
    }
}

/// A group's, stage's, currency's or loss reason's name, shared by the many rows that carry
/// it: a year of a large workspace is a million rows over a handful of names, and a shared
/// name costs a reference count where a `String` per row cost an allocation and a free.
pub type Label = Arc<str>;

/// Hands out one shared `Label` per distinct name as rows stream past; only a name seen for
/// the first time allocates.
#[derive(Debug, Default)]
pub struct Labels(foldhash::HashSet<Label>);

impl Labels {
    pub fn of(&mut self, name: &str) -> Label {
        if let Some(l) = self.0.get(name) {
            return l.clone();
        }
        let l: Label = Arc::from(name);
        self.0.insert(l.clone());
        l
    }

    pub fn of_opt(&mut self, name: Option<&str>) -> Option<Label> {
        name.map(|n| self.of(n))
    }
}

/// New visitors (first sessions) of a group in the period, counted by day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitorCount {
    pub group: Option<String>,
    pub visitors: u64,
}

/// A deal won in the period.
#[derive(Debug, Clone, PartialEq)]
pub struct WonDeal {
    pub group: Option<Label>,
    pub currency: Label,
    /// Ten-thousandths of the currency unit (`closer_domain::pipeline::Amount::units`).
    pub amount_units: i64,
    pub created_at: Timestamp,
    pub closed_at: Timestamp,
    /// Tracked visits and logged activities of the contact up to the close.
    pub touches: u64,
}

/// Deals of one group lost in the period for one reason, counted by the database: a year of
/// a large workspace loses four deals for each one it wins, and the measures need only their
/// number per reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LostDeals {
    pub group: Option<String>,
    pub loss_reason: Option<String>,
    pub deals: u64,
}

/// Open deals of one group, stage and currency, now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenDeals {
    pub group: Option<String>,
    pub forecast: String,
    /// The stage's win probability, percent.
    pub probability: i64,
    pub currency: String,
    pub deals: u64,
    pub amount_units: i64,
}

/// The place `StageStay::position` gives a stage removed since: after every stage still there.
pub const REMOVED_STAGE_POSITION: i64 = 1_000_000;

/// A deal's stay in one stage that ended in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageStay {
    pub group: Option<Label>,
    pub stage: Label,
    /// The stage's place in its pipeline (`REMOVED_STAGE_POSITION` for a stage removed since).
    pub position: i64,
    pub seconds: i64,
}

/// From a lead's arrival (in the period) to its first human touch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadResponse {
    pub group: Option<Label>,
    pub seconds: i64,
}

/// An order placed before the period's end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRow {
    pub contact: ContactId,
    pub group: Option<String>,
    pub placed_at: Timestamp,
    pub currency: String,
    pub total_units: i64,
}

/// Deals won in a period in one currency, counted and summed by the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WonTotal {
    pub currency: String,
    pub deals: u64,
    /// Ten-thousandths of the currency unit.
    pub amount_units: i128,
}

/// Contacts with more than one order in a currency, and the summed totals of their orders
/// after each one's first (earliest placed, then lowest id): what repeat customers add.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RepeatTotal {
    pub customers: u64,
    /// Ten-thousandths of the currency unit.
    pub after_first_units: i128,
}

/// What a conversion was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConversionKind {
    Lead,
    Deal,
    Won,
}

/// Every kind of conversion, in order.
pub const ALL_CONVERSIONS: [ConversionKind; 3] = [
    ConversionKind::Lead,
    ConversionKind::Deal,
    ConversionKind::Won,
];

/// Conversions of one kind in the period that followed the same path of tracked visits (and,
/// for won deals, were won in the same currency).
#[derive(Debug, Clone, PartialEq)]
pub struct ConversionPath {
    pub kind: ConversionKind,
    /// How many conversions took this path.
    pub conversions: u64,
    /// Won deals: their currency and summed amount (ten-thousandths); `None` for leads and
    /// deals.
    pub value: Option<(String, i128)>,
    /// `(channel, campaign)` of each visit up to the conversion, oldest first.
    pub touches: Vec<(String, Option<String>)>,
}

/// Counts conversions per distinct stored path (`journeys.lead_path`, `deals.created_path`,
/// `deals.won_path`) as rows stream past: a year of a large workspace is a million leads on a
/// few dozen distinct paths, so only a new path allocates.
#[derive(Debug, Default)]
pub struct PathTally {
    /// Per path text, what converted on it.
    paths: std::collections::HashMap<String, Vec<PathCount>>,
}

/// Conversions of one kind (and currency) on one path: how many, and their summed amount.
type PathCount = (ConversionKind, Option<String>, u64, i128);

impl PathTally {
    pub fn add(&mut self, kind: ConversionKind, path: Option<&str>, value: Option<(&str, i64)>) {
        let (currency, amount) = value.map_or((None, 0), |(c, a)| (Some(c), i128::from(a)));
        self.add_many(kind, path, currency, 1, amount);
    }

    /// `conversions` conversions of one kind on one path at once (counted by the database),
    /// with their currency and summed amount.
    pub fn add_many(
        &mut self,
        kind: ConversionKind,
        path: Option<&str>,
        currency: Option<&str>,
        conversions: u64,
        amount: i128,
    ) {
        let path = path.unwrap_or("");
        let entries = if let Some(e) = self.paths.get_mut(path) {
            e
        } else {
            self.paths.entry(path.to_owned()).or_default()
        };
        match entries
            .iter_mut()
            .find(|(k, c, _, _)| *k == kind && c.as_deref() == currency)
        {
            Some(e) => {
                e.2 += conversions;
                e.3 += amount;
            }
            None => entries.push((kind, currency.map(str::to_owned), conversions, amount)),
        }
    }

    /// The paths, in a stable order (by kind, then path, then currency).
    pub fn into_paths(self) -> Vec<ConversionPath> {
        let mut out: Vec<(String, ConversionPath)> = Vec::new();
        for (text, entries) in self.paths {
            let touches = parse_lead_path(Some(&text));
            for (kind, currency, conversions, amount) in entries {
                out.push((
                    text.clone(),
                    ConversionPath {
                        kind,
                        conversions,
                        value: currency.map(|c| (c, amount)),
                        touches: touches.clone(),
                    },
                ));
            }
        }
        out.sort_by(|a, b| (a.1.kind, &a.0, &a.1.value).cmp(&(b.1.kind, &b.0, &b.1.value)));
        out.into_iter().map(|(_, p)| p).collect()
    }
}

/// Reads for reports. Every method is scoped to the workspace; groups follow `by`.
#[async_trait]
pub trait ReportStore {
    /// Whether any of the workspace's contacts has this property (a breakdown by a property
    /// no contact has is a mistake worth saying so).
    async fn has_property(&self, ws: WorkspaceId, name: &str) -> Result<bool, StoreError>;
    /// Contacts that entered the funnel before `to` and reached some step (or entered) in
    /// the period.
    async fn journeys(
        &self,
        ws: WorkspaceId,
        period: Period,
        by: &Breakdown,
    ) -> Result<Journeys, StoreError>;
    /// New visitors per group, on the days the period covers (whole UTC days from `from`'s
    /// day up to `to`). Breakdowns traffic cannot be split by give one `None` group.
    async fn new_visitors(
        &self,
        ws: WorkspaceId,
        period: Period,
        by: &Breakdown,
    ) -> Result<Vec<VisitorCount>, StoreError>;
    async fn won_deals(
        &self,
        ws: WorkspaceId,
        period: Period,
        by: &Breakdown,
    ) -> Result<Vec<WonDeal>, StoreError>;
    /// Deals lost in the period, per group and loss reason.
    async fn lost_deals(
        &self,
        ws: WorkspaceId,
        period: Period,
        by: &Breakdown,
    ) -> Result<Vec<LostDeals>, StoreError>;
    /// The open pipeline now, summed per group, stage and currency.
    async fn open_deals(
        &self,
        ws: WorkspaceId,
        by: &Breakdown,
    ) -> Result<Vec<OpenDeals>, StoreError>;
    async fn stage_stays(
        &self,
        ws: WorkspaceId,
        period: Period,
        by: &Breakdown,
    ) -> Result<Vec<StageStay>, StoreError>;
    async fn lead_responses(
        &self,
        ws: WorkspaceId,
        period: Period,
        by: &Breakdown,
    ) -> Result<Vec<LeadResponse>, StoreError>;
    /// Every order placed before `to`, oldest first.
    async fn orders_until(
        &self,
        ws: WorkspaceId,
        to: Timestamp,
        by: &Breakdown,
    ) -> Result<Vec<OrderRow>, StoreError>;
    /// Deals won in the period, per currency (the bottleneck's value of a win: a few rows,
    /// where `closed_deals` streams every deal).
    async fn won_totals(
        &self,
        ws: WorkspaceId,
        period: Period,
    ) -> Result<Vec<WonTotal>, StoreError>;
    /// Repeat customers in `currency` among orders placed before `to` (the bottleneck's value
    /// of a repeat customer).
    async fn repeat_total(
        &self,
        ws: WorkspaceId,
        to: Timestamp,
        currency: &str,
    ) -> Result<RepeatTotal, StoreError>;
    /// Changes whenever a contact, deal or order of the workspace is written (not tracked
    /// visits): an opaque token a cache of computed reports compares. Cheap (index ends).
    async fn data_version(&self, ws: WorkspaceId) -> Result<String, StoreError>;
    /// Conversions of the given kinds in the period (leads created, deals opened, deals
    /// won), counted per path of visits.
    async fn conversion_paths(
        &self,
        ws: WorkspaceId,
        period: Period,
        kinds: &[ConversionKind],
    ) -> Result<Vec<ConversionPath>, StoreError>;
}

/// A stored path (`journeys.lead_path`, `deals.created_path`, `deals.won_path`: visits joined
/// by 0x1E, each `channel 0x1F campaign`) as touches.
pub fn parse_lead_path(text: Option<&str>) -> Vec<(String, Option<String>)> {
    text.filter(|t| !t.is_empty())
        .map(|t| {
            t.split('\u{1e}')
                .map(|touch| {
                    let (channel, campaign) = touch.split_once('\u{1f}').unwrap_or((touch, ""));
                    (
                        channel.to_owned(),
                        (!campaign.is_empty()).then(|| campaign.to_owned()),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Each customer's predicted value, kept where lists can sort by it. The lifetime-value fit
/// writes it; the same on every SQL engine (written once in `closer_store_sql`).
#[async_trait]
pub trait ValueStore {
    /// Replaces the workspace's values with `values` (contact, value in 1/10,000 of
    /// `currency`). Contacts erased meanwhile are skipped.
    async fn put_contact_values(
        &self,
        ws: WorkspaceId,
        currency: &str,
        values: &[(ContactId, i64)],
        at: Timestamp,
    ) -> Result<(), StoreError>;

    /// The stored values of these contacts; those without one are left out.
    async fn contact_values(
        &self,
        ws: WorkspaceId,
        ids: &[ContactId],
    ) -> Result<Vec<(ContactId, i64)>, StoreError>;
}
