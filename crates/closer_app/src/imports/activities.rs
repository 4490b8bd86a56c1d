//! Importing activities (Pipedrive's activities export, closer's own): each row's person found
//! as deals find theirs (or made), its deal by closer's id or by title among the person's
//! deals. A done activity is logged at its time; one not done yet becomes a follow-up task
//! due when the file says, for its assignee. Ids derived from the rows make a second import
//! add nothing; what was logged is history and is not rewritten.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use closer_domain::access::{Action, Reach, reach};
use closer_domain::import::activities::{ActivityColumns, ActivityRow};
use closer_domain::pipeline::{
    Activity, ActivityId, ActivityKind, Deal, DealId, Task, TaskId, TaskKind, TaskStatus,
};
use closer_domain::{ContactDraft, ContactId, FieldError, Timestamp, UserId, WorkspaceId};
use closer_store::{DealQuery, StoreError};

use super::contacts::Owners;
use super::table::read_whole;
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
        let table = read_whole(source).await?;
        report.header(&table.headers);
        let refs: Vec<&str> = table.headers.iter().map(String::as_str).collect();
        let columns = ActivityColumns::recognise(&refs)?;
        let region = self.region(ws).await?;
        let owners = Owners::load(self, ws, true).await?;
        let mut summary = ImportSummary {
            rows: table.rows.len() as u64,
            ..ImportSummary::default()
        };
        let now = Timestamp::now();
        let read = table.read_rows(&mut summary, report, |cells| columns.read(cells, region));
        let people = self
            .people(
                ws,
                read.iter()
                    .map(|(_, _, r)| (r.contact_id.as_deref(), r.email.as_ref(), r.phone.as_ref())),
            )
            .await?;
        let mut planned = Vec::new();
        for (line, raw, mut row) in read {
            let mut problems = Vec::new();
            let contact = people
                .of_row(
                    row.contact_id.as_deref(),
                    row.email.as_ref(),
                    row.phone.as_ref(),
                )
                .unwrap_or_else(|e| {
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
            planned.push(Planned {
                row,
                contact,
                owner,
                when,
            });
        }
        if summary.rejected > 0 && !options.continue_on_error && !options.dry_run {
            report.progress(&summary, table.bytes);
            return Ok(summary);
        }
        let actor = match &options.source_name {
            Some(name) => format!("import:{name}"),
            None => "import".to_owned(),
        };
        // The activities already logged on each contact, read once each.
        let mut logged: HashMap<ContactId, HashSet<ActivityId>> = HashMap::new();
        let mut deals = HashMap::new();
        let mut seen = HashSet::new();
        let total = planned.len().max(1) as u64;
        for (i, p) in planned.into_iter().enumerate() {
            let key = p.row.key();
            if !seen.insert(key.clone()) {
                summary.merged += 1;
                continue;
            }
            let contact = match p.contact {
                Some(c) => Some(c),
                None if options.dry_run => None,
                None => {
                    let draft = ContactDraft {
                        name: p.row.person_name.clone(),
                        emails: p.row.email.clone().into_iter().collect(),
                        phones: p.row.phone.clone().into_iter().collect(),
                        ..ContactDraft::default()
                    };
                    Some(self.make_person(ws, draft, &actor, now).await?)
                }
            };
            let added = if p.row.done {
                let id = ActivityId(super::derived_id(ws, "activity", &key, Some(p.when)));
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
                        logged[&c].contains(&id)
                    }
                    None => false,
                };
                match (known, contact) {
                    (true, _) => false,
                    (false, Some(c)) if !options.dry_run => {
                        let activity = Activity {
                            id,
                            contact_id: c,
                            deal_id: self.deal_of(ws, c, &p.row, &mut deals).await?,
                            kind: p.row.kind.unwrap_or(ActivityKind::Note),
                            occurred_at: p.when,
                            owner_id: p.owner,
                            outcome: p.row.outcome.clone(),
                            text: p.row.text(),
                            created_at: p.row.created_at.unwrap_or(p.when),
                        };
                        match self.store.add_activity(ws, &activity).await {
                            Ok(()) => true,
                            Err(StoreError::Conflict { .. }) => false,
                            Err(e) => return Err(e.into()),
                        }
                    }
                    (false, _) => true,
                }
            } else {
                let id = TaskId(super::derived_id(ws, "task", &key, Some(p.when)));
                match self.store.task(ws, id).await {
                    Ok(_) => false,
                    Err(StoreError::NotFound) => {
                        if let (false, Some(c)) = (options.dry_run, contact) {
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
                                deal_id: self.deal_of(ws, c, &p.row, &mut deals).await?,
                                assignee_id: p.owner,
                                due_at: p.when,
                                status: TaskStatus::Open,
                                done_at: None,
                                created_at: p.row.created_at.unwrap_or(now),
                            };
                            match self.store.add_task(ws, &task).await {
                                Ok(()) => true,
                                Err(StoreError::Conflict { .. }) => false,
                                Err(e) => return Err(e.into()),
                            }
                        } else {
                            true
                        }
                    }
                    Err(e) => return Err(e.into()),
                }
            };
            if added {
                summary.created += 1;
            } else {
                summary.unchanged += 1;
            }
            if (i + 1) % 500 == 0 {
                report.progress(&summary, table.bytes * (i as u64 + 1) / total);
            }
        }
        summary.written = !options.dry_run && summary.created > 0;
        report.progress(&summary, table.bytes);
        Ok(summary)
    }

    /// The deal a row names: closer's id of one of the contact's deals, or the title of one.
    /// Each contact's deals are read once (`deals`).
    async fn deal_of(
        &self,
        ws: WorkspaceId,
        contact: ContactId,
        row: &ActivityRow,
        deals: &mut HashMap<ContactId, Vec<Deal>>,
    ) -> Result<Option<DealId>, AppError> {
        if row.deal_id.is_none() && row.deal_title.is_none() {
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
            .find(|d| row.deal_id.as_deref() == Some(d.id.0.to_string().as_str()))
            .or_else(|| {
                row.deal_title
                    .as_deref()
                    .and_then(|t| deals.iter().find(|d| d.title.eq_ignore_ascii_case(t)))
            })
            .map(|d| d.id))
    }
}
