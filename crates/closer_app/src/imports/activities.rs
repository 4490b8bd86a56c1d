//! Importing activities (Pipedrive's activities export, closer's own): each row's person found
//! as deals find theirs (or made), its deal by closer's id or by title among the person's
//! deals. A done activity is logged at its time; one not done yet becomes a follow-up task
//! due when the file says, for its assignee. Ids derived from the rows make a second import
//! add nothing; what was logged is history and is not rewritten.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use closer_domain::access::{Action, Reach, reach};
use closer_domain::import::NamesPerson;
use closer_domain::import::activities::{ActivityColumns, ActivityRow};
use closer_domain::pipeline::{
    Activity, ActivityId, ActivityKind, Deal, DealId, Task, TaskId, TaskKind, TaskStatus,
};
use closer_domain::{ContactId, FieldError, Region, Timestamp, UserId, WorkspaceId};
use closer_store::{DealQuery, StoreError};

use super::contacts::Owners;
use super::table::{Chunks, Pass};
use super::{ImportOptions, ImportReport, ImportSummary, Imports, Rejected, Source};
use crate::{AppError, Principal};

/// Logging on anyone's contacts and handing tasks to anyone: a role that works every contact
/// and task (admins, managers).
pub(super) fn may_import_activities(principal: &Principal) -> Result<(), AppError> {
    super::may_import(principal)?;
    let everyone = |a| reach(principal.role, a) == Reach::Everyone;
    if everyone(Action::WorkContacts) && everyone(Action::WorkTasks) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "importing activities needs a role that may work every contact and task (admin, manager)"
                .into(),
        ))
    }
}

struct Planned {
    row: ActivityRow,
    contact: Option<ContactId>,
    owner: Option<UserId>,
    when: Timestamp,
}

impl Imports {
    /// Imports an activity file. A file with an invalid row imports nothing unless
    /// `continue_on_error`; a dry run counts what would be added and what is there already.
    #[allow(clippy::too_many_lines)]
    pub async fn activities(
        &self,
        principal: &Principal,
        source: Arc<dyn Source>,
        options: ImportOptions,
        report: &mut dyn ImportReport,
    ) -> Result<ImportSummary, AppError> {
        may_import_activities(principal)?;
        let ws = principal.workspace_id;
        let region = self.region(ws).await?;
        let owners = Owners::load(self, ws, true).await?;
        for &pass in Pass::for_options(&options) {
            let summary = self
                .activities_pass(
                    ws,
                    source.clone(),
                    &options,
                    (region, &owners),
                    pass,
                    report,
                )
                .await?;
            if let Some(done) = pass.finish(summary) {
                return Ok(done);
            }
        }
        unreachable!("the last pass finishes the import")
    }

    /// One reading of an activity file: every row resolved and counted, and in a writing
    /// pass its activity logged or its task added.
    async fn activities_pass(
        &self,
        ws: WorkspaceId,
        source: Arc<dyn Source>,
        options: &ImportOptions,
        (region, owners): (Option<Region>, &Owners),
        pass: Pass,
        report: &mut dyn ImportReport,
    ) -> Result<ImportSummary, AppError> {
        let mut file = Chunks::open(source).await?;
        if pass.reports_header() {
            report.header(&file.headers);
        }
        let columns = ActivityColumns::recognise(&file.header_refs(), &options.mapping)?;
        let actor = options.actor();
        let now = Timestamp::now();
        let mut summary = ImportSummary::default();
        let mut seen = HashSet::new();
        while let Some(chunk) = file.next().await? {
            let read = chunk.read_rows(&mut summary, report, |cells| columns.read(cells, region));
            let people = self.people(ws, read.iter().map(|(_, _, r)| r)).await?;
            // The activities logged on each contact and each contact's deals, read once a
            // chunk.
            let mut logged: HashMap<ContactId, HashSet<ActivityId>> = HashMap::new();
            let mut deals = HashMap::new();
            for (line, raw, mut row) in read {
                let mut problems = Vec::new();
                let contact = people.of_row(&row).unwrap_or_else(|e| {
                    problems.push(e);
                    None
                });
                let when = row.when().unwrap_or(now);
                if row.done && when > now {
                    problems.push(FieldError::new(
                        "occurred_at",
                        "is in the future: a done activity has happened",
                    ));
                }
                if !problems.is_empty() {
                    summary.rejected += 1;
                    report.rejected(&Rejected::of(line, raw, &problems));
                    continue;
                }
                let owner = row.owner.take().and_then(|o| owners.find(o, &mut summary));
                let p = Planned {
                    row,
                    contact,
                    owner,
                    when,
                };
                let key = p.row.key();
                if !seen.insert(key.clone()) {
                    summary.merged += 1;
                    continue;
                }
                let added = self
                    .add(ws, &p, &key, &actor, pass, now, (&mut logged, &mut deals))
                    .await?;
                if added {
                    summary.created += 1;
                } else {
                    summary.unchanged += 1;
                }
            }
            report.progress(&summary, chunk.bytes);
        }
        summary.written = !pass.dry() && summary.created > 0;
        Ok(summary)
    }

