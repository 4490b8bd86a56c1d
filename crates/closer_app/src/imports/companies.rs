//! Importing companies (HubSpot's companies export, Pipedrive's organizations, closer's own):
//! the file read and every row checked first; each company found again by the id derived
//! from its record (its id in the source tool, else its first domain, else its name), else by
//! one of its domains, and updated with what the file says — or made, linking the people its
//! domains name.

use std::collections::HashSet;
use std::sync::Arc;

use closer_domain::access::{Action, Reach, reach};
use closer_domain::company::{Company, CompanyPatch, Domain};
use closer_domain::import::Mapping;
use closer_domain::import::companies::{CompanyColumns, CompanyRow};
use closer_domain::{CompanyId, Timestamp, WorkspaceId};
use closer_store::StoreError;

use super::contacts::Owners;
use super::table::{Chunks, Pass};
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
        let owners = Owners::load(
            self,
            principal.workspace_id,
            reach(principal.role, Action::AssignContacts) == Reach::Everyone,
        )
        .await?;
        for &pass in Pass::for_options(&options) {
            let summary = self
                .companies_pass(
                    principal,
                    source.clone(),
                    &options.mapping,
                    &owners,
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

    /// One reading of a company file: every row checked and counted, and in a writing pass
    /// its company made or changed.
    #[allow(clippy::too_many_arguments)]
    async fn companies_pass(
        &self,
        principal: &Principal,
        source: Arc<dyn Source>,
        mapping: &Mapping,
        owners: &Owners,
        pass: Pass,
        report: &mut dyn ImportReport,
    ) -> Result<ImportSummary, AppError> {
        let ws = principal.workspace_id;
        let mut file = Chunks::open(source).await?;
        if pass.reports_header() {
            report.header(&file.headers);
        }
        let columns = CompanyColumns::recognise(&file.header_refs(), mapping)?;
        // Defined company properties are checked per row: a wrong value sets its row aside.
        let defs = self
            .store
            .property_defs(ws, Some(closer_domain::property::PropertyOf::Companies))
            .await?;
        let read = |cells: &[&str]| {
            columns.read(cells).and_then(|mut row| {
                if !defs.is_empty() && !row.draft.properties.is_empty() {
                    let mut props = closer_domain::property::typed(&defs, &row.draft.properties)?;
                    props.retain(|_, v| !v.is_null());
                    row.draft.properties = props;
                }
                Ok(row)
            })
        };
        let mut summary = ImportSummary::default();
        let now = Timestamp::now();
        let mut seen: HashSet<String> = HashSet::new();
        while let Some(chunk) = file.next().await? {
            let rows = chunk.read_rows(&mut summary, report, read);
            for (_, _, mut row) in rows {
                if let Some(owner) = row.owner.take() {
                    row.draft.owner_id = owners.find(owner, &mut summary);
                }
                let key = row.key();
                if !seen.insert(key.clone()) {
                    // A later row for a company an earlier row made or changed: the first wins.
                    summary.merged += 1;
                    continue;
                }
                // closer's export read back where it came from: its id names the company.
                let own = row
                    .external_id
                    .as_deref()
                    .and_then(|x| x.parse().ok())
                    .map(CompanyId);
                let id = match own {
                    Some(own) => match self.store.company(ws, own).await {
                        Ok(_) => own,
                        Err(StoreError::NotFound) => company_id(ws, &key, row.created_at),
                        Err(e) => return Err(e.into()),
                    },
                    None => company_id(ws, &key, row.created_at),
                };
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
                        if !pass.dry() {
                            self.companies
                                .create_as(principal, id, row.draft, row.created_at.unwrap_or(now))
                                .await?;
                        }
                    }
                    Some(stored) => {
                        let patch = patch_for(&stored, &row);
                        if stored.clone().apply(&patch, now) {
                            summary.updated += 1;
                            if !pass.dry() {
                                self.companies.patch(principal, stored.id, &patch).await?;
                            }
                        } else {
                            summary.unchanged += 1;
                        }
                    }
                }
            }
            report.progress(&summary, chunk.bytes);
        }
        summary.written = !pass.dry() && summary.created + summary.updated > 0;
        Ok(summary)
    }
}
