//! `closer demo` written the long way: each person through the same store operations real
//! captures and sales use (`upsert_contact`, `add_activity`, `move_stages`, `create_deal`,
//! `move_deal`, `add_order`), one at a time. The bulk fill (`demo.rs`) must leave the same
//! history; a test compares the reports of both. Kept as that reference, not for speed.

use closer_domain::demo::Person;
use closer_domain::pipeline::{StageKind, plan_move};
use closer_domain::{Stage, Timestamp, UserId, WorkspaceId};
use closer_store::{DealMove, StageMove, StoreError, UpsertContact};
use futures::StreamExt;

use crate::AppError;
use crate::demo::{
    ACTOR, DemoSummary, FORM_ACTOR, RULE_ACTOR, Setup, form_event, lead_draft, visitor,
};
use crate::demo_rows::{deal_order, demo_deal, repeat_order};

/// People being written at once on SQLite: its one writer commits whatever is queued in one
/// transaction, so more in flight means larger commits.
const IN_FLIGHT: usize = 64;
/// On PostgreSQL, fewer than its pool's connections: each person holds a connection for a few
/// statements, and a deeper queue made connection waits on a busy machine run past the pool's
/// timeout (a million-lead demo failed that way).
const IN_FLIGHT_POOLED: usize = 12;

impl crate::demo::Demo {
    /// `fill_demo`'s history, written person by person through the row-at-a-time operations.
    pub async fn fill_demo_stepwise(
        &self,
        ws: WorkspaceId,
        contacts: u64,
        seed: u64,
        now: Timestamp,
    ) -> Result<DemoSummary, AppError> {
        let setup = self.demo_setup(ws, contacts, seed, now).await?;
        let mut summary = setup.summary;
        for batch in setup.hit_batches() {
            self.store.record_hits(batch?).await?;
        }
        self.store.refresh_statistics().await?;
        let Setup {
            people,
            reps,
            pipelines,
            reasons,
            ..
        } = &setup;
        let mut written = futures::stream::iter(
            people
                .iter()
                .enumerate()
                .filter_map(|(i, p)| p.lead_at.map(|at| (i, p, at))),
        )
        .map(|(i, p, lead_at)| async move {
            let mut s = DemoSummary::default();
            self.demo_person(ws, i, p, lead_at, reps, pipelines, reasons, &mut s)
                .await
                .map(|()| s)
        })
        .buffer_unordered(if self.store.engine() == "postgres" {
            IN_FLIGHT_POOLED
        } else {
            IN_FLIGHT
        });
        while let Some(s) = written.next().await {
            summary.add(&s?);
        }
        drop(written);
        self.demo_tasks(ws, reps, now).await?;
        self.scoring.rescore(ws, |_| {}).await?;
        self.store.refresh_statistics().await?;
        Ok(summary)
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
        pipelines: &[(
            closer_domain::pipeline::Pipeline,
            Vec<closer_domain::pipeline::PipelineStage>,
        )],
        reasons: &[closer_domain::pipeline::LossReason],
        summary: &mut DemoSummary,
    ) -> Result<(), AppError> {
        let owner = reps.get(i % reps.len().max(1)).copied();
        let draft = lead_draft(i, owner)?;
        let event = form_event(lead_at);
        let contact = self
            .store
            .upsert_contact(
                ws,
                UpsertContact {
                    draft,
                    overwrite: false,
                    event: Some(event),
                    actor: FORM_ACTOR.into(),
                    visitor: Some(visitor(i)?),
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
            self.store.add_activity(ws, &call, &[]).await?;
        }
        let Some(prospect_at) = p.prospect_at else {
            return self.demo_activities(ws, p, contact.id, None, owner).await;
        };
        let moved = StageMove {
            contact: contact.id,
            from: Stage::Lead,
            to: Stage::Prospect,
            actor: RULE_ACTOR.into(),
        };
        self.store.move_stages(ws, &[moved], prospect_at).await?;
        let Some(d) = &p.deal else {
            return self.demo_activities(ws, p, contact.id, None, owner).await;
        };
        let (pipeline, open) = &pipelines[d.pipeline];
        let first = &open[0];
        let mut deal = demo_deal(pipeline, first, &contact, i, p, d, owner);
        self.store
            .create_deal(ws, &deal, &first.name, ACTOR)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => AppError::Internal("demo contact vanished".into()),
                other => other.into(),
            })?;
        summary.deals += 1;
        self.demo_activities(ws, p, contact.id, Some((&deal, d)), owner)
            .await?;
        let steps = crate::demo::deal_steps(pipeline, open, d);
        for (stage, t, reason) in steps {
            let objection = reason.and_then(crate::demo::objection);
            let plan = plan_move(&deal, pipeline, stage, reason, objection, reasons, t)
                .map_err(|e| AppError::Internal(format!("demo move: {e}")))?;
            let order = (stage.kind == StageKind::Won).then(|| deal_order(&deal, t));
            let mv = DealMove {
                deal: deal.id,
                plan,
                stage_name: stage.name.clone(),
                actor: ACTOR.into(),
                order,
                amount: None,
            };
            deal = self.store.move_deal(ws, &mv, t).await?;
        }
        summary.deal_ended(deal.status);
        for (t, value) in &p.repeat_orders {
            let order = repeat_order(contact.id, *t, *value);
            self.store.add_order(ws, &order, ACTOR).await?;
            summary.orders += 1;
        }
        Ok(())
    }

    async fn demo_activities(
        &self,
        ws: WorkspaceId,
        p: &Person,
        contact: closer_domain::ContactId,
        deal: Option<(
            &closer_domain::pipeline::Deal,
            &closer_domain::demo::DemoDeal,
        )>,
        owner: Option<UserId>,
    ) -> Result<(), AppError> {
        for a in crate::demo::logged_activities(p, contact, deal, owner) {
            self.store.add_activity(ws, &a, &[]).await?;
        }
        Ok(())
    }
}
