//! Lead capture: a public form post becomes a lead, with the whole submission kept as a
//! `form_submitted` event (a target action, DOMAIN.md) in the same transaction.

use closer_domain::form::parse_submission;
use closer_domain::{ContactId, EventId, EventKind, FormKey, NewEvent, Timestamp};
use closer_store::{Form, UpsertContact};
use serde_json::{Value, json};

use crate::{App, AppError};

/// A submission as an interface received it, flattened to name/value pairs.
pub struct FormPayload {
    pub fields: Vec<(String, Value)>,
    /// The page the form was posted from (the `Referer`), kept for attribution.
    pub page: Option<String>,
}

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

impl App {
    /// Captures a submission to the form with public key `key`.
    pub async fn capture(
        &self,
        key: &str,
        payload: FormPayload,
    ) -> Result<CaptureOutcome, AppError> {
        let key = FormKey::parse(key).map_err(|_| AppError::NotFound)?;
        let cached = self.form_for_capture(&key).await?;
        let now = Timestamp::now();
        let submission = parse_submission(payload.fields, cached.region, &cached.form.name, now)
            .map_err(AppError::Invalid)?;
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
        let request = UpsertContact {
            draft: submission.draft,
            overwrite: false,
            event: Some(event),
            actor: format!("form:{}", cached.form.key),
            now,
        };
        let out = self
            .store()
            .upsert_contact(cached.form.workspace_id, request)
            .await?;
        tracing::info!(form.id = %cached.form.id, contact.id = %out.contact.id, created = out.created, "lead captured");
        Ok(CaptureOutcome {
            form: cached.form,
            contact_id: out.contact.id,
            created: out.created,
            bot: false,
        })
    }
}
