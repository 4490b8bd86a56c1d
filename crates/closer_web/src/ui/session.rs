//! The web app's session cookie, the signed-in-user extractor, and CSRF checks.
//!
//! The cookie is `HttpOnly` (no script reads it), `SameSite=Lax` (no other site's form or
//! script sends it with a POST) and `Secure` when closer is served over HTTPS. Every form
//! also posts the session's CSRF token back; the sign-in form, which has no session yet,
//! uses a double-submit cookie instead.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use closer_app::WebUser;

use super::Failure;
use crate::AppState;

pub const SESSION_COOKIE: &str = "closer_session";
pub const SIGN_IN_COOKIE: &str = "closer_sign_in";

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: `max_age` seconds (0 deletes it).
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: u64) -> HeaderValue {
    let secure = if state.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .expect("cookie values are hex")
}

/// Compares secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A local path to come back to after signing in; anything else is the dashboard.
///
/// Only visible ASCII is kept: browsers drop tabs and newlines from a `Location` (so
/// `/\t/evil.example` reads as `//evil.example`, another host), read `\` as `/`, and a control
/// character cannot be sent in a header at all. closer's own links are percent-encoded, so a
/// real local path never needs anything else.
pub fn local_path(next: Option<&str>) -> &str {
    match next {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && p.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            p
        }
        _ => "/",
    }
}

/// The client's address (behind trusted proxies, the one they name), for rate limits.
pub struct ClientIp(pub Option<std::net::IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            state
                .proxies
                .client_ip(&parts.headers, crate::client::peer(parts)),
        ))
    }
}

/// Refuses a sign-in or invite post past the per-address limit.
pub fn sign_in_allowed(state: &AppState, ip: &ClientIp) -> Result<(), Failure> {
    if state.sign_ins.check(ip.0) {
        Ok(())
    } else {
        Err(Failure::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "Too many sign-in attempts from this address. Wait a minute, then try again.",
        ))
    }
}

/// The signed-in user of a page. Without a live session a page redirects to the sign-in
/// form (which brings the user back), and a form post is refused.
pub struct Signed(pub WebUser);

impl Signed {
    /// Refuses a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, token: &str) -> Result<(), Failure> {
        if same_secret(token, &self.0.session.csrf) {
            Ok(())
        } else {
            Err(Failure::forbidden(
                "This form expired or came from another site. Reload the page and try again.",
            ))
        }
    }

    pub fn csrf(&self) -> &str {
        &self.0.session.csrf
    }
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let secret = cookie(&parts.headers, SESSION_COOKIE);
        let user = match secret {
            Some(s) => state
                .app
                .auth()
                .web_user(s)
                .await
                .map_err(|e| Failure::from(e).into_response())?,
            None => None,
        };
        match user {
            Some(u) => Ok(Signed(u)),
            None if parts.method == axum::http::Method::GET => {
                let here = parts
                    .uri
                    .path_and_query()
                    .map_or("/", axum::http::uri::PathAndQuery::as_str);
                let next: String = form_urlencoded::byte_serialize(here.as_bytes()).collect();
                Err(Redirect::to(&format!("/login?next={next}")).into_response())
            }
            None => Err(Failure::unauthorized().into_response()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_by_exact_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("closer_session_x=1; closer_session=abc; other=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "missing"), None);
    }

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path(Some("/queue?x=1")), "/queue?x=1");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "",
            "/\t/evil.example",
            "/\n/x",
            "/\r/x",
            "/\u{b}/x",
            "/\u{c}/x",
            "/ /evil.example",
            "/caf\u{e9}",
        ] {
            assert_eq!(local_path(Some(bad)), "/", "{bad}");
        }
        assert_eq!(local_path(None), "/");
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
    }
}
