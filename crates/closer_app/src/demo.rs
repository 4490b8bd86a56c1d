//! `closer demo`: fills a fresh workspace with a year of synthetic history (see
//! `closer_domain::demo` for the rates). The history is built in memory as the rows the
//! row-at-a-time operations would have stored (`demo_rows.rs`) and bulk-loaded
//! (`closer_store::BulkStore`): traffic in batches, then every lead, deal and order in one
//! transaction. Scores are computed at the end with a rescore. `demo_stepwise.rs` writes the
//! same history through the row-at-a-time operations, as the reference the bulk fill is
//! tested against.

use std::sync::Arc;
use std::time::Duration;

use closer_domain::demo::{DemoDeal, Outcome, PARTNER_STAGES, PIPELINES, Person, generate, names};
use closer_domain::pipeline::{
    Activity, ActivityKind, LossReason, Pipeline, PipelineInput, PipelineStage, StageInput,
    StageKind, default_loss_reasons,
};
use closer_domain::traffic::site::{SiteDomain, SiteId};
use closer_domain::traffic::url::Utm;
use closer_domain::traffic::visitor::VisitorKey;
use closer_domain::traffic::{Attribution, Channel, Hit, HitKind};
use closer_domain::{
    ContactDraft, Email, EventId, EventKind, NewEvent, Timestamp, UserId, WorkspaceId,
};
use closer_store::{PeopleLoad, Site};
use futures::StreamExt;
use serde_json::json;

use crate::AppError;
use crate::demo_rows::{Context, add_person};

/// Who the demo's deal moves and stage edits are by.
pub(crate) const ACTOR: &str = "demo";
/// Who its leads' captures are by.
pub(crate) const FORM_ACTOR: &str = "form:demo";
/// Who its leads' qualification is by.
pub(crate) const RULE_ACTOR: &str = "rule:demo";
/// Hits per traffic batch (batches end between visitors).
const HIT_BATCH: usize = 20_000;
/// Traffic batches being written while the next is built.
const BATCHES_IN_FLIGHT: usize = 3;
/// Open follow-up tasks each rep has at the end of the history.
const TASKS_PER_REP: u32 = 40;

/// What `fill_demo` wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoSummary {
    pub visitors: u64,
    pub page_views: u64,
    pub leads: u64,
    pub deals: u64,
    pub won: u64,
    pub lost: u64,
    pub orders: u64,
}

impl DemoSummary {
    /// Counts a deal by where it ended: a won deal brought an order.
    pub(crate) fn deal_ended(&mut self, status: closer_domain::pipeline::DealStatus) {
        use closer_domain::pipeline::DealStatus;
        match status {
            DealStatus::Won => {
                self.won += 1;
                self.orders += 1;
            }
            DealStatus::Lost => self.lost += 1,
            DealStatus::Open => {}
        }
    }

    pub(crate) fn add(&mut self, s: &Self) {
        self.leads += s.leads;
        self.deals += s.deals;
        self.won += s.won;
        self.lost += s.lost;
        self.orders += s.orders;
    }
}

/// Where a channel's visits say they came from.
fn attribution(channel: Channel) -> Attribution {
    let (source, referrer) = match channel {
        Channel::OrganicSearch => (Some("Google"), Some("google.com")),
        Channel::PaidSearch => (Some("Google Ads"), Some("google.com")),
        Channel::OrganicSocial => (Some("LinkedIn"), Some("linkedin.com")),
        Channel::Email => (Some("newsletter"), None),
        Channel::Referral => (Some("partner.example"), Some("partner.example")),
        _ => (None, None),
    };
    // Paid search and email visits carry the campaign they were bought or sent for.
    let campaign = match channel {
        Channel::PaidSearch => Some("brand-search"),
        Channel::Email => Some("monthly-newsletter"),
        _ => None,
    };
    Attribution {
        channel,
        source: source.map(str::to_owned),
        referrer: referrer.map(str::to_owned),
        utm: Utm {
            campaign: campaign.map(str::to_owned),
            ..Utm::default()
        },
        click_id: None,
    }
}

fn at(t: Timestamp, seconds: u64) -> Timestamp {
    Timestamp::new(t.get() + Duration::from_secs(seconds))
}

/// Person `i`'s visitor key.
pub(crate) fn visitor(i: usize) -> Result<VisitorKey, AppError> {
    Ok(VisitorKey::client(&format!("demo-visitor-{i:09}"))?)
}

