//! Signing in and out. A refused sign-in says so in one sentence that does not tell which
//! part was wrong, nor whether the account exists or is locked; it states the lock rule.

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use closer_app::AppError;
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;

use super::layout::head;
use super::session::{
    ClientIp, SESSION_COOKIE, SIGN_IN_COOKIE, Signed, cookie, local_path, same_secret, set_cookie,
    sign_in_allowed,
};
use super::{CsrfForm, Failure, UiForm};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(show).post(sign_in))
        .route("/logout", post(sign_out))
        .route("/invite/{secret}", get(show_invite).post(accept_invite))
}

#[derive(Deserialize)]
struct SignInForm {
    csrf: String,
    #[serde(default)]
    workspace: String,
    email: String,
    password: String,
    #[serde(default)]
    next: String,
}

fn form(csrf: &str, next: &str, email: &str, workspace: &str, error: Option<&str>) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head { (head("Sign in")) }
            body.sign-in {
                main #main {
                    h1 { "Sign in to closer" }
                    @if let Some(e) = error {
                        p.error role="alert" { (e) }
                    }
                    form method="post" action="/login" {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="next" value=(next);
                        label for="email" { "Email" }
                        input #email type="email" name="email" value=(email) required autocomplete="username" autofocus;
                        label for="password" { "Password" }
                        input #password type="password" name="password" required autocomplete="current-password";
                        label for="workspace" { "Workspace " span.hint { "(only if your email is in several)" } }
                        input #workspace type="text" name="workspace" value=(workspace) autocomplete="organization";
                        button type="submit" { "Sign in" }
                    }
                }
            }
        }
    }
}

/// Refused fields as one line of sentences ("password: must be at least 10 characters.").
fn sentences(errors: &[closer_domain::FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}.", e.field, e.message))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The double-submit token of the sign-in form: the cookie's if the browser has one.
fn sign_in_token(headers: &HeaderMap) -> (String, bool) {
    match cookie(headers, SIGN_IN_COOKIE) {
        Some(t) if t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()) => {
            (t.to_owned(), false)
        }
        _ => (uuid::Uuid::new_v4().simple().to_string(), true),
    }
}

async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    // Where to go afterwards; anything else in the address is ignored.
    let pairs = super::query_pairs(raw.as_deref());
    let next = local_path(super::param(&pairs, "next"));
    // Already signed in: straight on.
    if let Some(secret) = cookie(&headers, SESSION_COOKIE)
        && let Ok(Some(_)) = state.app.auth().web_user(secret).await
    {
        return Redirect::to(next).into_response();
    }
    let (token, fresh) = sign_in_token(&headers);
    let page = form(&token, next, "", "", None);
    let mut res = page.into_response();
    if fresh {
        res.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(&state, SIGN_IN_COOKIE, &token, 3_600),
        );
    }
    res
}

async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    ip: ClientIp,
    UiForm(f): UiForm<SignInForm>,
) -> Result<Response, Failure> {
    sign_in_allowed(&state, &ip)?;
    let expected = cookie(&headers, SIGN_IN_COOKIE).unwrap_or("");
    if expected.is_empty() || !same_secret(expected, &f.csrf) {
        return Err(Failure::forbidden(
            "This sign-in form expired or came from another site. Open the sign-in page again.",
        ));
    }
    let next = local_path(Some(&f.next)).to_owned();
    let workspace = Some(f.workspace.as_str());
    match state
        .app
        .auth()
        .sign_in(workspace, &f.email, &f.password)
        .await
    {
        Ok(signed) => {
            let mut res = Redirect::to(&next).into_response();
            let h = res.headers_mut();
            let lifetime = closer_app::SESSION_FOR.as_secs();
            h.append(
                header::SET_COOKIE,
                set_cookie(&state, SESSION_COOKIE, &signed.secret, lifetime),
            );
            h.append(
                header::SET_COOKIE,
                set_cookie(&state, SIGN_IN_COOKIE, "", 0),
            );
            Ok(res)
        }
        Err(e) => {
            let (status, message) = match e {
                AppError::Unauthorized => (StatusCode::UNAUTHORIZED, refused_sentence()),
                AppError::Invalid(errors) => (StatusCode::UNPROCESSABLE_ENTITY, sentences(&errors)),
                other => return Err(other.into()),
            };
            let page = form(expected, &next, &f.email, &f.workspace, Some(&message));
            Ok((status, page).into_response())
        }
    }
}

