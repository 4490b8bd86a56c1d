//! Lead capture: a public form post becomes a lead, with the whole submission kept as a
//! `form_submitted` event (a target action, DOMAIN.md) in the same transaction.

use closer_domain::form::parse_submission;
use closer_domain::qualification::Signal;
use closer_domain::traffic::VisitorKey;
use closer_domain::{ContactId, Event, EventId, EventKind, FormKey, NewEvent, Timestamp};
use closer_store::{Form, UpsertContact};
use serde_json::{Value, json};

use crate::qualification::ScoreJob;
use std::sync::Arc;

use closer_store::Store;

use crate::AppError;
use crate::forms::Forms;
use crate::qualification::Scoring;
use crate::traffic::Traffic;

/// A submission as an interface received it, flattened to name/value pairs.
pub struct FormPayload {
    pub fields: Vec<(String, Value)>,
    /// The page the form was posted from (the `Referer`), kept for attribution.
    pub page: Option<String>,
    /// The submitting browser's IP and user agent: with `_closer_vid=auto` they give the same
    /// cookieless visitor key the tracker's events got today.
    pub ip: Option<std::net::IpAddr>,
    pub user_agent: String,
}

/// The hidden field the closer script fills with the visitor id (identity stitching).
pub const VISITOR_FIELD: &str = "_closer_vid";

pub struct CaptureOutcome {
    pub form: Form,
    /// For a bot (honeypot filled) this is a fresh id that names nothing: the bot must not
    /// learn it was caught.
    pub contact_id: ContactId,
    pub created: bool,
    pub bot: bool,
}

/// Longest `Referer` kept on the event.
const MAX_PAGE_URL: usize = 2_000;

/// Lead capture from forms: the form (from `Forms`' cache), the visitor (from `Traffic`:
/// the site and today's cookieless key) and scoring afterwards.
#[derive(Clone)]
pub struct Capture {
    store: Arc<dyn Store>,
    forms: Forms,
    traffic: Traffic,
    scoring: Scoring,
    domains_seen: crate::companies::DomainCache,
}

impl Capture {
    pub(crate) fn new(
        store: Arc<dyn Store>,
        forms: Forms,
        traffic: Traffic,
        scoring: Scoring,
        domains_seen: crate::companies::DomainCache,
    ) -> Self {
        Self {
            store,
            forms,
            traffic,
            scoring,
            domains_seen,
        }
    }

    /// The visitor behind a submission's `_closer_vid`: a first-party id, or `auto` for the
    /// cookieless key of this browser on the page's site (which must be the form's
    /// workspace's). Anything unusable means no stitching; the lead is captured regardless.
    async fn form_visitor(
        &self,
        field: Option<&str>,
        page: Option<&str>,
        form: &Form,
        ip: Option<std::net::IpAddr>,
        user_agent: &str,
        now: Timestamp,
    ) -> Option<VisitorKey> {
        let raw = field?.trim();
        if raw != "auto" {
            return VisitorKey::client(raw).ok();
        }
        let host = url::Url::parse(page?)
            .ok()?
            .host_str()?
            .to_ascii_lowercase();
        let site = self.traffic.site_for_host(&host).await.ok()??;
        if site.workspace_id != form.workspace_id {
            return None;
        }
        let client = crate::Client { ip, user_agent };
        self.traffic
            .cookieless_visitor(&site.domain, &client, now)
            .await
            .ok()
    }

    /// Captures a submission to the form with public key `key`.
    pub async fn capture(
        &self,
        key: &str,
        payload: FormPayload,
    ) -> Result<CaptureOutcome, AppError> {
        let key = FormKey::parse(key).map_err(|_| AppError::NotFound)?;
        let cached = self.forms.form_for_capture(&key).await?;
        let now = Timestamp::now();
        let visitor_field = payload
            .fields
            .iter()
            .find(|(name, _)| name == VISITOR_FIELD)
            .and_then(|(_, v)| v.as_str())
            .map(str::to_owned);
        let mut submission =
            parse_submission(payload.fields, cached.region, &cached.form.name, now)
                .map_err(AppError::Invalid)?;
        // A field named after a defined property is checked as the property says.
        crate::properties::typed_new(
            self.store.as_ref(),
            cached.form.workspace_id,
            closer_domain::property::PropertyOf::Contacts,
            &mut submission.draft.properties,
        )
        .await?;
        if submission.is_bot {
            tracing::info!(form.id = %cached.form.id, "honeypot submission dropped");
            return Ok(CaptureOutcome {
                form: cached.form,
                contact_id: ContactId::new(),
                created: false,
                bot: true,
            });
        }
        let page = payload.page.filter(|p| p.len() <= MAX_PAGE_URL);
        let visitor = self
            .form_visitor(
                visitor_field.as_deref(),
                page.as_deref(),
                &cached.form,
                payload.ip,
                &payload.user_agent,
                now,
            )
            .await;
        let event = NewEvent {
            id: EventId::new(),
            kind: EventKind::FormSubmitted,
            occurred_at: now,
            properties: json!({
                "form_id": cached.form.id,
                "form_name": cached.form.name,
                "page": page,
                "fields": submission.fields,
            }),
        };
        let signal_event = event.clone();
        let linked_visitor = visitor.is_some();
        let request = UpsertContact {
            draft: submission.draft,
            overwrite: false,
            event: Some(event),
            actor: format!("form:{}", cached.form.key),
            visitor,
            now,
        };
        let out = self
            .store
            .upsert_contact(cached.form.workspace_id, request)
            .await?;
        tracing::info!(form.id = %cached.form.id, contact.id = %out.contact.id, created = out.created, "lead captured");
        // The lead is stored: a failure to link its company is logged, not the capture's.
        if let Err(e) =
            crate::companies::link_by_email(self.store.as_ref(), &self.domains_seen, &out.contact)
                .await
        {
            tracing::warn!(contact.id = %out.contact.id, error = %e, "linking a company failed");
        }
        let stored = Event {
            id: signal_event.id,
            contact_id: out.contact.id,
            kind: signal_event.kind,
            occurred_at: signal_event.occurred_at,
            properties: signal_event.properties,
        };
        self.scoring
            .queue_scoring(ScoreJob {
                workspace: cached.form.workspace_id,
                contact: out.contact.id,
                signals: Signal::from_event(&stored).into_iter().collect(),
                rescan: linked_visitor,
            })
            .await;
        Ok(CaptureOutcome {
            form: cached.form,
            contact_id: out.contact.id,
            created: out.created,
            bot: false,
        })
    }
}
