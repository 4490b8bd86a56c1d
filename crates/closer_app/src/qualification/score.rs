//! Scoring one contact: the stored state takes the new signals (or, the first time, the whole
//! timeline), the scores and temperature are recomputed, and a lead whose rules say so moves to
//! prospect. Saves carry a version, so two processes scoring one contact retry instead of
//! losing an update. `Scorer` is the background worker that runs jobs off the request path.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use closer_domain::qualification::{
    Contribution, Rules, ScoreState, Signal, Temperature, fit, prospect_reason, temperature,
};
use closer_domain::{Contact, ContactId, Stage, Timestamp, WorkspaceId};
use closer_store::{SCORE_VERSION, ScoreRecord, StageMove, StoreError};
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinHandle;

use std::sync::Arc;

use closer_store::Store;
use tokio::sync::Notify;

use super::WorkspaceRules;
use crate::AppError;
use crate::pipeline::Assign;

/// Jobs waiting for the worker; beyond this a job is dropped and counted.
const QUEUE: usize = 10_000;
/// Lost version races before a job gives up (the next event retries).
const ATTEMPTS: usize = 5;

/// New signals for a contact (none: recompute fit and temperature, e.g. after an edit).
#[derive(Debug, Clone)]
pub(crate) struct ScoreJob {
    pub workspace: WorkspaceId,
    pub contact: ContactId,
    pub signals: Vec<Signal>,
    /// Replay the whole timeline instead (a visitor's history was just attached).
    pub rescan: bool,
}

pub(crate) struct Scorer {
    tx: mpsc::Sender<ScoreJob>,
    worker: Mutex<Option<JoinHandle<()>>>,
    pub(crate) dropped: AtomicU64,
}

/// The record for a state: scores and temperature at `now`.
pub(crate) fn record_for(
    rules: &Rules,
    contact: &Contact,
    company: Option<&closer_domain::Company>,
    state: ScoreState,
    version: i64,
    now: Timestamp,
) -> ScoreRecord {
    ScoreRecord {
        contact_id: contact.id,
        engagement: state.engagement(rules, now),
        fit: fit(rules, contact, company).score,
        temperature: temperature(rules, &state, contact.stage, now).temperature,
        state,
        version,
        updated_at: now,
    }
}

/// A state built from a whole timeline, oldest event first, and every contribution made on
/// the way (for explanations).
pub(crate) fn replay(
    rules: &Rules,
    contact: &Contact,
    events: &[closer_domain::Event],
) -> (ScoreState, Vec<Contribution>) {
    let signals: Vec<Signal> = events.iter().filter_map(Signal::from_event).collect();
    replay_signals(rules, contact, signals)
}

/// `replay` from signals already read.
pub(crate) fn replay_signals(
    rules: &Rules,
    contact: &Contact,
    mut signals: Vec<Signal>,
) -> (ScoreState, Vec<Contribution>) {
    signals.sort_by_key(|s| s.at);
    let mut state = ScoreState::default();
    let mut earned = Vec::new();
    for s in &signals {
        earned.extend(state.apply(rules, s, contact.created_at));
    }
    (state, earned)
}

pub(crate) fn state_from(
    rules: &Rules,
    contact: &Contact,
    events: &[closer_domain::Event],
) -> ScoreState {
    replay(rules, contact, events).0
}

/// The stage move the rules call for, if any (lead → prospect, with the reason as its author).
pub(crate) fn due_move(
    rules: &Rules,
    contact: &Contact,
    record: &ScoreRecord,
) -> Option<StageMove> {
    if contact.stage != Stage::Lead {
        return None;
    }
    let reason = prospect_reason(rules, &record.state, record.engagement)?;
    Some(StageMove {
        contact: contact.id,
        from: Stage::Lead,
        to: Stage::Prospect,
        actor: format!("rule:{reason}"),
    })
}

/// Scoring: jobs queued to the background worker (or run at once when none runs), batches,
/// `closer rescore`, the start-up sweep, the rules file and the explanation of a verdict.
/// Holds the store, the rules and `Assign` (a lead turning hot gets an owner and a task).
#[derive(Clone)]
pub struct Scoring(Arc<Inner>);

struct Inner {
    store: Arc<dyn Store>,
    rules: WorkspaceRules,
    assign: Assign,
    /// Started by `start_scoring` (the server); CLI commands score inline.
    scorer: std::sync::OnceLock<Scorer>,
    scoring_stop: Notify,
}

