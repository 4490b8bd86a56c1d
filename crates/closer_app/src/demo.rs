//! `closer demo`: fills a fresh workspace with a year of synthetic history (see
//! `closer_domain::demo` for the rates), written through the same store operations real
//! traffic, captures and sales use, each at its own time in the past. Scores are computed at
//! the end with a rescore.

use std::sync::Arc;
use std::time::Duration;

use closer_domain::demo::{Outcome, Person, generate};
use closer_domain::pipeline::{
    Amount, Currency, Deal, DealId, DealStatus, Order, OrderId, OrderLine, OrderSource, StageKind,
    default_loss_reasons, plan_move,
};
use closer_domain::traffic::site::{SiteDomain, SiteId};
use closer_domain::traffic::url::Utm;
use closer_domain::traffic::visitor::VisitorKey;
use closer_domain::traffic::{Attribution, Channel, Hit, HitKind};
use closer_domain::{
    ContactDraft, Email, EventId, EventKind, NewEvent, Stage, Timestamp, UserId, WorkspaceId,
};
use closer_store::{DealMove, Site, StageMove, StoreError, UpsertContact};
use futures::StreamExt;
use serde_json::json;

use crate::{App, AppError};

/// How the demo signs histories.
const ACTOR: &str = "demo";
/// Hits written per `record_hits` call.
const HIT_BATCH: usize = 5_000;
/// People being written at once on SQLite: its one writer commits whatever is queued in one
/// transaction, so more in flight means larger commits.
const IN_FLIGHT: usize = 64;
/// On PostgreSQL, fewer than its pool's connections: each person holds a connection for a few
/// statements, and a deeper queue made connection waits on a busy machine run past the pool's
/// timeout (a million-lead demo failed that way).
const IN_FLIGHT_POOLED: usize = 12;

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