/// Lead `i`'s details as the contact form sent them (`closer_domain::demo::names`).
pub(crate) fn lead_draft(i: usize, owner: Option<UserId>) -> Result<ContactDraft, AppError> {
    let lead = names::lead(i);
    Ok(ContactDraft {
        name: Some(lead.name),
        emails: vec![Email::parse(&lead.email)?],
        company: Some(lead.company.name),
        job_title: Some(lead.job_title),
        owner_id: owner,
        ..ContactDraft::default()
    })
}

/// What the buyer said when a deal was lost for `reason`, in their words.
pub(crate) fn objection(reason: &str) -> Option<String> {
    let said = match reason {
        "price" => "It's more than we budgeted for this year.",
        "timing" => "Come back to us after the reorganisation, in Q3.",
        "competitor" => "We went with the tool our sister company already uses.",
        "no_budget" => "The budget was frozen last week.",
        "unresponsive" => return None,
        _ => "We decided to keep doing it by hand for now.",
    };
    Some(said.to_owned())
}

/// The calls, demos, e-mails, meetings and notes a rep logged for person `p` (besides the
/// first call): a note when they qualified, one activity on the deal at each stage it
/// reached. Touches come after the first call only (a person never reached is noted, not
/// touched), so speed-to-lead is the first call's.
pub(crate) fn logged_activities(
    p: &Person,
    contact: closer_domain::ContactId,
    deal: Option<(
        &closer_domain::pipeline::Deal,
        &closer_domain::demo::DemoDeal,
    )>,
    owner: Option<UserId>,
) -> Vec<Activity> {
    let touch = |kind: ActivityKind, t: Timestamp| match p.first_touch {
        Some(first) if t >= first => kind,
        _ => ActivityKind::Note,
    };
    let mut out = Vec::new();
    let mut log = |kind: ActivityKind, t: Timestamp, deal_id, outcome: Option<&str>, text: &str| {
        out.push(Activity {
            id: closer_domain::pipeline::ActivityId::new(),
            contact_id: contact,
            deal_id,
            kind,
            occurred_at: t,
            owner_id: owner,
            outcome: outcome.map(str::to_owned),
            text: Some(text.to_owned()),
            created_at: t,
        });
    };
    if let Some(t) = p.prospect_at {
        log(
            ActivityKind::Note,
            t,
            None,
            None,
            "Qualified: a team of their own, the budget holder is in the loop.",
        );
    }
    if let Some((deal, d)) = deal {
        let scripts: &[(ActivityKind, Option<&str>, &str)] = if d.pipeline == 0 {
            &[
                (ActivityKind::Demo, None, "Showed the product to the team."),
                (ActivityKind::Email, None, "Sent the proposal."),
                (ActivityKind::Meeting, None, "Went through the terms."),
                (
                    ActivityKind::Call,
                    Some("reached"),
                    "Agreed on a start date.",
                ),
            ]
        } else {
            &[
                (
                    ActivityKind::Meeting,
                    None,
                    "Pilot kickoff with their team.",
                ),
                (
                    ActivityKind::Call,
                    Some("reached"),
                    "Reviewed the contract draft.",
                ),
            ]
        };
        for (k, t) in &d.moves {
            if let Some((kind, outcome, text)) = scripts.get(k - 1) {
                log(touch(*kind, *t), *t, Some(deal.id), *outcome, text);
            }
        }
    }
    out
}

/// The form submission that made a lead.
pub(crate) fn form_event(at: Timestamp) -> NewEvent {
    NewEvent {
        id: EventId::new(),
        kind: EventKind::FormSubmitted,
        occurred_at: at,
        properties: json!({"form_name": "Contact us", "page": "https://demo.example/contact", "fields": {}}),
    }
}

/// A deal's moves after it opens: the open stages it passed, then won or lost (with why).
pub(crate) fn deal_steps<'p>(
    pipeline: &'p Pipeline,
    open: &'p [PipelineStage],
    d: &DemoDeal,
) -> Vec<(&'p PipelineStage, Timestamp, Option<&'static str>)> {
    let mut steps: Vec<_> = d
        .moves
        .iter()
        .filter_map(|(k, t)| open.get(*k).map(|s| (s, *t, None)))
        .collect();
    match d.outcome {
        Outcome::Won(t) => steps.push((pipeline.closing(StageKind::Won), t, None)),
        Outcome::Lost(t, reason) => {
            steps.push((pipeline.closing(StageKind::Lost), t, Some(reason)));
        }
        Outcome::Open => {}
    }
    steps
}