impl Scoring {
    pub(crate) fn new(store: Arc<dyn Store>, rules: WorkspaceRules, assign: Assign) -> Self {
        Self(Arc::new(Inner {
            store,
            rules,
            assign,
            scorer: std::sync::OnceLock::new(),
            scoring_stop: Notify::new(),
        }))
    }

    pub(super) fn store(&self) -> &Arc<dyn Store> {
        &self.0.store
    }

    pub(super) fn workspace_rules_cache(&self) -> &WorkspaceRules {
        &self.0.rules
    }

    /// Scoring jobs waiting for the worker, and those dropped because the queue was full.
    pub fn scoring_backlog(&self) -> (usize, u64) {
        self.0.scorer.get().map_or((0, 0), |s| {
            (
                s.tx.max_capacity() - s.tx.capacity(),
                s.dropped.load(Ordering::Relaxed),
            )
        })
    }

    /// The worker's queue, for the ingest writer.
    pub(crate) fn scoring_sender(&self) -> Option<mpsc::Sender<ScoreJob>> {
        self.0.scorer.get().map(|s| s.tx.clone())
    }

    /// Hands a job to the worker, or scores at once when no worker runs (CLI commands).
    pub(crate) async fn queue_scoring(&self, job: ScoreJob) {
        if let Some(scorer) = self.0.scorer.get() {
            if scorer.tx.try_send(job).is_err() {
                scorer.dropped.fetch_add(1, Ordering::Relaxed);
            }
            return;
        }
        if let Err(e) = self
            .score_contact(job.workspace, job.contact, &job.signals, job.rescan)
            .await
        {
            tracing::warn!(contact.id = %job.contact, error = %e, "scoring failed");
        }
    }

    /// The contact's whole timeline replayed into a fresh state.
    pub(crate) async fn rescan(
        &self,
        rules: &Rules,
        contact: &Contact,
    ) -> Result<ScoreState, AppError> {
        let events = self
            .store()
            .timelines(contact.workspace_id, &[contact.id])
            .await?;
        Ok(state_from(rules, contact, &events))
    }

    /// Scores one contact with new signals (or its whole timeline when `rescan`); `None` if
    /// the contact is gone (erased).
    pub async fn score_contact(
        &self,
        ws: WorkspaceId,
        id: ContactId,
        signals: &[Signal],
        rescan: bool,
    ) -> Result<Option<ScoreRecord>, AppError> {
        let rules = self.0.rules.get(ws).await?;
        for _ in 0..ATTEMPTS {
            let contact = match self.store().contact(ws, id).await {
                Ok(c) => c,
                Err(StoreError::NotFound) => return Ok(None),
                Err(e) => return Err(e.into()),
            };
            let stored = self.store().score(ws, id).await?;
            let was_hot = stored
                .as_ref()
                .is_some_and(|r| r.temperature == Temperature::Hot);
            let (state, expected) = match stored {
                Some(record) if rescan => {
                    (self.rescan(&rules, &contact).await?, Some(record.version))
                }
                Some(record) => {
                    let mut state = record.state;
                    for s in signals {
                        state.apply(&rules, s, contact.created_at);
                    }
                    (state, Some(record.version))
                }
                // First time: the timeline already holds these signals' events.
                None => (self.rescan(&rules, &contact).await?, None),
            };
            let now = Timestamp::now();
            let companies =
                super::companies_for(self.store().as_ref(), &rules, ws, [&contact]).await?;
            let company = super::company_of(&companies, &contact);
            let record = record_for(
                &rules,
                &contact,
                company,
                state,
                expected.unwrap_or(0) + 1,
                now,
            );
            match self.store().save_score(ws, &record, expected).await {
                Ok(()) => {
                    self.advance_stage(&rules, &contact, &record, now).await?;
                    if !was_hot && record.temperature == Temperature::Hot {
                        self.0.assign.on_hot(&contact).await?;
                    }
                    return Ok(Some(record));
                }
                Err(e) if e.is_conflict_on(SCORE_VERSION) => {}
                Err(StoreError::NotFound) => return Ok(None),
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Unavailable(
            "the contact's score kept changing under this update".into(),
        ))
    }

    /// Lead → prospect when the rules' conditions hold; `true` if it moved. The store applies
    /// it only if the contact is still a lead: automatic moves only go forward, and a person's
    /// move made meanwhile wins.
    pub(crate) async fn advance_stage(
        &self,
        rules: &Rules,
        contact: &Contact,
        record: &ScoreRecord,
        now: Timestamp,
    ) -> Result<bool, AppError> {
        let Some(due) = due_move(rules, contact, record) else {
            return Ok(false);
        };
        let moved = self
            .store()
            .move_stages(contact.workspace_id, &[due], now)
            .await?;
        if !moved.is_empty() {
            tracing::info!(contact.id = %contact.id, "lead became a prospect by rule");
        }
        Ok(!moved.is_empty())
    }

    /// Starts the background scorer (the server does; CLI commands score inline).
    pub fn start_scoring(&self) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let scorer = Scorer {
            tx,
            worker: Mutex::new(None),
            dropped: AtomicU64::new(0),
        };
        if self.0.scorer.set(scorer).is_err() {
            return;
        }
        let app = self.clone();
        let handle = tokio::spawn(async move { app.score_loop(rx).await });
        if let Some(scorer) = self.0.scorer.get()
            && let Ok(mut slot) = scorer.worker.try_lock()
        {
            *slot = Some(handle);
        }
    }

