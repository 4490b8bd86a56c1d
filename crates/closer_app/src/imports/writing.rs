//! The write pass's pipeline: while one batch is written, the next is looked up and planned
//! against the store *and* the batch in flight (whose people the store may not show yet), and
//! the one before is scored. When a write fails because someone changed its people meanwhile,
//! the pipeline stops: that batch is read and planned again alone, then the next afresh.

use std::collections::HashSet;
use std::sync::Arc;

use closer_domain::ContactId;
use closer_domain::import::plan::{
    ContactPlan, ContactWrites, ImportRow, Known, RowOutcome, plan_contacts,
};
use closer_domain::{Timestamp, WorkspaceId};
use closer_store::{Store, StoreError};
use tokio::task::JoinHandle;

use crate::{AppError, Scoring};

/// A batch being written.
struct InFlight {
    rows: Vec<ImportRow>,
    outcomes: Vec<RowOutcome>,
    writes: Arc<ContactWrites>,
    /// Its contacts that were not in `touched` before it was planned.
    newly_touched: Vec<ContactId>,
    task: JoinHandle<Result<(), StoreError>>,
}

pub(super) struct Writing {
    store: Arc<dyn Store>,
    scoring: Scoring,
    ws: WorkspaceId,
    actor: String,
    /// Contacts earlier batches made or changed (rows for them only fill).
    touched: HashSet<ContactId>,
    in_flight: Option<InFlight>,
    scoring_task: Option<JoinHandle<Result<(), AppError>>>,
}

/// Times a batch is read and planned again when its people changed meanwhile.
const ATTEMPTS: u32 = 5;

impl Writing {
    pub(super) fn new(
        store: Arc<dyn Store>,
        scoring: Scoring,
        ws: WorkspaceId,
        actor: String,
    ) -> Self {
        Self {
            store,
            scoring,
            ws,
            actor,
            touched: HashSet::new(),
            in_flight: None,
            scoring_task: None,
        }
    }

    /// Plans `rows` and starts writing them; answers the outcomes of the batch before, now
    /// written (or `None` for the first).
    pub(super) async fn push(
        &mut self,
        rows: Vec<ImportRow>,
    ) -> Result<Option<(Vec<RowOutcome>, bool)>, AppError> {
        let keys = super::contacts::keys_of(&rows);
        let mut known = self.store.import_known(self.ws, &keys).await?;
        if let Some(f) = &self.in_flight {
            // What it holds, as the store will once it commits.
            known.add_written(&f.writes);
        }
        let mut plan = self.plan(rows.clone(), known);
        let settled = match self.in_flight.take() {
            None => None,
            Some(f) => Some(match self.settle(f).await? {
                Settled::Written(done) => done,
                Settled::Redone(done) => {
                    // Planned against a batch that was then planned anew: plan again.
                    let known = self.store.import_known(self.ws, &keys).await?;
                    plan = self.plan(rows.clone(), known);
                    done
                }
            }),
        };
        let newly_touched = plan
            .outcomes
            .iter()
            .map(|o| o.contact())
            .filter(|id| self.touched.insert(*id))
            .collect();
        let writes = Arc::new(plan.writes);
        let (store, w) = (self.store.clone(), writes.clone());
        self.in_flight = Some(InFlight {
            rows,
            outcomes: plan.outcomes,
            writes,
            newly_touched,
            task: tokio::spawn(async move { store.write_contact_import(&w).await }),
        });
        Ok(settled)
    }

    /// Plans a batch against what is known of its people and the contacts earlier batches
    /// touched.
    fn plan(&self, rows: Vec<ImportRow>, known: Known) -> ContactPlan {
        plan_contacts(
            self.ws,
            &self.actor,
            rows,
            known,
            &self.touched,
            Timestamp::now(),
        )
    }

    /// Waits for the batch in flight and the scoring; its outcomes.
    pub(super) async fn finish(&mut self) -> Result<Option<(Vec<RowOutcome>, bool)>, AppError> {
        let done = match self.in_flight.take() {
            None => None,
            Some(f) => Some(match self.settle(f).await? {
                Settled::Written(done) | Settled::Redone(done) => done,
            }),
        };
        if let Some(task) = self.scoring_task.take() {
            join_scoring(task).await?;
        }
        Ok(done)
    }

    /// Waits for a batch's write; on a lost race, plans and writes it again alone. Then
    /// scores it (after the batch before's scoring).
    async fn settle(&mut self, f: InFlight) -> Result<Settled, AppError> {
        let result = f
            .task
            .await
            .map_err(|e| AppError::Unavailable(format!("an import write stopped: {e}")))?;
        let (outcomes, writes, redone) = match result {
            Ok(()) => (f.outcomes, f.writes, false),
            Err(StoreError::Conflict { .. } | StoreError::NotFound) => {
                for id in &f.newly_touched {
                    self.touched.remove(id);
                }
                let (outcomes, writes) = self.write_alone(f.rows).await?;
                (outcomes, Arc::new(writes), true)
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(task) = self.scoring_task.take() {
            join_scoring(task).await?;
        }
        let (scorer, ws, ids) = (self.scoring.clone(), self.ws, writes.written());
        self.scoring_task = Some(tokio::spawn(
            async move { scorer.score_imported(ws, ids).await },
        ));
        let done = (outcomes, !writes.is_empty());
        Ok(if redone {
            Settled::Redone(done)
        } else {
            Settled::Written(done)
        })
    }

    /// Looks up, plans and writes a batch with nothing else in flight, again while someone
    /// keeps changing its people.
    async fn write_alone(
        &mut self,
        rows: Vec<ImportRow>,
    ) -> Result<(Vec<RowOutcome>, ContactWrites), AppError> {
        let keys = super::contacts::keys_of(&rows);
        for attempt in 1..=ATTEMPTS {
            let known = self.store.import_known(self.ws, &keys).await?;
            let plan = self.plan(rows.clone(), known);
            match self.store.write_contact_import(&plan.writes).await {
                Ok(()) => {
                    self.touched
                        .extend(plan.outcomes.iter().map(|o| o.contact()));
                    return Ok((plan.outcomes, plan.writes));
                }
                // An email, phone or id taken, or a record changed, since the lookup.
                Err(StoreError::Conflict { .. } | StoreError::NotFound) if attempt < ATTEMPTS => {}
                Err(StoreError::Conflict { .. } | StoreError::NotFound) => {
                    return Err(AppError::Conflict(format!(
                        "the records of lines {}–{} kept changing while they were imported; \
                         run the import again (rows already imported are found, not made twice)",
                        rows.first().map_or(0, |r| r.line),
                        rows.last().map_or(0, |r| r.line)
                    )));
                }
                Err(e) => return Err(e.into()),
            }
        }
        unreachable!("the last attempt returns")
    }
}

enum Settled {
    Written((Vec<RowOutcome>, bool)),
    /// Planned and written again after a lost race.
    Redone((Vec<RowOutcome>, bool)),
}

async fn join_scoring(task: JoinHandle<Result<(), AppError>>) -> Result<(), AppError> {
    task.await
        .map_err(|e| AppError::Unavailable(format!("scoring imported contacts stopped: {e}")))?
}
