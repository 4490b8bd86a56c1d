//! Importing contacts: the batch loop. Each batch's owners are matched with the workspace's
//! users, its people looked up and planned, written in one transaction (read and planned
//! again if someone changed them meanwhile), and scored while the next batch is read.

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;
use std::sync::Arc;

use closer_domain::access::{Action, Reach, reach};
use closer_domain::contact::upsert::IdentityKind;
use closer_domain::import::ContactRow;
use closer_domain::import::plan::{ContactPlan, ImportRow, Known, RowOutcome, plan_contacts};
use closer_domain::{ContactId, FieldError, Timestamp, UserId, WorkspaceId};
use closer_store::BatchKeys;
use tokio::sync::mpsc;

use super::read::{Batch, Sent, read_contacts};
use super::writing::Writing;
use super::{ImportOptions, ImportReport, ImportSummary, Imports, Source};
use crate::{AppError, Principal};

/// Most distinct unmatched owners listed in a summary.
const MOST_OWNERS_LISTED: usize = 50;

impl Imports {
    /// Imports a contact file (HubSpot's, Pipedrive's or closer's columns). Everyone who may
    /// edit every contact may import; the file's owners are set only by those who may assign.
    pub async fn contacts(
        &self,
        principal: &Principal,
        source: Arc<dyn Source>,
        options: ImportOptions,
        report: &mut dyn ImportReport,
    ) -> Result<ImportSummary, AppError> {
        super::may_import(principal)?;
        let ws = principal.workspace_id;
        let owners = Owners::load(
            self,
            ws,
            reach(principal.role, Action::AssignContacts) == Reach::Everyone,
        )
        .await?;
        let actor = options.actor();
        let mut run = Run {
            imports: self,
            ws,
            actor,
            owners,
            options: &options,
            report,
            header_reported: false,
        };
        if !options.dry_run && !options.continue_on_error {
            let checked = run.pass(source.clone(), Mode::Check).await?;
            if checked.rejected > 0 {
                return Ok(checked);
            }
        }
        let mode = if options.dry_run {
            Mode::DryRun
        } else {
            Mode::Write
        };
        run.pass(source, mode).await
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Read every row; look nothing up.
    Check,
    /// Look up and plan; write nothing.
    DryRun,
    Write,
}

struct Run<'a> {
    imports: &'a Imports,
    ws: WorkspaceId,
    actor: String,
    owners: Owners,
    options: &'a ImportOptions,
    report: &'a mut dyn ImportReport,
    header_reported: bool,
}

impl Run<'_> {
    async fn pass(
        &mut self,
        source: Arc<dyn Source>,
        mode: Mode,
    ) -> Result<ImportSummary, AppError> {
        let region = self.imports.region(self.ws).await?;
        let (tx, mut rx) = mpsc::channel::<Sent>(2);
        let mapping = self.options.mapping.clone();
        let defs = self
            .imports
            .store
            .property_defs(self.ws, Some(closer_domain::property::PropertyOf::Contacts))
            .await?;
        let reader = tokio::task::spawn_blocking(move || match source.open() {
            Ok(input) => read_contacts(input, &mapping, region, &defs, &tx),
            Err(e) => {
                let _ = tx.blocking_send(Sent::Failed(FieldError::new(
                    "file",
                    format!("cannot be read: {e}"),
                )));
            }
        });
        let mut summary = ImportSummary::default();
        let mut touched: HashSet<ContactId> = HashSet::new();
        let mut would_make = WouldMake::default();
        let mut writing = Writing::new(
            self.imports.store.clone(),
            self.imports.scoring.clone(),
            self.ws,
            self.actor.clone(),
        );
        let result = async {
            while let Some(sent) = rx.recv().await {
                let batch = match sent {
                    Sent::Header(headers) => {
                        if !self.header_reported {
                            self.report.header(&headers);
                            self.header_reported = true;
                        }
                        continue;
                    }
                    Sent::Failed(e) => return Err(AppError::Invalid(vec![e])),
                    Sent::Batch(batch) => batch,
                };
                let bytes = batch.bytes;
                let rows = self.take(batch, mode, &mut summary);
                if !rows.is_empty() {
                    match mode {
                        Mode::Check => {}
                        Mode::DryRun => {
                            let plan = self.plan_dry(rows, &touched, &mut would_make).await?;
                            tally(&mut summary, &plan.outcomes);
                            touched.extend(plan.outcomes.iter().map(|o| o.contact()));
                        }
                        // The batch before is written by now: its rows are counted.
                        Mode::Write => {
                            if let Some((outcomes, wrote)) = writing.push(rows).await? {
                                tally(&mut summary, &outcomes);
                                summary.written |= wrote;
                            }
                        }
                    }
                }
                self.report.progress(&summary, bytes);
            }
            if let Some((outcomes, wrote)) = writing.finish().await? {
                tally(&mut summary, &outcomes);
                summary.written |= wrote;
            }
            Ok(())
        }
        .await;
        drop(rx);
        let _ = reader.await;
        // A failure leaves the batch in flight and the scoring to finish on their own.
        result.map(|()| summary)
    }

    /// Counts and reports the batch's rows; the valid ones, owners matched.
    fn take(&mut self, batch: Batch, mode: Mode, summary: &mut ImportSummary) -> Vec<ImportRow> {
        summary.rows += (batch.rows.len() + batch.rejected.len()) as u64;
        summary.rejected += batch.rejected.len() as u64;
        // The check pass reported them; the write pass of a checked file finds none.
        for r in &batch.rejected {
            self.report.rejected(r);
        }
        if mode == Mode::Check {
            return Vec::new();
        }
        batch
            .rows
            .into_iter()
            .map(|(line, row)| self.owners.row(line, row, summary))
            .collect()
    }

    /// Plans as the write pass would, without writing: the people earlier batches would have made
    /// are remembered (`WouldMake`), so their later rows count as merged, not created.
    async fn plan_dry(
        &self,
        rows: Vec<ImportRow>,
        touched: &HashSet<ContactId>,
        would_make: &mut WouldMake,
    ) -> Result<ContactPlan, AppError> {
        let keys = keys_of(&rows);
        let mut known = self.imports.store.import_known(self.ws, &keys).await?;
        would_make.add_to(&keys, &mut known);
        let plan = plan_contacts(self.ws, &self.actor, rows, known, touched, Timestamp::now());
        would_make.remember(&plan);
        Ok(plan)
    }
}

