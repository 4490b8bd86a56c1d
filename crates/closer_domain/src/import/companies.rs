//! Reading company files: HubSpot's companies export, Pipedrive's organizations export and
//! closer's own — which column is which field (case and spacing aside), unknown columns kept
//! as custom properties, and one row read into a company draft with every problem named by
//! its column.

use serde_json::{Map, Value};

use super::{Fields, Mapping, created_at, lookup, property_name, recognise_fields};
use crate::company::{
    CompanyDraft, Domain, company_name, domains as parse_domains, employees, optional_text,
};
use crate::{FieldError, Timestamp};

/// What one column of a company file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompanyField {
    /// The record's id in the tool it comes from (HubSpot `Record ID`, Pipedrive
    /// `Organization - ID`, closer's `id`): importing the same file twice changes nothing.
    ExternalId,
    Name,
    /// One or more domains (`;` or `,` between them).
    Domains,
    /// A web address: its domain.
    Website,
    Employees,
    Industry,
    Country,
    /// The owner's email or name (or closer's user id).
    Owner,
    CreatedAt,
    /// A JSON object of custom properties (closer's export).
    Properties,
    Property(String),
    Skip,
}

const KNOWN: &[(&str, CompanyField)] = &[
    ("import error", CompanyField::Skip),
    ("record id", CompanyField::ExternalId),
    ("id", CompanyField::ExternalId),
    ("organization - id", CompanyField::ExternalId),
    ("external id", CompanyField::ExternalId),
    ("company name", CompanyField::Name),
    ("name", CompanyField::Name),
    ("organization - name", CompanyField::Name),
    ("organization", CompanyField::Name),
    ("company domain name", CompanyField::Domains),
    ("domain", CompanyField::Domains),
    ("domains", CompanyField::Domains),
    ("website url", CompanyField::Website),
    ("website", CompanyField::Website),
    ("organization - website", CompanyField::Website),
    ("number of employees", CompanyField::Employees),
    ("employees", CompanyField::Employees),
    (
        "organization - number of employees",
        CompanyField::Employees,
    ),
    ("industry", CompanyField::Industry),
    ("organization - industry", CompanyField::Industry),
    ("country/region", CompanyField::Country),
    ("country", CompanyField::Country),
    ("organization - country", CompanyField::Country),
    ("company owner", CompanyField::Owner),
    ("owner", CompanyField::Owner),
    ("owner_id", CompanyField::Owner),
    ("organization - owner", CompanyField::Owner),
    ("create date", CompanyField::CreatedAt),
    ("created_at", CompanyField::CreatedAt),
    ("created at", CompanyField::CreatedAt),
    (
        "organization - organization created",
        CompanyField::CreatedAt,
    ),
    ("properties", CompanyField::Properties),
    // Times of change are the importing workspace's own.
    ("updated_at", CompanyField::Skip),
    ("last modified date", CompanyField::Skip),
    ("organization - update time", CompanyField::Skip),
];

const FIELDS: Fields<CompanyField> = Fields {
    kind: "company",
    id: CompanyField::ExternalId,
    skip: CompanyField::Skip,
    builtin: |key| lookup(KNOWN, key),
    extra: |raw| match property_name(raw) {
        p if p.is_empty() => CompanyField::Skip,
        p => CompanyField::Property(p),
    },
    property: Some(CompanyField::Property),
    names: "name, domains, website, employees, industry, country, owner, created_at, properties, property:NAME, external_id, skip",
};

/// Which field each column of a company file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyColumns {
    pub fields: Vec<CompanyField>,
    pub headers: Vec<String>,
}

/// One row read into a company.
#[derive(Debug, Clone, PartialEq)]
pub struct CompanyRow {
    pub external_id: Option<String>,
    pub draft: CompanyDraft,
    pub owner: Option<String>,
    pub created_at: Option<Timestamp>,
}

impl CompanyRow {
    /// What finds the company again when the file is imported twice: its id in the source
    /// tool, else its first domain, else its name (lower case).
    pub fn key(&self) -> String {
        match (&self.external_id, self.draft.domains.first()) {
            (Some(x), _) => format!("id:{x}"),
            (None, Some(d)) => format!("domain:{d}"),
            (None, None) => format!("name:{}", self.draft.name.to_lowercase()),
        }
    }
}

impl CompanyColumns {
    /// Recognises a header row: the first id column is the id, unknown columns are kept as
    /// properties. A file without a name column is refused.
    pub fn recognise(headers: &[&str], mapping: &Mapping) -> Result<Self, FieldError> {
        let fields = recognise_fields(headers, &FIELDS, mapping)?;
        if !fields.contains(&CompanyField::Name) {
            return Err(FieldError::new(
                "header",
                "no column holds the company's name (Company name, Organization - Name, name)",
            ));
        }
        Ok(Self {
            fields,
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
        })
    }