/// One sentence for every refused sign-in.
fn refused_sentence() -> String {
    format!(
        "The email or password is not right. After {} failed sign-ins an account is locked for \
         {} minutes; an admin can lift the lock by setting a new password.",
        closer_app::LOCK_AFTER,
        closer_app::LOCK_FOR.as_secs() / 60
    )
}

async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: Signed,
    UiForm(f): UiForm<CsrfForm>,
) -> Result<Response, Failure> {
    user.check_csrf(&f.csrf)?;
    if let Some(secret) = cookie(&headers, SESSION_COOKIE) {
        state.app.auth().sign_out(secret).await?;
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, SESSION_COOKIE, "", 0),
    );
    Ok(res)
}

#[derive(Deserialize)]
struct InviteForm {
    csrf: String,
    password: String,
    repeat: String,
}

fn invite_form(csrf: &str, secret: &str, name: &str, error: Option<&str>) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head { (head("Set your password")) }
            body.sign-in {
                main #main {
                    h1 { "Welcome, " (name) }
                    p { "Choose a password of at least " (closer_app::MIN_PASSWORD) " characters to sign in to closer." }
                    @if let Some(e) = error {
                        p.error role="alert" { (e) }
                    }
                    form method="post" action=(format!("/invite/{secret}")) {
                        input type="hidden" name="csrf" value=(csrf);
                        label for="password" { "Password" }
                        input #password type="password" name="password" required autocomplete="new-password" minlength=(closer_app::MIN_PASSWORD);
                        label for="repeat" { "The same again" }
                        input #repeat type="password" name="repeat" required autocomplete="new-password";
                        button type="submit" { "Set password and sign in" }
                    }
                }
            }
        }
    }
}

fn gone() -> Failure {
    Failure::new(
        StatusCode::NOT_FOUND,
        "This invite link has expired or was already used. Ask an admin of your workspace for a new one.",
    )
}

async fn show_invite(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(secret): Path<String>,
) -> Result<Response, Failure> {
    let user = state.app.auth().invitee(&secret).await?.ok_or_else(gone)?;
    let (token, fresh) = sign_in_token(&headers);
    let mut res = invite_form(&token, &secret, &user.name, None).into_response();
    if fresh {
        res.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(&state, SIGN_IN_COOKIE, &token, 3_600),
        );
    }
    Ok(res)
}

async fn accept_invite(
    State(state): State<AppState>,
    headers: HeaderMap,
    ip: ClientIp,
    Path(secret): Path<String>,
    UiForm(f): UiForm<InviteForm>,
) -> Result<Response, Failure> {
    sign_in_allowed(&state, &ip)?;
    let expected = cookie(&headers, SIGN_IN_COOKIE).unwrap_or("");
    if expected.is_empty() || !same_secret(expected, &f.csrf) {
        return Err(Failure::forbidden(
            "This form expired or came from another site. Open the invite link again.",
        ));
    }
    let user = state.app.auth().invitee(&secret).await?.ok_or_else(gone)?;
    let refuse = |message: String| {
        let page = invite_form(expected, &secret, &user.name, Some(&message));
        Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    if f.password != f.repeat {
        return refuse("The two passwords differ.".into());
    }
    match state.app.auth().accept_invite(&secret, &f.password).await {
        Ok(signed) => {
            let mut res = Redirect::to("/").into_response();
            let h = res.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(
                    &state,
                    SESSION_COOKIE,
                    &signed.secret,
                    closer_app::SESSION_FOR.as_secs(),
                ),
            );
            h.append(
                header::SET_COOKIE,
                set_cookie(&state, SIGN_IN_COOKIE, "", 0),
            );
            Ok(res)
        }
        Err(AppError::Invalid(errors)) => refuse(sentences(&errors)),
        Err(AppError::NotFound) => Err(gone()),
        Err(e) => Err(e.into()),
    }
}
