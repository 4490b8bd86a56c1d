//! The contact API's wire types and their parsing into domain input (parse, don't validate).

use closer_domain::contact::{check_identity_count, parse_properties};
use closer_domain::{
    Consent, Contact, ContactDraft, ContactPatch, Email, Event, FieldError, Phone, Region, Stage,
    Timestamp, UserId, text,
};
use closer_store::StageSpan;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

/// Deserialises a present field (even `null`) as `Some`, so a patch can tell "clear" from "absent".
pub(super) fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentInput {
    pub granted: bool,
    /// RFC 3339; defaults to now.
    pub at: Option<String>,
    /// Where consent was given ("api" when omitted).
    pub source: Option<String>,
}

/// Create or upsert a contact. Matched to an existing contact by any normalised email or
/// phone: empty fields are filled, set ones kept unless `overwrite` is true.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    pub name: Option<String>,
    /// Shorthand for a one-element `emails`.
    pub email: Option<String>,
    #[serde(default)]
    pub emails: Vec<String>,
    /// Shorthand for a one-element `phones`; any common notation, normalised to E.164.
    pub phone: Option<String>,
    #[serde(default)]
    pub phones: Vec<String>,
    pub company: Option<String>,
    pub job_title: Option<String>,
    /// Custom properties: a JSON object.
    #[schema(value_type = Option<Object>)]
    pub properties: Option<Value>,
    /// lead, prospect, opportunity, customer or disqualified.
    pub stage: Option<String>,
    pub owner_id: Option<Uuid>,
    pub consent: Option<ConsentInput>,
    #[serde(default)]
    pub overwrite: bool,
}

/// An edit: fields present are set (`null` clears), absent ones are left alone. `properties`
/// merges key by key, a `null` value removing the key.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPatchInput {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<String>>)]
    pub emails: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<String>>)]
    pub phones: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub company: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub job_title: Option<Option<String>>,
    #[schema(value_type = Option<Object>)]
    pub properties: Option<Value>,
    pub stage: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub owner_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<ConsentInput>)]
    pub consent: Option<Option<ConsentInput>>,
    /// Why the stage changes ("bought elsewhere", "no budget this year"; up to 200
    /// characters), kept in the stage history; only with `stage`.
    pub stage_reason: Option<String>,
    /// The contact's `updated_at` as you read it: when someone changed the contact since, the
    /// patch is refused (409) instead of overwriting what they wrote.
    pub if_unchanged_since: Option<String>,
}

/// Collects field errors while parsing, so a client sees all of them at once.
#[derive(Default)]
struct Errors(Vec<FieldError>);

impl Errors {
    fn take<T>(&mut self, r: Result<T, FieldError>, field: &str) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(FieldError::new(field, e.message));
                None
            }
        }
    }

    fn finish<T>(self, value: T) -> Result<T, Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self.0)
        }
    }
}

fn emails(errs: &mut Errors, field: &str, raw: &[String]) -> Vec<Email> {
    errs.take(check_identity_count(field, raw), field);
    raw.iter()
        .enumerate()
        .filter_map(|(i, e)| errs.take(Email::parse(e), &format!("{field}[{i}]")))
        .collect()
}

fn phones(errs: &mut Errors, field: &str, raw: &[String], region: Option<Region>) -> Vec<Phone> {
    errs.take(check_identity_count(field, raw), field);
    raw.iter()
        .enumerate()
        .filter_map(|(i, p)| errs.take(Phone::parse(p, region), &format!("{field}[{i}]")))
        .collect()
}

fn consent(errs: &mut Errors, input: &ConsentInput) -> Option<Consent> {
    let at = match input.at.as_deref() {
        None => Timestamp::now(),
        Some(raw) => errs.take(
            Timestamp::parse_rfc3339(raw).ok_or_else(|| {
                FieldError::new(
                    "consent.at",
                    "must be an RFC 3339 time, like 2026-11-23T10:00:00Z",
                )
            }),
            "consent.at",
        )?,
    };
    let source = match input.source.as_deref() {
        None => Some("api".to_owned()),
        Some(raw) => errs.take(text::clean("consent.source", raw), "consent.source")?,
    };
    Some(Consent {
        granted: input.granted,
        at,
        source,
    })
}

fn clean(errs: &mut Errors, field: &str, raw: Option<&str>) -> Option<String> {
    raw.and_then(|r| errs.take(text::clean(field, r), field).flatten())
}

impl ContactInput {
    /// The draft and the overwrite flag, or every field error.
    pub fn parse(self, region: Option<Region>) -> Result<(ContactDraft, bool), Vec<FieldError>> {
        let mut errs = Errors::default();
        let mut raw_emails = self.email.into_iter().collect::<Vec<_>>();
        raw_emails.extend(self.emails);
        let mut raw_phones = self.phone.into_iter().collect::<Vec<_>>();
        raw_phones.extend(self.phones);
        let draft = ContactDraft {
            name: clean(&mut errs, "name", self.name.as_deref()),
            emails: emails(&mut errs, "emails", &raw_emails),
            phones: phones(&mut errs, "phones", &raw_phones, region),
            company: clean(&mut errs, "company", self.company.as_deref()),
            job_title: clean(&mut errs, "job_title", self.job_title.as_deref()),
            properties: self
                .properties
                .and_then(|p| errs.take(parse_properties(p, false), "properties"))
                .unwrap_or_default(),
            stage: self
                .stage
                .and_then(|s| errs.take(Stage::parse(&s), "stage")),
            owner_id: self.owner_id.map(UserId),
            consent: self.consent.and_then(|c| consent(&mut errs, &c)),
        };
        errs.finish((draft, self.overwrite))
    }
}