impl App {
    /// Fills `ws` (which must hold no contacts yet) with about `contacts` leads' year of
    /// history ending `now`. `progress` hears how many people are written.
    pub async fn fill_demo(
        &self,
        ws: WorkspaceId,
        contacts: u64,
        seed: u64,
        now: Timestamp,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<DemoSummary, AppError> {
        if !(1..=2_000_000).contains(&contacts) {
            return Err(AppError::invalid("contacts", "must be from 1 to 2000000"));
        }
        if self.store().count_contacts(ws).await? > 0 {
            return Err(AppError::Conflict(
                "the workspace already has contacts: the demo fills a new one (closer demo --workspace NEW-SLUG)".into(),
            ));
        }
        let start = Timestamp::new(now.get() - Duration::from_hours(365 * 24));
        let mut people = generate(seed, contacts, start, now);
        // Oldest first: tracked events, sessions (keyed by visitor, numbered in this order) and
        // contacts are then appended at the end of their indexes instead of scattered through
        // them, which on a large demo is the difference between streaming and random I/O.
        people.sort_by_key(|p| p.visits.first().copied());
        let total = people.len() as u64;
        let mut summary = DemoSummary {
            visitors: total,
            ..DemoSummary::default()
        };
        let site = Site {
            id: SiteId::new(),
            workspace_id: ws,
            domain: SiteDomain::parse(&format!(
                "demo-{}.example",
                &ws.0.simple().to_string()[..12]
            ))?,
            created_at: start,
        };
        self.store().create_site(&site).await?;
        let reps = self.demo_reps(ws).await?;

        // Traffic first, so each lead's link brings its earlier visits with it.
        let mut hits = Vec::with_capacity(HIT_BATCH);
        let mut writing = futures::stream::FuturesUnordered::new();
        for (i, p) in people.iter().enumerate() {
            let visitor = VisitorKey::client(&format!("demo-visitor-{i:09}"))?;
            for (v, t) in p.visits.iter().enumerate() {
                let paths: &[&str] = if p.lead_at.is_some() && v + 1 == p.visits.len() {
                    &["/", "/pricing", "/contact"]
                } else if v % 2 == 0 {
                    &["/"]
                } else {
                    &["/", "/blog/how-we-work"]
                };
                for (k, path) in paths.iter().enumerate() {
                    hits.push(Hit {
                        workspace_id: ws,
                        site_id: site.id,
                        visitor: visitor.clone(),
                        kind: HitKind::Pageview,
                        occurred_at: at(*t, 40 * k as u64),
                        path: (*path).to_owned(),
                        attribution: attribution(p.channel),
                        props: serde_json::Map::new(),
                        revenue: None,
                        interactive: true,
                    });
                }
            }
            // Batches end between people, so a visitor's visits are never split; a few are
            // in flight so the next is built while the store writes.
            if hits.len() >= HIT_BATCH {
                summary.page_views += hits.len() as u64;
                let batch: Arc<[Hit]> = Arc::from(std::mem::take(&mut hits));
                writing.push(self.store().record_hits(batch));
                if writing.len() >= 4
                    && let Some(done) = writing.next().await
                {
                    done?;
                }
            }
        }
        summary.page_views += hits.len() as u64;
        if !hits.is_empty() {
            writing.push(self.store().record_hits(Arc::from(hits)));
        }
        while let Some(done) = writing.next().await {
            done?;
        }
        // Ten million new sessions and events: plans made before the statistics know them
        // would scan them all for each lead.
        self.store().refresh_statistics().await?;

        let pipeline = self
            .pipelines(ws)
            .await?
            .into_iter()
            .find(|p| p.is_default)
            .ok_or_else(|| AppError::Internal("no default pipeline".into()))?;
        let reasons = default_loss_reasons();
        let open: Vec<_> = pipeline
            .stages
            .iter()
            .filter(|s| s.kind == StageKind::Open)
            .cloned()
            .collect();
        // People are written many at a time: the SQLite writer commits whatever is queued in one
        // transaction, and PostgreSQL spreads them over its pool. Each person's own writes stay
        // in order.
        let leads = people.iter().filter(|p| p.lead_at.is_some()).count() as u64;
        let (reps, pipeline, open, reasons) = (&reps, &pipeline, &open, &reasons);
        let mut written = futures::stream::iter(
            people
                .iter()
                .enumerate()
                .filter_map(|(i, p)| p.lead_at.map(|at| (i, p, at))),
        )
        .map(|(i, p, lead_at)| async move {
            let mut s = DemoSummary::default();
            self.demo_person(ws, i, p, lead_at, reps, pipeline, open, reasons, &mut s)
                .await
                .map(|()| s)
        })
        .buffer_unordered(if self.store().engine() == "postgres" {
            IN_FLIGHT_POOLED
        } else {
            IN_FLIGHT
        });
        let mut done = 0u64;
        while let Some(s) = written.next().await {
            let s = s?;
            summary.leads += s.leads;
            summary.deals += s.deals;
            summary.won += s.won;
            summary.lost += s.lost;
            summary.orders += s.orders;
            done += 1;
            if done.is_multiple_of(1_000) {
                progress(done, leads);
            }
        }
        drop(written);
        let total = leads;
        progress(total, total);
        self.rescore(ws, |_| {}).await?;
        // The people's writes left old row versions and moved statistics behind them.
        self.store().refresh_statistics().await?;
        Ok(summary)
    }

    /// Three reps to own the demo's leads and deals.
    async fn demo_reps(&self, ws: WorkspaceId) -> Result<Vec<UserId>, AppError> {
        let mut ids = Vec::new();
        for (email, name) in [
            ("ana.rep@demo.example", "Ana Demo"),
            ("ben.rep@demo.example", "Ben Demo"),
            ("chloe.rep@demo.example", "Chloé Demo"),
        ] {
            match self.add_user_to(ws, email, name, "rep").await {
                Ok(u) => ids.push(u.id),
                Err(AppError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        if ids.is_empty() {
            ids = self
                .store()
                .list_users(ws)
                .await?
                .into_iter()
                .map(|u| u.id)
                .collect();
        }
        Ok(ids)
    }

    // One person's lead, stage, deal and orders; the arguments are the fill's fixed context.
    #[allow(clippy::too_many_arguments)]
    async fn demo_person(
        &self,
        ws: WorkspaceId,
        i: usize,
        p: &Person,
        lead_at: Timestamp,
        reps: &[UserId],
        pipeline: &closer_domain::pipeline::Pipeline,
        open: &[closer_domain::pipeline::PipelineStage],
        reasons: &[closer_domain::pipeline::LossReason],
        summary: &mut DemoSummary,
    ) -> Result<(), AppError> {
        let owner = reps.get(i % reps.len().max(1)).copied();
        let email = Email::parse(&format!("lead{i:07}@demo.example"))?;
        let draft = ContactDraft {
            name: Some(format!("Demo Lead {i}")),
            emails: vec![email],
            company: Some(format!("Demo Company {}", i % 997)),
            owner_id: owner,
            ..ContactDraft::default()
        };
        let event = NewEvent {
            id: EventId::new(),
            kind: EventKind::FormSubmitted,
            occurred_at: lead_at,
            properties: json!({"form_name": "Contact us", "page": "https://demo.example/contact", "fields": {}}),
        };
        let contact = self
            .store()
            .upsert_contact(
                ws,
                UpsertContact {
                    draft,
                    overwrite: false,
                    event: Some(event),
                    actor: "form:demo".into(),
                    visitor: Some(VisitorKey::client(&format!("demo-visitor-{i:09}"))?),
                    now: lead_at,
                },
            )
            .await?
            .contact;
        summary.leads += 1;
        if let Some(at) = p.first_touch {
            let call = closer_domain::pipeline::Activity {
                id: closer_domain::pipeline::ActivityId::new(),
                contact_id: contact.id,
                deal_id: None,
                kind: closer_domain::pipeline::ActivityKind::Call,
                occurred_at: at,
                owner_id: owner,
                outcome: Some("reached".into()),
                text: None,
                created_at: at,
            };
            self.store().add_activity(ws, &call).await?;
        }
        let Some(prospect_at) = p.prospect_at else {
            return Ok(());
        };
        let moved = StageMove {
            contact: contact.id,
            from: Stage::Lead,
            to: Stage::Prospect,
            actor: "rule:demo".into(),
        };
        self.store().move_stages(ws, &[moved], prospect_at).await?;
        let Some(d) = &p.deal else { return Ok(()) };
        let first = &open[0];
        let mut deal = Deal {
            id: DealId::new(),
            pipeline_id: pipeline.id,
            stage_id: first.id,
            status: DealStatus::Open,
            contact_id: contact.id,
            company: contact.company.clone(),
            title: format!("Demo deal {i}"),
            amount: Amount::from_units(i64::try_from(d.amount).unwrap_or(1) * 10_000)
                .unwrap_or(Amount::ZERO),
            currency: Currency::USD,
            expected_close: None,
            owner_id: owner,
            source: Some(p.channel.as_str().to_owned()),
            loss: None,
            closed_at: None,
            created_at: d.created_at,
            updated_at: d.created_at,
        };
        self.store()
            .create_deal(ws, &deal, &first.name, ACTOR)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => AppError::Internal("demo contact vanished".into()),
                other => other.into(),
            })?;
        summary.deals += 1;
        let mut steps: Vec<(
            &closer_domain::pipeline::PipelineStage,
            Timestamp,
            Option<&str>,
        )> = d
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
        for (stage, t, reason) in steps {
            let plan = plan_move(&deal, pipeline, stage, reason, None, reasons, t)
                .map_err(|e| AppError::Internal(format!("demo move: {e}")))?;
            let order = (stage.kind == StageKind::Won).then(|| Order {
                id: OrderId::new(),
                contact_id: contact.id,
                deal_id: Some(deal.id),
                currency: deal.currency,
                lines: vec![OrderLine {
                    product: deal.title.clone(),
                    quantity: 1,
                    unit_price: deal.amount,
                }],
                total: deal.amount,
                source: OrderSource::Deal,
                placed_at: t,
                created_at: t,
            });
            let mv = DealMove {
                deal: deal.id,
                plan,
                stage_name: stage.name.clone(),
                actor: ACTOR.into(),
                order,
                amount: None,
            };
            deal = self.store().move_deal(ws, &mv, t).await?;
        }
        match deal.status {
            DealStatus::Won => {
                summary.won += 1;
                summary.orders += 1;
            }
            DealStatus::Lost => summary.lost += 1,
            DealStatus::Open => {}
        }
        for (t, value) in &p.repeat_orders {
            let amount = Amount::from_units(i64::try_from(*value).unwrap_or(1) * 10_000)
                .unwrap_or(Amount::ZERO);
            let order = Order {
                id: OrderId::new(),
                contact_id: contact.id,
                deal_id: None,
                currency: deal.currency,
                lines: vec![OrderLine {
                    product: "Repeat order".into(),
                    quantity: 1,
                    unit_price: amount,
                }],
                total: amount,
                source: OrderSource::Api,
                placed_at: *t,
                created_at: *t,
            };
            self.store().add_order(ws, &order, ACTOR).await?;
            summary.orders += 1;
        }
        Ok(())
    }
}
