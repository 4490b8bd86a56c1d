//! Importing tasks (closer's tasks export, plain to-do lists): each row's person found as
//! activities find theirs, or made (a task may name no one); its deal by closer's id or by
//! title among the person's deals; its assignee among the users. A task is found again by
//! its closer id in this workspace or the id derived from its row, so a second import adds
//! nothing; a row whose status, due time or assignee changed updates its task.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use closer_domain::import::NamesPerson;
use closer_domain::import::tasks::{TaskColumns, TaskRow};
use closer_domain::pipeline::{Task, TaskId, TaskStatus};
use closer_domain::{ContactId, Region, Timestamp, UserId, WorkspaceId};
use closer_store::{StoreError, TaskPatch};

use super::activities::may_import_activities;
use super::contacts::Owners;
use super::table::{Chunks, Pass};
use super::{ImportOptions, ImportReport, ImportSummary, Imports, Rejected, Source};
use crate::{AppError, Principal};

/// A row resolved against the workspace.
struct Planned {
    row: TaskRow,
    contact: Option<ContactId>,
    assignee: Option<UserId>,
}

/// What a row changes on its stored task: title, text, status, due time, and the assignee
/// when the file names one.
fn patch_for(stored: &Task, p: &Planned) -> TaskPatch {
    TaskPatch {
        title: (stored.title != p.row.title).then(|| p.row.title.clone()),
        text: (stored.text != p.row.text).then(|| p.row.text.clone()),
        status: (stored.status != p.row.status).then_some(p.row.status),
        due_at: (stored.due_at != p.row.due_at).then_some(p.row.due_at),
        assignee_id: p
            .assignee
            .filter(|a| stored.assignee_id != Some(*a))
            .map(Some),
    }
}

impl Imports {
    /// Imports a task file. Handing tasks to anyone is for the roles that may work every
    /// contact and task, as importing activities is.
    pub async fn tasks(
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
                .tasks_pass(
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

    async fn tasks_pass(
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
        let columns = TaskColumns::recognise(&file.header_refs(), &options.mapping)?;
        let actor = options.actor();
        let now = Timestamp::now();
        let mut summary = ImportSummary::default();
        let mut seen = HashSet::new();
        while let Some(chunk) = file.next().await? {
            let read = chunk.read_rows(&mut summary, report, |cells| columns.read(cells, region));
            let people = self.people(ws, read.iter().map(|(_, _, r)| r)).await?;
            let mut deals = HashMap::new();
            for (line, raw, mut row) in read {
                let contact = if row.names_person() {
                    match people.of_row(&row) {
                        Ok(c) => c,
                        Err(e) => {
                            summary.rejected += 1;
                            report.rejected(&Rejected::of(line, raw, &[e]));
                            continue;
                        }
                    }
                } else {
                    None
                };
                let assignee = row
                    .assignee
                    .take()
                    .and_then(|a| owners.find(a, &mut summary));
                let p = Planned {
                    row,
                    contact,
                    assignee,
                };
                let id = self.task_id(ws, &p.row).await?;
                if !seen.insert(id) {
                    summary.merged += 1;
                    continue;
                }
                match self.store.task(ws, id).await {
                    Ok(stored) => {
                        let patch = patch_for(&stored, &p);
                        if patch == TaskPatch::default() {
                            summary.unchanged += 1;
                        } else {
                            summary.updated += 1;
                            if !pass.dry() {
                                self.store.patch_task(ws, id, &patch, now).await?;
                            }
                        }
                    }
                    Err(StoreError::NotFound) => {
                        summary.created += 1;
                        if !pass.dry() {
                            self.add_imported_task(ws, id, &p, &actor, now, &mut deals)
                                .await?;
                        }
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            report.progress(&summary, chunk.bytes);
        }
        summary.written = !pass.dry() && summary.created + summary.updated > 0;
        Ok(summary)
    }

    /// The task a row is: the one its id names when that is a task of this workspace (closer's
    /// export read back where it came from), else the id derived from the row.
    async fn task_id(&self, ws: WorkspaceId, row: &TaskRow) -> Result<TaskId, AppError> {
        if let Some(id) = row
            .external_id
            .as_deref()
            .and_then(|x| x.parse::<uuid::Uuid>().ok())
            .map(TaskId)
        {
            match self.store.task(ws, id).await {
                Ok(_) => return Ok(id),
                Err(StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(TaskId(super::derived_id(
            ws,
            "task-file",
            &row.key(),
            Some(row.created_at.unwrap_or(row.due_at)),
        )))
    }

    async fn add_imported_task(
        &self,
        ws: WorkspaceId,
        id: TaskId,
        p: &Planned,
        actor: &str,
        now: Timestamp,
        deals: &mut HashMap<ContactId, Vec<closer_domain::pipeline::Deal>>,
    ) -> Result<(), AppError> {
        let row = &p.row;
        let contact = match p.contact {
            Some(c) => Some(c),
            None if row.names_person() => {
                let draft = row.person_draft();
                Some(self.make_person(ws, draft, actor, now).await?)
            }
            None => None,
        };
        let deal_id = match contact {
            Some(c) => {
                self.deal_of(
                    ws,
                    c,
                    (row.deal_id.as_deref(), row.deal_title.as_deref()),
                    deals,
                )
                .await?
            }
            None => None,
        };
        let created_at = row.created_at.unwrap_or(now);
        let task = Task {
            id,
            kind: row.kind,
            title: row.title.clone(),
            text: row.text.clone(),
            contact_id: contact,
            deal_id,
            assignee_id: p.assignee,
            due_at: row.due_at,
            status: row.status,
            done_at: match row.status {
                TaskStatus::Done => Some(row.done_at.unwrap_or(now)),
                TaskStatus::Open | TaskStatus::Cancelled => None,
            },
            created_at,
        };
        match self.store.add_task(ws, &task, &[]).await {
            // Imported meanwhile (the same file twice at once): the task is there.
            Ok(()) | Err(StoreError::Conflict { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