fn tally(summary: &mut ImportSummary, outcomes: &[RowOutcome]) {
    for o in outcomes {
        match o {
            RowOutcome::Created(_) => summary.created += 1,
            RowOutcome::Updated(_) => summary.updated += 1,
            RowOutcome::Unchanged(_) => summary.unchanged += 1,
            RowOutcome::Merged(_) => summary.merged += 1,
        }
    }
}

/// The external ids, emails and phones a batch names, each once.
pub(super) fn keys_of(rows: &[ImportRow]) -> BatchKeys {
    let mut keys = BatchKeys::default();
    for r in rows {
        keys.external_ids.extend(r.external_id.iter().cloned());
        keys.emails
            .extend(r.draft.emails.iter().map(|e| e.as_str().to_owned()));
        keys.phones
            .extend(r.draft.phones.iter().map(|p| p.as_str().to_owned()));
    }
    keys.domains = keys
        .emails
        .iter()
        .filter_map(|e| e.split_once('@').map(|(_, d)| d.to_owned()))
        .collect();
    for list in [
        &mut keys.external_ids,
        &mut keys.emails,
        &mut keys.phones,
        &mut keys.domains,
    ] {
        list.sort_unstable();
        list.dedup();
    }
    keys
}

/// The workspace's users by lower-case email and name, to match a file's owner column.
pub(super) struct Owners {
    by_key: HashMap<String, UserId>,
    may_assign: bool,
}

impl Owners {
    pub(super) async fn load(
        imports: &Imports,
        ws: WorkspaceId,
        may_assign: bool,
    ) -> Result<Self, AppError> {
        let mut by_key = HashMap::new();
        for u in imports.store.list_users(ws).await? {
            by_key.insert(u.email.as_str().to_lowercase(), u.id);
            // closer's own export names owners by id.
            by_key.insert(u.id.0.to_string(), u.id);
            by_key.entry(u.name.trim().to_lowercase()).or_insert(u.id);
        }
        Ok(Self { by_key, may_assign })
    }

    /// The user a file's owner cell names, if the importer may assign them; otherwise the
    /// owner is counted among those not set.
    pub(super) fn find(&self, owner: String, summary: &mut ImportSummary) -> Option<UserId> {
        match self.by_key.get(&owner.trim().to_lowercase()) {
            Some(id) if self.may_assign => Some(*id),
            _ => {
                let listed = summary.owners_not_set.len() < MOST_OWNERS_LISTED;
                if let Some(n) = summary.owners_not_set.get_mut(&owner) {
                    *n += 1;
                } else if listed {
                    summary.owners_not_set.insert(owner, 1);
                }
                None
            }
        }
    }

    fn row(&self, line: u64, row: ContactRow, summary: &mut ImportSummary) -> ImportRow {
        let mut draft = row.draft;
        if let Some(owner) = row.owner {
            draft.owner_id = self.find(owner, summary);
        }
        ImportRow {
            line,
            external_id: row.external_id,
            draft,
            created_at: row.created_at,
        }
    }
}

/// A dry run's memory of the people it would have made: each of their keys (hashed, so a
/// million rows cost tens of megabytes) → the id planned for them.
#[derive(Default)]
struct WouldMake {
    ids: HashMap<u64, ContactId>,
    hasher: foldhash::fast::FixedState,
}

impl WouldMake {
    fn hash(&self, tag: u8, value: &str) -> u64 {
        self.hasher.hash_one((tag, value))
    }

    /// Keys of the batch not stored but made by an earlier batch name that contact.
    fn add_to(&self, keys: &BatchKeys, known: &mut Known) {
        for x in &keys.external_ids {
            if let Some(id) = self.ids.get(&self.hash(0, x)) {
                known.external.entry(x.clone()).or_insert(*id);
            }
        }
        for (tag, kind, values) in [
            (1, IdentityKind::Email, &keys.emails),
            (2, IdentityKind::Phone, &keys.phones),
        ] {
            for v in values {
                if let Some(id) = self.ids.get(&self.hash(tag, v)) {
                    known.identities.entry((kind, v.clone())).or_insert(*id);
                }
            }
        }
    }

    fn remember(&mut self, plan: &ContactPlan) {
        for (x, id) in &plan.writes.external_ids {
            self.ids.insert(self.hash(0, x), *id);
        }
        for (id, kind, value) in &plan.writes.identities {
            let tag = match kind {
                IdentityKind::Email => 1,
                IdentityKind::Phone => 2,
            };
            self.ids.insert(self.hash(tag, value), *id);
        }
    }
}