    /// Scores what is queued, then stops (on shutdown, after ingestion has drained).
    pub async fn stop_scoring(&self) {
        let Some(scorer) = self.0.scorer.get() else {
            return;
        };
        let handle = scorer.worker.lock().await.take();
        if let Some(handle) = handle {
            // A stored permit if the worker is busy: it drains the queue and ends.
            self.0.scoring_stop.notify_one();
            let _ = handle.await;
        }
        let dropped = scorer.dropped.load(Ordering::Relaxed);
        if dropped > 0 {
            tracing::warn!(
                jobs = dropped,
                "scoring jobs were dropped while the queue was full; `closer rescore` brings those contacts up to date"
            );
        }
    }

    async fn score_loop(&self, mut rx: mpsc::Receiver<ScoreJob>) {
        let mut jobs = Vec::with_capacity(1_024);
        loop {
            tokio::select! {
                n = rx.recv_many(&mut jobs, 1_024) => {
                    if n == 0 { break; }
                    self.run_jobs(std::mem::take(&mut jobs)).await;
                }
                () = self.0.scoring_stop.notified() => {
                    rx.close();
                    while rx.recv_many(&mut jobs, 1_024).await > 0 {
                        self.run_jobs(std::mem::take(&mut jobs)).await;
                    }
                    break;
                }
            }
        }
    }

    /// Jobs for one contact are merged, in arrival order, into one scoring; each workspace's
    /// share is scored as one batch.
    async fn run_jobs(&self, jobs: Vec<ScoreJob>) {
        let mut order: Vec<(WorkspaceId, ContactId)> = Vec::new();
        let mut merged: HashMap<(WorkspaceId, ContactId), (Vec<Signal>, bool)> = HashMap::new();
        for job in jobs {
            let key = (job.workspace, job.contact);
            let entry = merged.entry(key).or_insert_with(|| {
                order.push(key);
                (Vec::new(), false)
            });
            entry.0.extend(job.signals);
            entry.1 |= job.rescan;
        }
        let mut by_workspace: HashMap<WorkspaceId, Vec<Pending>> = HashMap::new();
        for key in order {
            let (signals, rescan) = merged.remove(&key).unwrap_or_default();
            by_workspace.entry(key.0).or_default().push(Pending {
                contact: key.1,
                signals,
                rescan,
            });
        }
        for (ws, pending) in by_workspace {
            if let Err(e) = self.score_batch(ws, pending).await {
                tracing::warn!(workspace.id = %ws, error = %e, "scoring a batch failed");
            }
        }
    }