/// The pages of person `p`'s visit `v`: one or two, three on the visit they become a lead.
fn visit_paths(p: &Person, v: usize) -> &'static [&'static str] {
    if p.lead_at.is_some() && v + 1 == p.visits.len() {
        &["/", "/pricing", "/contact"]
    } else if v.is_multiple_of(2) {
        &["/"]
    } else {
        &["/", "/blog/how-we-work"]
    }
}

/// Person `i`'s page views (`visit_paths` of each visit).
fn person_hits(ws: WorkspaceId, site: SiteId, i: usize, p: &Person) -> Result<Vec<Hit>, AppError> {
    let visitor = visitor(i)?;
    let mut hits = Vec::new();
    for (v, t) in p.visits.iter().enumerate() {
        for (k, path) in visit_paths(p, v).iter().enumerate() {
            hits.push(Hit {
                workspace_id: ws,
                site_id: site,
                visitor: visitor.clone(),
                kind: HitKind::Pageview,
                occurred_at: at(*t, 40 * k as u64),
                path: (*path).to_owned(),
                attribution: attribution(p.channels.get(v).copied().unwrap_or(p.channel)),
                props: serde_json::Map::new(),
                revenue: None,
                interactive: true,
            });
        }
    }
    Ok(hits)
}

/// What both fills start from: the people, the site, the reps and the pipeline.
pub(crate) struct Setup {
    pub people: Vec<Person>,
    pub ws: WorkspaceId,
    pub site: SiteId,
    pub reps: Vec<UserId>,
    /// `PIPELINES`' pipelines, each with its open stages in order.
    pub pipelines: Vec<(Pipeline, Vec<PipelineStage>)>,
    pub reasons: Vec<LossReason>,
    pub summary: DemoSummary,
}

impl Setup {
    /// The people's hits in batches of about `HIT_BATCH`, each person's in one batch.
    pub(crate) fn hit_batches(&self) -> impl Iterator<Item = Result<Arc<[Hit]>, AppError>> + '_ {
        let mut people = self.people.iter().enumerate().peekable();
        std::iter::from_fn(move || {
            people.peek()?;
            let mut batch = Vec::with_capacity(HIT_BATCH + 16);
            while batch.len() < HIT_BATCH {
                let Some((i, p)) = people.next() else { break };
                match person_hits(self.ws, self.site, i, p) {
                    Ok(hits) => batch.extend(hits),
                    Err(e) => return Some(Err(e)),
                }
            }
            Some(Ok(Arc::from(batch)))
        })
    }
}

/// Every lead's rows (`add_person`), and what they count.
fn people_rows(setup: &Setup) -> Result<(PeopleLoad, DemoSummary), AppError> {
    let cx = Context {
        ws: setup.ws,
        reps: &setup.reps,
        pipelines: &setup.pipelines,
        reasons: &setup.reasons,
    };
    let mut load = PeopleLoad::default();
    let mut summary = DemoSummary::default();
    for (i, p) in setup.people.iter().enumerate() {
        if let Some(lead_at) = p.lead_at {
            add_person(&mut load, &cx, i, p, lead_at, &mut summary)?;
        }
    }
    Ok((load, summary))
}

/// The demo workspace's history: people, visits, deals, orders, then a rescore.
#[derive(Clone)]
pub struct Demo {
    pub(crate) store: Arc<dyn closer_store::Store>,
    pub(crate) scoring: crate::qualification::Scoring,
    pub(crate) sales: crate::pipeline::Sales,
    pub(crate) access: crate::Access,
}

impl Demo {
    pub(crate) fn new(
        store: Arc<dyn closer_store::Store>,
        scoring: crate::qualification::Scoring,
        sales: crate::pipeline::Sales,
        access: crate::Access,
    ) -> Self {
        Self {
            store,
            scoring,
            sales,
            access,
        }
    }