    /// Reads one row; every problem is returned, each named by its column's header.
    pub fn read(&self, cells: &[&str]) -> Result<CompanyRow, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut name = None;
        let mut domains: Vec<Domain> = Vec::new();
        let mut row = CompanyRow {
            external_id: None,
            draft: CompanyDraft::default(),
            owner: None,
            created_at: None,
        };
        let mut properties = Map::new();
        for (i, field) in self.fields.iter().enumerate() {
            let cell = cells.get(i).map_or("", |c| c.trim());
            if cell.is_empty() {
                continue;
            }
            let header = &self.headers[i];
            let mut fail = |e: FieldError| errors.push(FieldError::new(header, e.message));
            match field {
                CompanyField::ExternalId => row.external_id = Some(cell.to_owned()),
                CompanyField::Name => match company_name(cell) {
                    Ok(n) => name = Some(n),
                    Err(e) => fail(e),
                },
                CompanyField::Domains | CompanyField::Website => {
                    for part in cell
                        .split([';', ','])
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                    {
                        match Domain::parse(part) {
                            Ok(d) if d.is_free_mail() => fail(FieldError::new(
                                "domains",
                                format!("{d} is a free-mail domain: it names no company"),
                            )),
                            Ok(d) => {
                                if !domains.contains(&d) {
                                    domains.push(d);
                                }
                            }
                            Err(e) => fail(e),
                        }
                    }
                }
                CompanyField::Employees => {
                    let n = cell.replace([',', ' ', '_'], "");
                    match n.parse::<u32>().map_err(|_| {
                        FieldError::new("employees", format!("{cell:?} is not a whole number"))
                    }) {
                        Ok(n) => match employees(Some(n)) {
                            Ok(n) => row.draft.employees = n,
                            Err(e) => fail(e),
                        },
                        Err(e) => fail(e),
                    }
                }
                CompanyField::Industry => match optional_text("industry", Some(cell)) {
                    Ok(v) => row.draft.industry = v,
                    Err(e) => fail(e),
                },
                CompanyField::Country => match optional_text("country", Some(cell)) {
                    Ok(v) => row.draft.country = v,
                    Err(e) => fail(e),
                },
                CompanyField::Owner => row.owner = Some(cell.to_owned()),
                CompanyField::CreatedAt => match created_at(cell) {
                    Ok(t) => row.created_at = Some(t),
                    Err(e) => fail(e),
                },
                CompanyField::Properties => match serde_json::from_str::<Value>(cell) {
                    Ok(Value::Object(map)) => {
                        for (k, v) in map {
                            properties.entry(k).or_insert(v);
                        }
                    }
                    _ => fail(FieldError::new("properties", "must be a JSON object")),
                },
                CompanyField::Property(p) => match crate::text::clean(p, cell) {
                    Ok(Some(v)) => {
                        properties.insert(p.clone(), Value::String(v));
                    }
                    Ok(None) => {}
                    Err(e) => fail(e),
                },
                CompanyField::Skip => {}
            }
        }
        match name {
            Some(n) => row.draft.name = n,
            None => errors.push(FieldError::new("name", "is needed: every company has one")),
        }
        match parse_domains(domains.iter().map(Domain::as_str)) {
            Ok(ds) => row.draft.domains = ds,
            Err(e) => errors.push(e),
        }
        match crate::contact::parse_properties(Value::Object(properties), false) {
            Ok(p) => row.draft.properties = p,
            Err(e) => errors.push(e),
        }
        if errors.is_empty() {
            Ok(row)
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hubspot_pipedrive_and_closer_headers_are_read() {
        for headers in [
            &[
                "Record ID",
                "Company name",
                "Company Domain Name",
                "Number of Employees",
                "Industry",
                "Country/Region",
                "Company owner",
                "Create Date",
                "Lifecycle Stage",
            ][..],
            &[
                "Organization - ID",
                "Organization - Name",
                "Organization - Website",
                "Organization - Number of employees",
                "Organization - Industry",
                "Organization - Country",
                "Organization - Owner",
                "Organization - Organization created",
                "Organization - Label",
            ][..],
        ] {
            let cols = CompanyColumns::recognise(headers, &Mapping::default()).unwrap();
            let row = cols
                .read(&[
                    "42",
                    "Acme Ltd",
                    "https://www.Acme.com/about",
                    "1,200",
                    "Tools",
                    "GB",
                    "owner@acme.example",
                    "2024-03-01 10:15",
                    "customer",
                ])
                .unwrap();
            assert_eq!(row.external_id.as_deref(), Some("42"));
            assert_eq!(row.draft.name, "Acme Ltd");
            assert_eq!(row.draft.domains[0].as_str(), "acme.com");
            assert_eq!(row.draft.employees, Some(1200));
            assert_eq!(row.draft.country.as_deref(), Some("GB"));
            assert_eq!(row.owner.as_deref(), Some("owner@acme.example"));
            assert!(row.created_at.is_some());
            assert_eq!(row.draft.properties.len(), 1, "{:?}", row.draft.properties);
            assert_eq!(row.key(), "id:42");
        }
    }

    #[test]
    fn every_problem_of_a_row_is_named_and_a_name_is_needed() {
        let cols =
            CompanyColumns::recognise(&["name", "domains", "employees"], &Mapping::default())
                .unwrap();
        let errs = cols
            .read(&["", "gmail.com;not a domain", "many"])
            .unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["domains", "domains", "employees", "name"],
            "{errs:?}"
        );
        assert!(CompanyColumns::recognise(&["Company Domain Name"], &Mapping::default()).is_err());
        let row = cols.read(&["Nameless Co", "", ""]).unwrap();
        assert_eq!(row.key(), "name:nameless co");
    }
}
