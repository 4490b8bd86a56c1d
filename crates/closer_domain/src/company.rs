//! Companies (accounts): the organisation people work for, known by its web domains. A
//! contact belongs to the company that holds their email's domain — never by a free-mail
//! domain (gmail.com…), which says nothing about an employer.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::qualification::is_free_mail;
use crate::{CompanyId, FieldError, Timestamp, UserId, WorkspaceId};

/// Most domains one company holds.
pub const MAX_DOMAINS: usize = 20;
/// Longest company name, industry or country.
pub const MAX_TEXT: usize = 200;
/// Most employees a company is said to have (the largest employers have about two million).
pub const MAX_EMPLOYEES: u32 = 10_000_000;

/// A normalised web domain: lower case, no scheme, path, port or leading `www.`, at least one
/// dot, labels of letters, digits and hyphens. `https://www.Acme.com/about` is `acme.com`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Domain(String);

impl Domain {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let bad = |why: &str| FieldError::new("domains", format!("{raw:?} {why}"));
        let mut s = raw.trim().to_lowercase();
        for scheme in ["https://", "http://"] {
            if let Some(rest) = s.strip_prefix(scheme) {
                s = rest.to_owned();
            }
        }
        let s = s.split(['/', '?', '#']).next().unwrap_or("");
        let s = s.split(':').next().unwrap_or("");
        let s = s.trim_end_matches('.');
        let s = s.strip_prefix("www.").unwrap_or(s);
        if s.is_empty() {
            return Err(bad("is not a domain"));
        }
        if s.len() > 253 {
            return Err(bad("is longer than a domain can be"));
        }
        if !s.contains('.') {
            return Err(bad("needs a dot, like acme.com"));
        }
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        if !s.split('.').all(label_ok) {
            return Err(bad("is not a domain (letters, digits, hyphens and dots)"));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a free-mail provider's: such a domain never links a contact to a company.
    pub fn is_free_mail(&self) -> bool {
        is_free_mail(&self.0)
    }
}

impl std::fmt::Display for Domain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Company {
    pub id: CompanyId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    /// First is primary. Each belongs to one company of the workspace.
    pub domains: Vec<Domain>,
    /// Number of employees.
    pub employees: Option<u32>,
    pub industry: Option<String>,
    pub country: Option<String>,
    pub owner_id: Option<UserId>,
    pub properties: Map<String, Value>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Validated input for a new company.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompanyDraft {
    pub name: String,
    pub domains: Vec<Domain>,
    pub employees: Option<u32>,
    pub industry: Option<String>,
    pub country: Option<String>,
    pub owner_id: Option<UserId>,
    pub properties: Map<String, Value>,
}

/// An explicit edit: `Some(None)` clears a field, `None` leaves it alone; domains replace
/// whole, properties merge key by key (a `null` removes the key).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompanyPatch {
    pub name: Option<String>,
    pub domains: Option<Vec<Domain>>,
    pub employees: Option<Option<u32>>,
    pub industry: Option<Option<String>>,
    pub country: Option<Option<String>>,
    pub owner_id: Option<Option<UserId>>,
    pub properties: Option<Map<String, Value>>,
}

/// A company's name: trimmed, not empty, at most `MAX_TEXT` characters.
pub fn company_name(raw: &str) -> Result<String, FieldError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(FieldError::new("name", "is required"));
    }
    short("name", name)
}

/// An optional short text field: trimmed, empty is none.
pub fn optional_text(field: &str, raw: Option<&str>) -> Result<Option<String>, FieldError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => short(field, t).map(Some),
    }
}

/// Shorter than `MAX_TEXT`, and no control characters (as every text field).
fn short(field: &str, text: &str) -> Result<String, FieldError> {
    if text.chars().count() > MAX_TEXT {
        return Err(FieldError::new(
            field,
            format!("must be at most {MAX_TEXT} characters"),
        ));
    }
    Ok(crate::text::clean(field, text)?.unwrap_or_default())
}

/// A number of employees, at most `MAX_EMPLOYEES`.
pub fn employees(raw: Option<u32>) -> Result<Option<u32>, FieldError> {
    match raw {
        Some(n) if n > MAX_EMPLOYEES => Err(FieldError::new(
            "employees",
            format!("must be at most {MAX_EMPLOYEES}"),
        )),
        other => Ok(other),
    }
}

/// Domains as given: each parsed, duplicates dropped (first kept), at most `MAX_DOMAINS`.
pub fn domains<'a>(raw: impl IntoIterator<Item = &'a str>) -> Result<Vec<Domain>, FieldError> {
    let mut out: Vec<Domain> = Vec::new();
    for r in raw {
        let d = Domain::parse(r)?;
        if !out.contains(&d) {
            out.push(d);
        }
    }
    if out.len() > MAX_DOMAINS {
        return Err(FieldError::new(
            "domains",
            format!("a company holds at most {MAX_DOMAINS} domains"),
        ));
    }
    Ok(out)
}

