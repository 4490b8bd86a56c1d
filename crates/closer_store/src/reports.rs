//! The reports port: the few compact reads the funnel, success-measure, retention,
//! lifetime-value and attribution reports are computed from. Each row carries its group under
//! the report's breakdown (`None`: not known, such as an anonymous visitor's owner).
//!
//! Steps and first touches come from `journeys` and `visitor_days`, which the adapters' schema
//! keeps in step with every write (see migration 0006).

use std::fmt::Write;

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
/// `closer_domain::reports::Step` order.
#[derive(Debug, Clone, PartialEq)]
pub struct JourneyRow {
    pub group: Option<String>,
    pub reached: [Option<Timestamp>; 6],
}

/// New visitors (first sessions) of a group in the period, counted by day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitorCount {
    pub group: Option<String>,
    pub visitors: u64,
}

/// A deal won or lost in the period.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosedDeal {
    pub group: Option<String>,
    pub won: bool,
    pub currency: String,
    /// Ten-thousandths of the currency unit (`closer_domain::pipeline::Amount::units`).
    pub amount_units: i64,
    pub created_at: Timestamp,
    pub closed_at: Timestamp,
    pub loss_reason: Option<String>,
    /// Tracked visits and logged activities of the contact up to the close.
    pub touches: u64,
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

/// A deal's stay in one stage that ended in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageStay {
    pub group: Option<String>,
    pub stage: String,
    /// The stage's place in its pipeline (stages removed since sort last).
    pub position: i64,
    pub seconds: i64,
}

/// From a lead's arrival (in the period) to its first human touch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadResponse {
    pub group: Option<String>,
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

/// What a conversion was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConversionKind {
    Lead,
    Deal,
    Won,
}

/// One conversion in the period and the tracked visits that led to it, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversionPath {
    pub kind: ConversionKind,
    /// The won deal's amount and currency; `None` for leads and deals.
    pub value: Option<(String, i64)>,
    /// `(channel, campaign)` of each visit up to the conversion.
    pub touches: Vec<(String, Option<String>)>,
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
    ) -> Result<Vec<JourneyRow>, StoreError>;
    /// New visitors per group, on the days the period covers (whole UTC days from `from`'s
    /// day up to `to`). Breakdowns traffic cannot be split by give one `None` group.
    async fn new_visitors(
        &self,
        ws: WorkspaceId,
        period: Period,
        by: &Breakdown,
    ) -> Result<Vec<VisitorCount>, StoreError>;
    async fn closed_deals(
        &self,
        ws: WorkspaceId,
        period: Period,
        by: &Breakdown,
    ) -> Result<Vec<ClosedDeal>, StoreError>;
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
    /// Changes whenever a contact, deal or order of the workspace is written (not tracked
    /// visits): an opaque token a cache of computed reports compares. Cheap (index ends).
    async fn data_version(&self, ws: WorkspaceId) -> Result<String, StoreError>;
    /// Leads created, deals opened and deals won in the period, each with its visits.
    async fn conversion_paths(
        &self,
        ws: WorkspaceId,
        period: Period,
    ) -> Result<Vec<ConversionPath>, StoreError>;
}

/// The SQL for a row's group under `by`: `(expression, joins)`. `contact` is the column
/// holding the row's contact id, `owner` the one holding its owner (`None`: the contact's
/// owner, from `journeys`); `journey` names an alias of `journeys` the query already has for
/// that contact. `property` renders "this contact property as text" for the engine, given
/// the alias of the joined contact.
pub fn group_sql(
    by: &Breakdown,
    contact: &str,
    owner: Option<&str>,
    journey: Option<&str>,
    property: impl Fn(&str) -> String,
) -> (String, String) {
    let (j, mut joins) = match journey {
        Some(j) => (j.to_owned(), String::new()),
        None => (
            "gj".to_owned(),
            format!(" left join journeys gj on gj.contact_id = {contact}"),
        ),
    };
    let needs_journey = matches!(
        by,
        Breakdown::Channel | Breakdown::Source | Breakdown::Campaign | Breakdown::Site
    ) || (matches!(by, Breakdown::Owner) && owner.is_none());
    if !needs_journey {
        joins.clear();
    }
    let expr = match by {
        Breakdown::Total => "null".to_owned(),
        Breakdown::Channel => format!("{j}.channel"),
        Breakdown::Source => format!("{j}.source"),
        Breakdown::Campaign => format!("{j}.campaign"),
        Breakdown::Site => {
            let _ = write!(joins, " left join sites gs on gs.id = {j}.site_id");
            "gs.domain".to_owned()
        }
        Breakdown::Owner => {
            let col = owner.map_or_else(|| format!("{j}.owner_id"), str::to_owned);
            let _ = write!(joins, " left join users gu on gu.id = {col}");
            "gu.email".to_owned()
        }
        Breakdown::Property(_) => {
            let _ = write!(joins, " left join contacts gc on gc.id = {contact}");
            property("gc")
        }
    };
    (expr, joins)
}

/// One joined row of a conversion query: the conversion (kind, id, value) and one visit
/// before it (`None` without any), ordered by conversion then visit time.
pub struct PathRow {
    pub kind: ConversionKind,
    pub id: uuid::Uuid,
    pub value: Option<(String, i64)>,
    pub touch: Option<(String, Option<String>)>,
}

/// Folds consecutive rows of one conversion into its path.
pub fn fold_paths(rows: impl IntoIterator<Item = PathRow>) -> Vec<ConversionPath> {
    let mut out: Vec<ConversionPath> = Vec::new();
    let mut last: Option<(ConversionKind, uuid::Uuid)> = None;
    for row in rows {
        if last != Some((row.kind, row.id)) {
            last = Some((row.kind, row.id));
            out.push(ConversionPath {
                kind: row.kind,
                value: row.value,
                touches: Vec::new(),
            });
        }
        if let (Some(touch), Some(path)) = (row.touch, out.last_mut()) {
            path.touches.push(touch);
        }
    }
    out
}

/// A `journeys.lead_path` (visits joined by 0x1E, each `channel 0x1F campaign`) as touches.
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