    /// Logs a row's activity or adds its task, unless it is there: whether it was (or in a
    /// dry pass would be) added.
    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    async fn add(
        &self,
        ws: WorkspaceId,
        p: &Planned,
        key: &str,
        actor: &str,
        pass: Pass,
        now: Timestamp,
        (logged, deals): (
            &mut HashMap<ContactId, HashSet<ActivityId>>,
            &mut HashMap<ContactId, Vec<Deal>>,
        ),
    ) -> Result<bool, AppError> {
        let contact = match p.contact {
            Some(c) => Some(c),
            None if pass.dry() => None,
            None => {
                let draft = p.row.person_draft();
                Some(self.make_person(ws, draft, actor, now).await?)
            }
        };
        if p.row.done {
            let id = ActivityId(super::derived_id(ws, "activity", key, Some(p.when)));
            let known = match contact {
                Some(c) => {
                    if let std::collections::hash_map::Entry::Vacant(slot) = logged.entry(c) {
                        let ids = self
                            .store
                            .activities(ws, c, u32::MAX)
                            .await?
                            .into_iter()
                            .map(|a| a.id)
                            .collect();
                        slot.insert(ids);
                    }
                    // closer's export read back where it came from names the activity itself.
                    let own = p.row.external_id.as_deref().and_then(|x| x.parse().ok());
                    logged[&c].contains(&id)
                        || own.is_some_and(|o| logged[&c].contains(&ActivityId(o)))
                }
                None => false,
            };
            return Ok(match (known, contact) {
                (true, _) => false,
                (false, Some(c)) if !pass.dry() => {
                    let activity = Activity {
                        id,
                        contact_id: c,
                        deal_id: self
                            .deal_of(
                                ws,
                                c,
                                (p.row.deal_id.as_deref(), p.row.deal_title.as_deref()),
                                deals,
                            )
                            .await?,
                        kind: p.row.kind.unwrap_or(ActivityKind::Note),
                        occurred_at: p.when,
                        owner_id: p.owner,
                        outcome: p.row.outcome.clone(),
                        text: p.row.text(),
                        created_at: p.row.created_at.unwrap_or(p.when),
                    };
                    match self.store.add_activity(ws, &activity, &[]).await {
                        Ok(()) => true,
                        Err(StoreError::Conflict { .. }) => false,
                        Err(e) => return Err(e.into()),
                    }
                }
                (false, _) => true,
            });
        }
        let id = TaskId(super::derived_id(ws, "task", key, Some(p.when)));
        match self.store.task(ws, id).await {
            Ok(_) => Ok(false),
            Err(StoreError::NotFound) => {
                let (false, Some(c)) = (pass.dry(), contact) else {
                    return Ok(true);
                };
                let task = Task {
                    id,
                    kind: TaskKind::FollowUp,
                    title: p
                        .row
                        .subject
                        .clone()
                        .unwrap_or_else(|| "Follow up".to_owned()),
                    text: p.row.note.clone(),
                    contact_id: Some(c),
                    deal_id: self
                        .deal_of(
                            ws,
                            c,
                            (p.row.deal_id.as_deref(), p.row.deal_title.as_deref()),
                            deals,
                        )
                        .await?,
                    assignee_id: p.owner,
                    due_at: p.when,
                    status: TaskStatus::Open,
                    done_at: None,
                    created_at: p.row.created_at.unwrap_or(now),
                };
                match self.store.add_task(ws, &task, &[]).await {
                    Ok(()) => Ok(true),
                    Err(StoreError::Conflict { .. }) => Ok(false),
                    Err(e) => Err(e.into()),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The deal a row names: closer's id of one of the contact's deals, or the title of one.
    /// Each contact's deals are read once (`deals`).
    pub(super) async fn deal_of(
        &self,
        ws: WorkspaceId,
        contact: ContactId,
        (deal_id, deal_title): (Option<&str>, Option<&str>),
        deals: &mut HashMap<ContactId, Vec<Deal>>,
    ) -> Result<Option<DealId>, AppError> {
        if deal_id.is_none() && deal_title.is_none() {
            return Ok(None);
        }
        if let std::collections::hash_map::Entry::Vacant(slot) = deals.entry(contact) {
            let query = DealQuery {
                contact: Some(contact),
                limit: 200,
                ..DealQuery::default()
            };
            slot.insert(self.store.list_deals(ws, &query).await?);
        }
        let deals = &deals[&contact];
        Ok(deals
            .iter()
            .find(|d| deal_id == Some(d.id.0.to_string().as_str()))
            .or_else(|| {
                deal_title.and_then(|t| deals.iter().find(|d| d.title.eq_ignore_ascii_case(t)))
            })
            .map(|d| d.id))
    }
}