    /// Generates the people and sets up the site, reps and pipeline they are sold through.
    pub(crate) async fn demo_setup(
        &self,
        ws: WorkspaceId,
        contacts: u64,
        seed: u64,
        now: Timestamp,
    ) -> Result<Setup, AppError> {
        if !(1..=2_000_000).contains(&contacts) {
            return Err(AppError::invalid("contacts", "must be from 1 to 2000000"));
        }
        if self.store.count_contacts(ws).await? > 0 {
            return Err(AppError::Conflict(
                "the workspace already has contacts: the demo fills a new one (closer demo --workspace NEW-SLUG)".into(),
            ));
        }
        let start = Timestamp::new(now.get() - Duration::from_hours(365 * 24));
        let mut people = generate(seed, contacts, start, now);
        // Oldest first: tracked events, sessions (keyed by visitor, numbered in this order) and
        // contacts are then appended at the end of their indexes instead of scattered through
        // them, which on a large demo is the difference between streaming and random I/O.
        people.sort_by_cached_key(|p| p.visits.first().copied());
        let site = Site {
            id: SiteId::new(),
            workspace_id: ws,
            domain: SiteDomain::parse(&format!(
                "demo-{}.example",
                &ws.0.simple().to_string()[..12]
            ))?,
            created_at: start,
        };
        self.store.create_site(&site).await?;
        let reps = self.demo_reps(ws).await?;
        let pipelines = self.demo_pipelines(ws).await?;
        let summary = DemoSummary {
            visitors: people.len() as u64,
            page_views: people
                .iter()
                .map(|p| {
                    (0..p.visits.len())
                        .map(|v| visit_paths(p, v).len() as u64)
                        .sum::<u64>()
                })
                .sum(),
            ..DemoSummary::default()
        };
        Ok(Setup {
            people,
            ws,
            site: site.id,
            reps,
            pipelines,
            reasons: default_loss_reasons(),
            summary,
        })
    }