/// The domains of a person's emails that can name their employer (free-mail ones left out),
/// each once, in the emails' order.
pub fn employer_domains<'a>(emails: impl IntoIterator<Item = &'a crate::Email>) -> Vec<Domain> {
    let mut out: Vec<Domain> = Vec::new();
    for e in emails {
        if let Ok(d) = Domain::parse(e.domain())
            && !d.is_free_mail()
            && !out.contains(&d)
        {
            out.push(d);
        }
    }
    out
}

impl Company {
    pub fn from_draft(
        id: CompanyId,
        workspace_id: WorkspaceId,
        draft: CompanyDraft,
        now: Timestamp,
    ) -> Self {
        Self {
            id,
            workspace_id,
            name: draft.name,
            domains: draft.domains,
            employees: draft.employees,
            industry: draft.industry,
            country: draft.country,
            owner_id: draft.owner_id,
            properties: draft.properties,
            created_at: now,
            updated_at: now,
        }
    }

    /// Applies an edit; whether anything changed.
    pub fn apply(&mut self, patch: &CompanyPatch, now: Timestamp) -> bool {
        let before = self.clone();
        if let Some(name) = &patch.name {
            self.name.clone_from(name);
        }
        if let Some(domains) = &patch.domains {
            self.domains.clone_from(domains);
        }
        if let Some(v) = patch.employees {
            self.employees = v;
        }
        if let Some(v) = &patch.industry {
            self.industry.clone_from(v);
        }
        if let Some(v) = &patch.country {
            self.country.clone_from(v);
        }
        if let Some(v) = patch.owner_id {
            self.owner_id = v;
        }
        if let Some(props) = &patch.properties {
            for (k, v) in props {
                if v.is_null() {
                    self.properties.remove(k);
                } else {
                    self.properties.insert(k.clone(), v.clone());
                }
            }
        }
        let changed = *self != before;
        if changed {
            self.updated_at = now;
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Email;

    #[test]
    fn domains_are_normalised() {
        for raw in [
            "acme.com",
            "ACME.com",
            " www.acme.com ",
            "https://www.Acme.com/about?x=1",
            "http://acme.com:8080",
            "acme.com.",
        ] {
            assert_eq!(Domain::parse(raw).unwrap().as_str(), "acme.com", "{raw}");
        }
        assert_eq!(
            Domain::parse("shop.acme.co.uk").unwrap().as_str(),
            "shop.acme.co.uk"
        );
        for bad in [
            "",
            "acme",
            "acme..com",
            "-acme.com",
            "ac me.com",
            "acme_x.com",
            "https://",
        ] {
            assert!(Domain::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Domain::parse(&format!("{}.com", "a".repeat(64))).is_err());
    }

    #[test]
    fn duplicate_domains_collapse_and_the_count_is_bounded() {
        let d = domains(["acme.com", "www.acme.com", "acme.io"]).unwrap();
        assert_eq!(d.len(), 2);
        let many: Vec<String> = (0..=MAX_DOMAINS).map(|i| format!("a{i}.com")).collect();
        assert!(domains(many.iter().map(String::as_str)).is_err());
    }

    #[test]
    fn free_mail_never_names_an_employer() {
        let emails = [
            Email::parse("ada@gmail.com").unwrap(),
            Email::parse("ada@Acme.com").unwrap(),
            Email::parse("a.l@acme.com").unwrap(),
        ];
        let found = employer_domains(&emails);
        assert_eq!(found, vec![Domain::parse("acme.com").unwrap()]);
    }

    #[test]
    fn a_patch_sets_clears_and_merges() {
        let now = Timestamp::now();
        let mut c = Company::from_draft(
            CompanyId::new(),
            WorkspaceId::new(),
            CompanyDraft {
                name: "Acme".into(),
                industry: Some("Tools".into()),
                properties: serde_json::json!({"tier": "gold", "x": 1})
                    .as_object()
                    .unwrap()
                    .clone(),
                ..CompanyDraft::default()
            },
            now,
        );
        assert!(!c.apply(&CompanyPatch::default(), now));
        let patch = CompanyPatch {
            name: Some("Acme Inc".into()),
            industry: Some(None),
            employees: Some(Some(40)),
            properties: serde_json::json!({"x": null, "y": 2}).as_object().cloned(),
            ..CompanyPatch::default()
        };
        assert!(c.apply(&patch, now));
        assert_eq!(c.name, "Acme Inc");
        assert_eq!(c.industry, None);
        assert_eq!(c.employees, Some(40));
        assert_eq!(
            c.properties,
            *serde_json::json!({"tier": "gold", "y": 2})
                .as_object()
                .unwrap()
        );
        assert!(company_name("  ").is_err());
        assert!(company_name("Acme\u{9e}").is_err(), "control characters");
        assert!(employees(Some(MAX_EMPLOYEES + 1)).is_err());
        assert_eq!(employees(Some(40)).unwrap(), Some(40));
        assert_eq!(optional_text("industry", Some("  ")).unwrap(), None);
    }
}
