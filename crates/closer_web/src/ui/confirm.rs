//! Deleting from the app: a form whose box must be ticked before its button does anything
//! (it works without JavaScript, and a stray click deletes nothing), and the check of that
//! box on the server.

use axum::http::StatusCode;
use maud::{Markup, html};
use serde::Deserialize;

use super::Failure;

/// A posted deletion: the CSRF token and the ticked box.
#[derive(Deserialize)]
pub(super) struct ConfirmForm {
    pub csrf: String,
    #[serde(default)]
    pub confirm: String,
}

impl ConfirmForm {
    /// A 422 unless the box was ticked.
    pub fn check(&self) -> Result<(), Failure> {
        if self.confirm == "yes" {
            Ok(())
        } else {
            Err(Failure::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Tick the box to confirm the deletion.",
            ))
        }
    }
}

/// The deletion form: `what` says what goes (and what stays), `button` names the act.
pub(super) fn form(action: &str, csrf: &str, what: &str, button: &str) -> Markup {
    html! {
        form.stack.danger method="post" action=(action) {
            input type="hidden" name="csrf" value=(csrf);
            label { input type="checkbox" name="confirm" value="yes" required; " " (what) }
            button type="submit" { (button) }
        }
    }
}
