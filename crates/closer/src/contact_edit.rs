//! `closer contact edit ID --name … --email … --phone …`: a contact's details changed from the
//! terminal, read by the same rules as the API and the web app (every mistake named by its
//! field, all of them at once).

use closer_app::{App, AppError, Principal};
use closer_domain::{Contact, ContactPatch, Email, FieldError, Phone, Stage, text};

/// The options given; `None` (or no `--email`/`--phone`) leaves a field alone.
pub struct Edit {
    pub name: Option<String>,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub company: Option<String>,
    pub job_title: Option<String>,
    pub stage: Option<String>,
    pub stage_reason: Option<String>,
    pub owner: Option<String>,
    /// `granted` or `withdrawn`.
    pub consent: Option<String>,
    /// `NAME=VALUE` each (an empty value clears).
    pub properties: Vec<String>,
}

impl Edit {
    /// The patch, or every field's problem.
    pub async fn patch(self, app: &App, principal: &Principal) -> Result<ContactPatch, AppError> {
        let mut errors: Vec<FieldError> = Vec::new();
        let mut keep = |r: Result<Option<String>, FieldError>| r.map_err(|e| errors.push(e)).ok();
        let name = self.name.map(|v| keep(text::clean("name", &v)).flatten());
        let company = self
            .company
            .map(|v| keep(text::clean("company", &v)).flatten());
        let job_title = self
            .job_title
            .map(|v| keep(text::clean("job_title", &v)).flatten());
        let region = app.region(principal).await?;
        let emails = (!self.emails.is_empty()).then(|| {
            self.emails
                .iter()
                .filter_map(|e| Email::parse(e).map_err(|e| errors.push(e)).ok())
                .collect::<Vec<_>>()
        });
        let phones = (!self.phones.is_empty()).then(|| {
            self.phones
                .iter()
                .filter_map(|p| Phone::parse(p, region).map_err(|e| errors.push(e)).ok())
                .collect::<Vec<_>>()
        });
        let stage = self
            .stage
            .and_then(|s| Stage::parse(&s).map_err(|e| errors.push(e)).ok());
        let stage_reason = match (&self.stage_reason, &stage) {
            (None, _) => None,
            (Some(_), None) if errors.iter().all(|e| e.field != "stage") => {
                errors.push(FieldError::new(
                    "stage_reason",
                    "goes with --stage: say which stage it moves to",
                ));
                None
            }
            (Some(r), _) => closer_domain::pipeline::work::label("stage_reason", r, 200)
                .map_err(|e| errors.push(e))
                .ok()
                .flatten(),
        };
        let consent = match self.consent.as_deref().map(str::trim) {
            None => None,
            Some(choice @ ("granted" | "withdrawn")) => Some(Some(closer_domain::Consent {
                granted: choice == "granted",
                at: closer_domain::Timestamp::now(),
                source: Some("command line".into()),
            })),
            Some(other) => {
                errors.push(FieldError::new(
                    "consent",
                    format!("{other:?} is not a consent; use granted or withdrawn"),
                ));
                None
            }
        };
        let properties = crate::properties::assignments(&self.properties)
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        let owner_id = match self.owner.as_deref().map(str::trim) {
            None => None,
            Some("none") => Some(None),
            Some(who) => {
                let users = app.access().users(principal.workspace_id).await?;
                let found = users
                    .iter()
                    .find(|u| u.email.as_str().eq_ignore_ascii_case(who));
                if found.is_none() {
                    errors.push(FieldError::new(
                        "owner",
                        format!("{who:?} is not a user of this workspace (or none)"),
                    ));
                }
                found.map(|u| Some(u.id))
            }
        };
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        Ok(ContactPatch {
            name,
            emails,
            phones,
            company,
            job_title,
            stage,
            stage_reason,
            owner_id,
            consent,
            properties,
            ..ContactPatch::default()
        })
    }
}

/// The contact as saved, one field a line.
pub fn print(c: &Contact) -> anyhow::Result<()> {
    let list = |v: Vec<&str>| v.join(", ");
    outln!("{}", c.id.0);
    outln!("name: {}", c.name.as_deref().unwrap_or("—"));
    outln!(
        "emails: {}",
        list(c.emails.iter().map(Email::as_str).collect())
    );
    outln!(
        "phones: {}",
        list(c.phones.iter().map(Phone::as_str).collect())
    );
    outln!("company: {}", c.company.as_deref().unwrap_or("—"));
    outln!("job title: {}", c.job_title.as_deref().unwrap_or("—"));
    outln!("stage: {}", c.stage.as_str());
    Ok(())
}
