//! Importing companies (HubSpot's companies export, Pipedrive's organizations, closer's own):
//! the file read and every row checked first; each company found again by the id derived
//! from its record (its id in the source tool, else its first domain, else its name), else by
//! one of its domains, and updated with what the file says — or made, linking the people its
//! domains name.

use std::collections::HashSet;
use std::sync::Arc;

use closer_domain::access::{Action, Reach, reach};
use closer_domain::company::{Company, CompanyPatch, Domain};
use closer_domain::import::companies::{CompanyColumns, CompanyRow};
use closer_domain::{CompanyId, Timestamp, WorkspaceId};
use closer_store::StoreError;

use super::contacts::Owners;
use super::table::read_whole;
use super::{ImportOptions, ImportReport, ImportSummary, Imports, Source};
use crate::{AppError, Principal};

/// The id an imported company gets: from the workspace and the record's key, time-ordered by
/// its creation in the file (the epoch without one), so the same record always gets it.
pub fn company_id(ws: WorkspaceId, key: &str, created_at: Option<Timestamp>) -> CompanyId {
    CompanyId(super::derived_id(ws, "company", key, created_at))
}

/// What the file's row changes on a stored company: every field the file has, domains added
/// to the company's, properties merged.
fn patch_for(stored: &Company, row: &CompanyRow) -> CompanyPatch {
    let d = &row.draft;
    let mut domains: Vec<Domain> = stored.domains.clone();
    for x in &d.domains {
        if !domains.contains(x) {
            domains.push(x.clone());
        }
    }
    CompanyPatch {
        name: Some(d.name.clone()),
        domains: (domains != stored.domains).then_some(domains),
        employees: d.employees.map(Some),
        industry: d.industry.clone().map(Some),
        country: d.country.clone().map(Some),
        owner_id: d.owner_id.map(Some),
        properties: (!d.properties.is_empty()).then(|| d.properties.clone()),
    }
}

impl Imports {
    /// Imports a company file. A file with an invalid row imports nothing unless
    /// `continue_on_error`; a dry run counts what would be made, changed and left alone.
    pub async fn companies(
        &self,
        principal: &Principal,
        source: Arc<dyn Source>,
        options: ImportOptions,
        report: &mut dyn ImportReport,
    ) -> Result<ImportSummary, AppError> {
        super::may_import(principal)?;
        let ws = principal.workspace_id;
        let table = read_whole(source).await?;
        report.header(&table.headers);
        let refs: Vec<&str> = table.headers.iter().map(String::as_str).collect();
        let columns = CompanyColumns::recognise(&refs)?;
        let owners = Owners::load(
            self,
            ws,
            reach(principal.role, Action::AssignContacts) == Reach::Everyone,
        )
        .await?;
        let mut summary = ImportSummary {
            rows: table.rows.len() as u64,
            ..ImportSummary::default()
        };
        let mut valid = Vec::new();
        for (_, _, mut row) in table.read_rows(&mut summary, report, |cells| columns.read(cells)) {
            if let Some(owner) = row.owner.take() {
                row.draft.owner_id = owners.find(owner, &mut summary);
            }
            valid.push(row);
        }
        if summary.rejected > 0 && !options.continue_on_error && !options.dry_run {
            report.progress(&summary, table.bytes);
            return Ok(summary);
        }
        let now = Timestamp::now();
        let mut seen: HashSet<String> = HashSet::new();
        for (i, row) in valid.into_iter().enumerate() {
            let key = row.key();
            if !seen.insert(key.clone()) {
                // A later row for a company an earlier row made or changed: the first wins.
                summary.merged += 1;
                continue;
            }
            let id = company_id(ws, &key, row.created_at);
            let stored = match self.store.company(ws, id).await {
                Ok(c) => Some(c),
                Err(StoreError::NotFound) => match self
                    .store
                    .company_by_domains(ws, &row.draft.domains)
                    .await?
                {
                    Some(other) => Some(self.store.company(ws, other).await?),
                    None => None,
                },
                Err(e) => return Err(e.into()),
            };
            match stored {
                None => {
                    summary.created += 1;
                    if !options.dry_run {
                        self.companies
                            .create_as(principal, id, row.draft, row.created_at.unwrap_or(now))
                            .await?;
                    }
                }
                Some(stored) => {
                    let patch = patch_for(&stored, &row);
                    if stored.clone().apply(&patch, now) {
                        summary.updated += 1;
                        if !options.dry_run {
                            self.companies.patch(principal, stored.id, &patch).await?;
                        }
                    } else {
                        summary.unchanged += 1;
                    }
                }
            }
            if (i + 1) % 500 == 0 {
                report.progress(&summary, table.bytes * (i as u64 + 1) / summary.rows.max(1));
            }
        }
        summary.written = !options.dry_run && summary.created + summary.updated > 0;
        report.progress(&summary, table.bytes);
        Ok(summary)
    }
}
