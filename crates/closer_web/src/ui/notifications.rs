//! Notifications in the app: the list behind the header's bell (newest first, unread marked),
//! opening one (marked read, then its page), marking read, and the user's choice per kind —
//! in the app, by e-mail, both or not at all. The use cases are the API's.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Redirect;
use axum::routing::{get, post};
use closer_domain::notify::{Delivery, NoticeKind};
use maud::{Markup, html};
use serde::Deserialize;

use super::format::when;
use super::layout::page;
use super::session::Signed;
use super::{Failure, UiForm};
use crate::AppState;

const SHOWN: u32 = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(list))
        .route("/notifications/read", post(read_all))
        .route("/notifications/settings", post(save_choices))
        .route("/notifications/{id}/open", post(open))
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn list(State(st): State<AppState>, user: Signed) -> Result<Markup, Failure> {
    let principal = user.0.principal();
    let items = st.app.notifications(&principal, None, false, SHOWN).await?;
    let choices = st.app.notification_choices(&principal, None).await?;
    let csrf = &user.0.session.csrf;
    let content = html! {
        h1 { "Notifications" }
        @if items.is_empty() {
            p.empty { "Nothing yet. You are told here when a hot lead is given to you, when someone gives you a task, and when someone mentions you (@your-name) in a note." }
        } @else {
            @if items.iter().any(|n| n.read_at.is_none()) {
                form method="post" action="/notifications/read" {
                    input type="hidden" name="csrf" value=(csrf);
                    button type="submit" { "Mark all read" }
                }
            }
            ul.notifications {
                @for n in &items {
                    li.unread[n.read_at.is_none()] {
                        form method="post" action=(format!("/notifications/{}/open", n.id)) {
                            input type="hidden" name="csrf" value=(csrf);
                            button.link-like type="submit" { (n.title) }
                        }
                        span.muted {
                            " · " (when(n.created_at))
                            @if n.read_at.is_none() { " · " strong { "new" } }
                        }
                    }
                }
            }
        }
        h2 #choices { "How to tell me" }
        form.stacked method="post" action="/notifications/settings" {
            input type="hidden" name="csrf" value=(csrf);
            @for (kind, delivery) in &choices {
                label for=(format!("deliver-{}", kind.as_str())) { (kind.describe()) }
                select id=(format!("deliver-{}", kind.as_str())) name=(kind.as_str()) {
                    @for d in Delivery::ALL {
                        option value=(d.as_str()) selected[d == *delivery] { (d.describe()) }
                    }
                }
            }
            button type="submit" { "Save" }
        }
        p.muted { "E-mails are sent when the server has a mail server to send through (closer serve --smtp-url)." }
    };
    Ok(page(
        &user.0,
        "Notifications",
        "/notifications",
        false,
        &content,
    ))
}

/// Opens a notification: marked read, then the page it is about.
async fn open(
    State(st): State<AppState>,
    user: Signed,
    Path(id): Path<String>,
    UiForm(form): UiForm<CsrfForm>,
) -> Result<Redirect, Failure> {
    user.check_csrf(&form.csrf)?;
    let id = uuid::Uuid::parse_str(&id).map_err(|_| Failure::not_found())?;
    let link = st.app.open_notification(&user.0.principal(), id).await?;
    // Only a path of this app: a redirect elsewhere would be an open redirect.
    let link = Some(link)
        .filter(|l| l.starts_with('/') && !l.starts_with("//"))
        .unwrap_or_else(|| "/notifications".into());
    Ok(Redirect::to(&link))
}

async fn read_all(
    State(st): State<AppState>,
    user: Signed,
    UiForm(form): UiForm<CsrfForm>,
) -> Result<Redirect, Failure> {
    user.check_csrf(&form.csrf)?;
    st.app
        .mark_notifications_read(&user.0.principal(), None, None)
        .await?;
    Ok(Redirect::to("/notifications"))
}

async fn save_choices(
    State(st): State<AppState>,
    user: Signed,
    UiForm(form): UiForm<std::collections::HashMap<String, String>>,
) -> Result<Redirect, Failure> {
    user.check_csrf(form.get("csrf").map_or("", String::as_str))?;
    let principal = user.0.principal();
    let mut chosen = Vec::new();
    for kind in NoticeKind::ALL {
        if let Some(raw) = form.get(kind.as_str()) {
            let delivery = Delivery::parse(raw)
                .map_err(|e| Failure::from(crate::error::ApiError::invalid(vec![e])))?;
            chosen.push((kind, delivery));
        }
    }
    for (kind, delivery) in chosen {
        st.app
            .set_notification_choice(&principal, None, kind, delivery)
            .await?;
    }
    Ok(Redirect::to("/notifications#choices"))
}