impl ContactPatchInput {
    pub fn parse(self, region: Option<Region>) -> Result<ContactPatch, Vec<FieldError>> {
        let mut errs = Errors::default();
        let mut text_field = |field: &str, v: Option<Option<String>>| {
            v.map(|inner| inner.and_then(|s| errs.take(text::clean(field, &s), field).flatten()))
        };
        let name = text_field("name", self.name);
        let company = text_field("company", self.company);
        let job_title = text_field("job_title", self.job_title);
        let has_stage = self.stage.is_some();
        let patch = ContactPatch {
            name,
            company,
            job_title,
            emails: self
                .emails
                .map(|v| emails(&mut errs, "emails", &v.unwrap_or_default())),
            phones: self
                .phones
                .map(|v| phones(&mut errs, "phones", &v.unwrap_or_default(), region)),
            properties: self
                .properties
                .and_then(|p| errs.take(parse_properties(p, true), "properties")),
            stage: self
                .stage
                .and_then(|s| errs.take(Stage::parse(&s), "stage")),
            owner_id: self.owner_id.map(|o| o.map(UserId)),
            consent: self.consent.map(|c| c.and_then(|c| consent(&mut errs, &c))),
            stage_reason: match (self.stage_reason.as_deref(), has_stage) {
                (None, _) => None,
                (Some(_), false) => {
                    errs.0.push(FieldError::new(
                        "stage_reason",
                        "goes with a stage: say which stage it moves to",
                    ));
                    None
                }
                (Some(r), true) => errs
                    .take(
                        closer_domain::pipeline::work::label("stage_reason", r, 200),
                        "stage_reason",
                    )
                    .flatten(),
            },
            if_unchanged_since: self.if_unchanged_since.as_deref().and_then(|t| {
                errs.take(
                    closer_domain::Timestamp::parse_rfc3339(t.trim()).ok_or_else(|| {
                        FieldError::new(
                            "if_unchanged_since",
                            "must be the contact's updated_at (an RFC 3339 time)",
                        )
                    }),
                    "if_unchanged_since",
                )
            }),
        };
        errs.finish(patch)
    }
}

#[derive(Serialize, ToSchema)]
pub struct ConsentView {
    pub granted: bool,
    pub at: String,
    pub source: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ContactView {
    pub id: Uuid,
    pub name: Option<String>,
    /// The primary email (first of `emails`).
    pub email: Option<String>,
    pub emails: Vec<String>,
    /// The primary phone (first of `phones`), E.164.
    pub phone: Option<String>,
    pub phones: Vec<String>,
    /// The company's name as given (free text).
    pub company: Option<String>,
    /// The company record the person belongs to (`/api/v1/companies/{id}`), by their email's
    /// domain.
    pub company_id: Option<Uuid>,
    pub job_title: Option<String>,
    #[schema(value_type = Object)]
    pub properties: Value,
    pub stage: String,
    pub owner_id: Option<Uuid>,
    pub consent: Option<ConsentView>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Contact> for ContactView {
    fn from(c: Contact) -> Self {
        Self {
            id: c.id.0,
            name: c.name,
            email: c.emails.first().map(ToString::to_string),
            emails: c.emails.into_iter().map(String::from).collect(),
            phone: c.phones.first().map(ToString::to_string),
            phones: c.phones.into_iter().map(String::from).collect(),
            company: c.company,
            company_id: c.company_id.map(|id| id.0),
            job_title: c.job_title,
            properties: Value::Object(c.properties),
            stage: c.stage.as_str().to_owned(),
            owner_id: c.owner_id.map(|o| o.0),
            consent: c.consent.map(|x| ConsentView {
                granted: x.granted,
                at: x.at.to_string(),
                source: x.source,
            }),
            created_at: c.created_at.to_string(),
            updated_at: c.updated_at.to_string(),
        }
    }
}

/// One span of a contact's lifecycle stage history.
#[derive(Serialize, ToSchema)]
#[schema(as = LifecycleSpanView)]
pub struct StageView {
    pub stage: String,
    pub entered_at: String,
    pub left_at: Option<String>,
    /// Who or what moved the contact: `token:<id>`, `form:<key>`, `cli`.
    pub changed_by: String,
}

impl From<StageSpan> for StageView {
    fn from(s: StageSpan) -> Self {
        Self {
            stage: s.stage.as_str().to_owned(),
            entered_at: s.entered_at.to_string(),
            left_at: s.left_at.map(|t| t.to_string()),
            changed_by: s.changed_by,
        }
    }
}

/// One contact with its stage history.
#[derive(Serialize, ToSchema)]
pub struct ContactDetail {
    #[serde(flatten)]
    pub contact: ContactView,
    /// Oldest first; the last entry is the current stage.
    pub stage_history: Vec<StageView>,
    /// When a person first called, emailed, met or demoed (speed-to-lead), if anyone has.
    pub first_touch_at: Option<String>,
    /// Seconds from the contact's arrival to that first touch.
    pub speed_to_lead_seconds: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct ContactPage {
    pub items: Vec<ContactView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct EventView {
    pub id: Uuid,
    /// `form_submitted`, `stage_changed`, `pageview`, `custom_event`, `activity`, `deal_moved`,
    /// `order_placed`.
    pub kind: String,
    pub occurred_at: String,
    #[schema(value_type = Object)]
    pub properties: Value,
}

impl From<Event> for EventView {
    fn from(e: Event) -> Self {
        Self {
            id: e.id.0,
            kind: e.kind.as_str().to_owned(),
            occurred_at: e.occurred_at.to_string(),
            properties: e.properties,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct EventPage {
    /// Newest first.
    pub items: Vec<EventView>,
    /// Pass as `before` for older events; absent when there are none.
    pub next_before: Option<String>,
}
