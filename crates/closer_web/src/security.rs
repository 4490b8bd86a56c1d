//! Headers every answer carries, so a browser holds closer's pages to what they are: no
//! script but closer's own files, never inside another site's frame, no guessing of content
//! types, no page address leaked to other sites, and HTTPS only once closer is served over it.
//!
//! The web app has no inline script or style (`assets/app.js` reads its data from `data-`
//! attributes), which is what lets the policy forbid them outright.

use axum::http::{HeaderName, HeaderValue, header};
use axum::response::Response;

/// The Content-Security-Policy of every answer: closer's own files only; `data:` images for
/// the charts Chart.js draws.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// A year, as browsers and the HSTS preload list expect.
const HSTS: &str = "max-age=31536000";

/// Adds the security headers to `res` (a handler's own value wins).
pub fn add(mut res: Response, https: bool) -> Response {
    let h = res.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(header::CONTENT_SECURITY_POLICY, CSP);
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "same-origin");
    if https {
        set(header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    res
}