    /// Fills `ws` (which must hold no contacts yet) with about `contacts` leads' year of
    /// history ending `now`. `progress` hears how many of the steps are done.
    pub async fn fill_demo(
        &self,
        ws: WorkspaceId,
        contacts: u64,
        seed: u64,
        now: Timestamp,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<DemoSummary, AppError> {
        let started = std::time::Instant::now();
        let setup = self.demo_setup(ws, contacts, seed, now).await?;
        tracing::info!(
            seconds = started.elapsed().as_secs_f64(),
            "demo: history generated"
        );
        let site = setup.site;
        let reps = setup.reps.clone();
        let summary = match self.write_history(setup, started, &mut progress).await {
            Ok(summary) => summary,
            Err(e) => {
                // The traffic went in batches, each committed; the people in one transaction
                // that failed. Take the traffic back with the demo's own site, so a failed
                // demo leaves the workspace as it found it (its reps aside: a retry reuses
                // them).
                if let Err(undo) = self.store.discard_site(ws, site).await {
                    tracing::error!(error = %undo, "demo: the failed fill's traffic stays");
                }
                return Err(e);
            }
        };
        tracing::info!(
            seconds = started.elapsed().as_secs_f64(),
            "demo: people written"
        );
        // A million new contacts and their histories: the same for them.
        self.store.refresh_statistics().await?;
        self.demo_tasks(ws, &reps, now).await?;
        self.scoring.rescore(ws, |_| {}).await?;
        tracing::info!(
            seconds = started.elapsed().as_secs_f64(),
            "demo: leads scored"
        );
        self.store.refresh_statistics().await?;
        Ok(summary)
    }

    /// The demo's traffic, then its people: everything `fill_demo` may have to take back.
    async fn write_history(
        &self,
        setup: Setup,
        started: std::time::Instant,
        progress: &mut impl FnMut(u64, u64),
    ) -> Result<DemoSummary, AppError> {
        let ws = setup.ws;
        let mut summary = setup.summary;
        let setup = Arc::new(setup);
        // The people's rows are built on a thread of their own while the traffic is written:
        // the store's writing keeps one core busy (SQLite's writer, PostgreSQL's backends),
        // building them takes the other.
        let building = tokio::task::spawn_blocking({
            let setup = Arc::clone(&setup);
            move || people_rows(&setup)
        });
        // Traffic first, so each lead's link brings its earlier visits with it; a few batches
        // are in flight so the next is built while the store writes.
        let mut writing = futures::stream::FuturesUnordered::new();
        let mut sent = 0u64;
        for batch in setup.hit_batches() {
            let batch = batch?;
            sent += batch.len() as u64;
            writing.push(self.store.record_new_traffic(batch));
            if writing.len() >= BATCHES_IN_FLIGHT
                && let Some(done) = writing.next().await
            {
                done?;
                progress(sent.min(summary.page_views), summary.page_views);
            }
        }
        while let Some(done) = writing.next().await {
            done?;
        }
        progress(summary.page_views, summary.page_views);
        // Ten million new sessions and events: plans made before the statistics (PostgreSQL)
        // know them would scan them all for each lead.
        self.store.refresh_statistics().await?;
        tracing::info!(
            seconds = started.elapsed().as_secs_f64(),
            "demo: traffic written"
        );
        drop(setup);
        let (load, people) = building
            .await
            .map_err(|e| AppError::Internal(format!("demo: building the people: {e}")))??;
        summary.add(&people);
        self.store.load_people(ws, Arc::new(load)).await?;
        Ok(summary)
    }

    /// Follow-ups on each rep's newest open deals (`TASKS_PER_REP`), due every six hours
    /// from two days before `now`: a day's worth overdue, the rest over the coming days.
    pub(crate) async fn demo_tasks(
        &self,
        ws: WorkspaceId,
        reps: &[UserId],
        now: Timestamp,
    ) -> Result<(), AppError> {
        use closer_domain::pipeline::{DealStatus, Task, TaskId, TaskKind, TaskStatus};
        for rep in reps {
            let query = closer_store::DealQuery {
                status: Some(DealStatus::Open),
                owner: Some(*rep),
                limit: TASKS_PER_REP,
                ..closer_store::DealQuery::default()
            };
            let deals = self.store.list_deals(ws, &query).await?;
            for (k, deal) in deals.iter().enumerate() {
                let due = now.get() - Duration::from_hours(48) + Duration::from_hours(6 * k as u64);
                let task = Task {
                    id: TaskId::new(),
                    kind: TaskKind::FollowUp,
                    title: format!("Follow up: {}", deal.title),
                    text: None,
                    contact_id: Some(deal.contact_id),
                    deal_id: Some(deal.id),
                    assignee_id: Some(*rep),
                    due_at: Timestamp::new(due),
                    status: TaskStatus::Open,
                    done_at: None,
                    created_at: deal.updated_at.min(now),
                };
                self.store.add_task(ws, &task, &[]).await?;
            }
        }
        Ok(())
    }

    /// `PIPELINES`: the default pipeline and the others, added unless a failed fill added
    /// them already.
    async fn demo_pipelines(
        &self,
        ws: WorkspaceId,
    ) -> Result<Vec<(Pipeline, Vec<PipelineStage>)>, AppError> {
        let mut out = Vec::new();
        for (name, _, _) in PIPELINES {
            let have = self.sales.pipelines(ws).await?;
            let pipeline = if out.is_empty() {
                have.into_iter().find(|p| p.is_default)
            } else {
                have.into_iter().find(|p| p.name == name)
            };
            let pipeline = if let Some(p) = pipeline {
                p
            } else {
                let stage = |name: &str, probability: Option<u8>, kind: Option<&str>| StageInput {
                    id: None,
                    name: name.into(),
                    probability,
                    forecast: None,
                    kind: kind.map(str::to_owned),
                };
                let mut stages: Vec<StageInput> = PARTNER_STAGES
                    .iter()
                    .map(|(n, p)| stage(n, Some(*p), None))
                    .collect();
                stages.push(stage("Signed", None, Some("won")));
                stages.push(stage("Dropped", None, Some("lost")));
                let input = PipelineInput {
                    name: name.into(),
                    stages,
                };
                self.sales
                    .create_pipeline(&crate::Principal::operator(ws), &input)
                    .await?
            };
            let open = pipeline
                .stages
                .iter()
                .filter(|s| s.kind == StageKind::Open)
                .cloned()
                .collect();
            out.push((pipeline, open));
        }
        Ok(out)
    }

    /// Three reps to own the demo's leads and deals.
    async fn demo_reps(&self, ws: WorkspaceId) -> Result<Vec<UserId>, AppError> {
        let mut ids = Vec::new();
        for (email, name) in [
            ("ana.rep@demo.example", "Ana Demo"),
            ("ben.rep@demo.example", "Ben Demo"),
            ("chloe.rep@demo.example", "Chloé Demo"),
        ] {
            match self
                .access
                .add_user_to(&crate::Principal::operator(ws), email, name, "rep")
                .await
            {
                Ok(u) => ids.push(u.id),
                Err(AppError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        if ids.is_empty() {
            ids = self
                .store
                .list_users(ws)
                .await?
                .into_iter()
                .map(|u| u.id)
                .collect();
        }
        Ok(ids)
    }
}