    /// Scores many contacts of one workspace with a handful of queries: their contacts and
    /// records read at once, the new records saved in one transaction (each with its version
    /// check) and the rules' stage moves applied in another. Contacts scored for the first time
    /// or asked to rescan are replayed from their timelines, read together; a contact whose
    /// save lost a race goes through `score_contact` on its own.
    pub(super) async fn score_batch(
        &self,
        ws: WorkspaceId,
        pending: Vec<Pending>,
    ) -> Result<(), AppError> {
        let rules = self.0.rules.get(ws).await?;
        let ids: Vec<ContactId> = pending.iter().map(|p| p.contact).collect();
        let contacts: HashMap<ContactId, Contact> = self
            .store()
            .contacts_by_id(ws, &ids)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        let mut stored: HashMap<ContactId, ScoreRecord> = self
            .store()
            .scores(ws, &ids)
            .await?
            .into_iter()
            .map(|r| (r.contact_id, r))
            .collect();
        let companies =
            super::companies_for(self.store().as_ref(), &rules, ws, contacts.values()).await?;
        let now = Timestamp::now();
        let mut records = Vec::new();
        let mut one_by_one = Vec::new();
        let mut signals_of = HashMap::new();
        let mut replay_whole = Vec::new();
        // Contacts hot before this batch: only a turn to hot assigns a first contact.
        let was_hot: std::collections::HashSet<ContactId> = stored
            .values()
            .filter(|r| r.temperature == Temperature::Hot)
            .map(|r| r.contact_id)
            .collect();
        for p in pending {
            // Gone (erased) contacts are simply not scored.
            let Some(contact) = contacts.get(&p.contact) else {
                continue;
            };
            match stored.remove(&p.contact) {
                Some(record) if !p.rescan => {
                    let mut state = record.state;
                    for s in &p.signals {
                        state.apply(&rules, s, contact.created_at);
                    }
                    let company = super::company_of(&companies, contact);
                    let next = record_for(&rules, contact, company, state, record.version + 1, now);
                    records.push((next, Some(record.version)));
                }
                // First scoring, or history just attached: the whole timeline, read for all
                // of them at once (it already holds these signals' events).
                other => replay_whole.push((p.contact, other.map(|r| r.version))),
            }
            signals_of.insert(p.contact, (p.signals, p.rescan));
        }
        if !replay_whole.is_empty() {
            let ids: Vec<ContactId> = replay_whole.iter().map(|(c, _)| *c).collect();
            let mut timelines: HashMap<ContactId, Vec<closer_domain::Event>> = HashMap::new();
            for e in self.store().timelines(ws, &ids).await? {
                timelines.entry(e.contact_id).or_default().push(e);
            }
            for (id, version) in replay_whole {
                let Some(contact) = contacts.get(&id) else {
                    continue;
                };
                let events = timelines.remove(&id).unwrap_or_default();
                let state = state_from(&rules, contact, &events);
                records.push((
                    record_for(
                        &rules,
                        contact,
                        super::company_of(&companies, contact),
                        state,
                        version.unwrap_or(0) + 1,
                        now,
                    ),
                    version,
                ));
            }
        }
        if !records.is_empty() {
            let lost = self.store().save_scores(ws, &records).await?;
            let moves: Vec<StageMove> = records
                .iter()
                .filter(|(r, _)| !lost.contains(&r.contact_id))
                .filter_map(|(r, _)| due_move(&rules, contacts.get(&r.contact_id)?, r))
                .collect();
            if !moves.is_empty() {
                self.store().move_stages(ws, &moves, now).await?;
            }
            for (r, _) in &records {
                if r.temperature == Temperature::Hot
                    && !was_hot.contains(&r.contact_id)
                    && !lost.contains(&r.contact_id)
                    && let Some(contact) = contacts.get(&r.contact_id)
                    && let Err(e) = self.0.assign.on_hot(contact).await
                {
                    tracing::warn!(contact.id = %r.contact_id, error = %e, "assigning a hot lead failed");
                }
            }
            for contact in lost {
                let (signals, rescan) = signals_of.remove(&contact).unwrap_or_default();
                one_by_one.push(Pending {
                    contact,
                    signals,
                    rescan,
                });
            }
        }
        for p in one_by_one {
            if let Err(e) = self
                .score_contact(ws, p.contact, &p.signals, p.rescan)
                .await
            {
                tracing::warn!(contact.id = %p.contact, error = %e, "scoring failed");
            }
        }
        Ok(())
    }
}

/// A contact waiting to be scored, its jobs merged.
pub(super) struct Pending {
    pub contact: ContactId,
    pub signals: Vec<Signal>,
    pub rescan: bool,
}

/// For the ingest writer: jobs for the stored hits that belong to contacts.
pub(crate) fn jobs_for_hits(
    hits: &[closer_domain::traffic::Hit],
    identified: &[(usize, ContactId)],
) -> Vec<ScoreJob> {
    let mut by_contact: HashMap<(WorkspaceId, ContactId), Vec<Signal>> = HashMap::new();
    for (i, contact) in identified {
        let Some(hit) = hits.get(*i) else { continue };
        by_contact
            .entry((hit.workspace_id, *contact))
            .or_default()
            .push(Signal::from_hit(hit));
    }
    by_contact
        .into_iter()
        .map(|((workspace, contact), signals)| ScoreJob {
            workspace,
            contact,
            signals,
            rescan: false,
        })
        .collect()
}
