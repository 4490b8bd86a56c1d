//! The web app over plain HTTP (no browser): signing in and out, the lock after repeated
//! failures, CSRF, ended sessions, other workspaces' ids, script in names, forms posted
//! twice, and page weight. Both engines.

use std::collections::HashMap;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, LOCATION, SET_COOKIE};

use crate::helpers::{Backend, TestApp, spawn_app_with};

crate::on_both_backends!(
    signing_in_and_out,
    repeated_failures_lock_the_account,
    one_address_cannot_guess_on,
    pages_hold_their_ground,
    roles_limit_what_pages_show,
    contacts_tasks_and_bulk_assignment,
    report_pages,
    settings,
    dashboards_are_kept_until_something_changes,
    passwords_from_the_terminal,
    two_reps_race_for_one_lead,
    a_contact_is_edited_in_the_app_without_overwriting_anyone,
    a_follow_up_is_added_snoozed_done_and_reopened,
    a_deal_is_lost_with_a_reason_and_the_buyers_words,
    a_deal_is_edited_without_overwriting_anyone,
);

pub const PASSWORD: &str = "a long enough passphrase";

/// A browser's view of closer: its cookies, no redirects followed.
pub struct Session<'a> {
    app: &'a TestApp,
    cookies: HashMap<String, String>,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

impl<'a> Session<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            cookies: HashMap::new(),
        }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn keep(&mut self, res: reqwest::Response) -> Page {
        for v in res.headers().get_all(SET_COOKIE) {
            let v = v.to_str().unwrap();
            assert!(v.contains("HttpOnly") && v.contains("SameSite=Lax"), "{v}");
            let (pair, _) = v.split_once(';').unwrap();
            let (k, val) = pair.split_once('=').unwrap();
            if val.is_empty() {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), val.to_owned());
            }
        }
        security_headers(res.headers(), false);
        let status = res.status();
        let location = res
            .headers()
            .get(LOCATION)
            .map(|l| l.to_str().unwrap().to_owned());
        if status.is_client_error() || status.is_server_error() {
            assert!(
                res.headers()[CONTENT_TYPE]
                    .to_str()
                    .unwrap()
                    .starts_with("text/html"),
                "pages fail as HTML"
            );
        }
        Page {
            status,
            location,
            body: res.text().await.unwrap(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let res = self
            .app
            .client
            .get(self.app.url(path))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep(res).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let res = self
            .app
            .client
            .post(self.app.url(path))
            .header("cookie", self.cookie_header())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(form).unwrap())
            .send()
            .await
            .unwrap();
        self.keep(res).await
    }

    /// Signs in through the form.
    pub async fn sign_in(&mut self, email: &str, password: &str) -> Page {
        let login = self.get("/login").await;
        let csrf = field(&login.body, "csrf");
        self.post(
            "/login",
            &[
                ("csrf", &csrf),
                ("email", email),
                ("password", password),
                ("workspace", ""),
                ("next", "/"),
            ],
        )
        .await
    }
}

/// Every answer of the web app: no inline or foreign script, no framing, no sniffing, no
/// address leaked to other sites; HSTS exactly when closer is served over HTTPS.
pub fn security_headers(h: &reqwest::header::HeaderMap, https: bool) {
    let value = |name: &str| h.get(name).map(|v| v.to_str().unwrap().to_owned());
    let csp = value("content-security-policy").expect("a Content-Security-Policy");
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert_eq!(value("x-frame-options").as_deref(), Some("DENY"));
    assert_eq!(value("x-content-type-options").as_deref(), Some("nosniff"));
    assert_eq!(value("referrer-policy").as_deref(), Some("same-origin"));
    assert_eq!(
        value("strict-transport-security").is_some(),
        https,
        "HSTS only over HTTPS"
    );
}

/// The value of the first hidden input named `name` on a page.
pub fn field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// A user of the default workspace with a password.
pub async fn user(app: &TestApp, email: &str, role: &str) -> closer_store::User {
    let u = app
        .app
        .access()
        .add_user("default", email, "Test User", role)
        .await
        .unwrap();
    app.app
        .auth()
        .set_password("default", email, PASSWORD)
        .await
        .unwrap();
    u
}

async fn signing_in_and_out(app: TestApp) {
    user(&app, "owner@acme.example", "admin").await;
    let mut s = Session::new(&app);

    // Pages send a visitor without a session to the sign-in form, and back afterwards.
    let p = s.get("/queue?x=1").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.location.as_deref(), Some("/login?next=%2Fqueue%3Fx%3D1"));

    // Wrong password, unknown email, no password set: one answer.
    for (email, password) in [
        ("owner@acme.example", "not the password"),
        ("nobody@acme.example", PASSWORD),
        ("", ""),
    ] {
        let p = s.sign_in(email, password).await;
        assert_eq!(p.status, StatusCode::UNAUTHORIZED, "{email}");
        assert!(p.body.contains("The email or password is not right."));
    }
    // A forged or missing sign-in token.
    let p = s
        .post(
            "/login",
            &[
                ("csrf", "0123456789abcdef0123456789abcdef"),
                ("email", "owner@acme.example"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);

    let p = s.sign_in("owner@acme.example", PASSWORD).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(p.location.as_deref(), Some("/"));
    let dash = s.get("/").await;
    assert_eq!(dash.status, StatusCode::OK);
    assert!(dash.body.contains("<h1>Dashboard</h1>"));
    // Its filters: a chosen period and channel, or a page saying what was wrong.
    assert_eq!(
        s.get("/?days=30&channel=email").await.status,
        StatusCode::OK
    );
    for bad in ["/?days=abc", "/?days=12", "/?colour=red"] {
        let p = s.get(bad).await;
        assert_eq!(p.status, StatusCode::BAD_REQUEST, "{bad}: {}", p.body);
    }

    // Sign-out needs the session's token; afterwards the cookie opens nothing.
    let csrf = field(&dash.body, "csrf");
    let old = s.cookies.clone();
    let p = s.post("/logout", &[("csrf", "forged")]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let p = s.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    s.cookies = old;
    assert_eq!(
        s.get("/").await.status,
        StatusCode::SEE_OTHER,
        "ended sessions open nothing"
    );
    let p = s.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(
        p.status,
        StatusCode::UNAUTHORIZED,
        "a form posted after the session ended"
    );

    // Garbage cookies are no session.
    s.cookies.insert("closer_session".into(), "<script>".into());
    assert_eq!(s.get("/").await.status, StatusCode::SEE_OTHER);

    // An open redirect through `next` goes home instead.
    let mut t = Session::new(&app);
    let login = t.get("/login?next=//evil.example").await;
    assert!(login.body.contains("name=\"next\" value=\"/\""));
    // Browsers drop tabs and newlines from a location: `/\t/evil.example` is another host.
    for next in [
        "/%09/evil.example",
        "/%0A/x",
        "/%0D/x",
        "/%0B/x",
        "/%0C/x",
        "/%5C/evil",
    ] {
        let login = t.get(&format!("/login?next={next}")).await;
        assert_eq!(login.status, StatusCode::OK, "{next}");
        assert!(
            login.body.contains("name=\"next\" value=\"/\""),
            "{next}: {}",
            login.body
        );
    }
    // Signed in, the same addresses send the user home, not to a broken header.
    let mut u = Session::new(&app);
    assert_eq!(
        u.sign_in("owner@acme.example", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    for next in ["/%09/evil.example", "/%0A/x", "/%0D/x"] {
        let p = u.get(&format!("/login?next={next}")).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{next}");
        assert_eq!(p.location.as_deref(), Some("/"), "{next}");
    }
    // A broken address is still the sign-in form.
    let login = t.get("/login?next=%ff%fe&x").await;
    assert_eq!(login.status, StatusCode::OK);
}

async fn repeated_failures_lock_the_account(app: TestApp) {
    user(&app, "rita@acme.example", "rep").await;
    let mut s = Session::new(&app);
    for _ in 0..closer_app::LOCK_AFTER {
        assert_eq!(
            s.sign_in("rita@acme.example", "wrong password")
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
    }
    let p = s.sign_in("rita@acme.example", PASSWORD).await;
    assert_eq!(
        p.status,
        StatusCode::UNAUTHORIZED,
        "locked even with the right password"
    );
    // A locked account answers as an unknown email does: nothing tells it exists.
    let unknown = s.sign_in("nobody@acme.example", PASSWORD).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    let sentence = |body: &str| {
        let at = body.find("The email or password").unwrap();
        body[at..at + body[at..].find('<').unwrap()].to_owned()
    };
    assert_eq!(sentence(&p.body), sentence(&unknown.body));
    assert!(p.body.contains("locked for 15 minutes"), "{}", p.body);
    // The operator lifts the lock by setting a new password.
    app.app
        .auth()
        .set_password("default", "rita@acme.example", PASSWORD)
        .await
        .unwrap();
    assert_eq!(
        s.sign_in("rita@acme.example", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );

    // Guesses sent at once: the attempt is counted before the password is checked, so only
    // `LOCK_AFTER` of them are checked and the rest wait out the lock unchecked. (Counted
    // after the check, all 29 were checked: the count would be 29 mod 5 = 4.)
    let email = closer_domain::Email::parse("rita@acme.example").unwrap();
    let guesses = (0..29).map(|i| {
        let app = app.app.clone();
        async move {
            app.auth()
                .sign_in(None, "rita@acme.example", &format!("guess {i}"))
                .await
        }
    });
    for r in futures::future::join_all(guesses).await {
        assert!(
            matches!(r, Err(closer_app::AppError::Unauthorized)),
            "{:?}",
            r.err()
        );
    }
    let stored = app.app.store_for_tests().credentials(&email).await.unwrap();
    assert_eq!(
        stored[0].failed_sign_ins, 0,
        "exactly one lock's worth was checked"
    );
    assert!(stored[0].locked_until.is_some());
    assert!(matches!(
        app.app
            .auth()
            .sign_in(None, "rita@acme.example", PASSWORD)
            .await,
        Err(closer_app::AppError::Unauthorized)
    ));
}

async fn one_address_cannot_guess_on(app: TestApp) {
    let mut s = Session::new(&app);
    for i in 0..closer_web::ratelimit::SIGN_INS_PER_MINUTE {
        let p = s
            .sign_in(&format!("guess{i}@acme.example"), "not a password")
            .await;
        assert_eq!(p.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    // The allowance refills over the minute: on a loaded machine, where each argon2 check is
    // slow, a few more attempts may pass before the refusal. It must come within a few.
    let mut refused = None;
    for _ in 0..10 {
        let p = s.sign_in("guess@acme.example", "not a password").await;
        if p.status == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(p);
            break;
        }
        assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    }
    let p = refused.expect("refused after the allowance");
    assert!(
        p.body
            .contains("Too many sign-in attempts from this address")
    );
}

async fn pages_hold_their_ground(app: TestApp) {
    let rep = user(&app, "rita@acme.example", "rep").await;
    let mut s = Session::new(&app);
    assert_eq!(
        s.sign_in("rita@acme.example", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );

    // A lead whose name is a script, captured the way a landing page would.
    let form = app.form("Hostile", None).await;
    let action = form["action_url"].as_str().unwrap().to_owned();
    let res = app
        .client
        .post(&action)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(
            serde_urlencoded::to_string([
                ("email", "xss@acme.example"),
                ("name", "<script>alert(1)</script>"),
                ("company", "\"><img src=x onerror=alert(2)>"),
            ])
            .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success() || res.status().is_redirection());
    let list: serde_json::Value = app
        .get("/api/v1/contacts?q=xss", &app.token)
        .await
        .json()
        .await
        .unwrap();
    let id = list["items"][0]["id"].as_str().unwrap().to_owned();
    for path in ["/queue".to_owned(), format!("/contacts/{id}")] {
        let p = s.get(&path).await;
        assert_eq!(p.status, StatusCode::OK, "{path}");
        assert!(!p.body.contains("<script>alert"), "{path} escapes names");
        assert!(!p.body.contains("<img src=x"), "{path} escapes companies");
        assert!(
            p.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{path}"
        );
    }

    // Another workspace's contact, and ids that are no ids: not found, nothing leaked.
    let theirs = app
        .post_json(
            "/api/v1/contacts",
            &app.other,
            &serde_json::json!({"email": "secret@other.example", "name": "Other Secret"}),
        )
        .await;
    let theirs: serde_json::Value = theirs.json().await.unwrap();
    let theirs = theirs["id"].as_str().unwrap();
    for path in [
        format!("/contacts/{theirs}"),
        "/contacts/not-an-id".to_owned(),
        "/contacts/00000000-0000-0000-0000-000000000000".to_owned(),
    ] {
        let p = s.get(&path).await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!p.body.contains("Other Secret"));
    }
    let page = s.get(&format!("/contacts/{id}")).await;
    // The timeline's first stage is an entry, not a move from a stage that does not exist.
    assert!(page.body.contains("entered as lead"), "{}", page.body);
    assert!(!page.body.contains("new →"), "{}", page.body);
    let csrf = field(&page.body, "csrf");
    let p = s
        .post(
            &format!("/contacts/{theirs}/activities"),
            &[
                ("csrf", &csrf),
                ("once", &uuid::Uuid::now_v7().to_string()),
                ("kind", "call"),
            ],
        )
        .await;
    assert_eq!(
        p.status,
        StatusCode::NOT_FOUND,
        "no logging on another workspace's contact"
    );

    // A forged token changes nothing.
    let once = field(&page.body, "once");
    let p = s
        .post(
            &format!("/contacts/{id}/activities"),
            &[("csrf", "forged"), ("once", &once), ("kind", "call")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);

    // The same form posted twice logs one call and opens one deal.
    for _ in 0..2 {
        let p = s
            .post(
                &format!("/contacts/{id}/activities"),
                &[
                    ("csrf", &csrf),
                    ("once", &once),
                    ("kind", "call"),
                    ("outcome", "reached"),
                    ("text", ""),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    }
    let deal_once = {
        let marker = "name=\"once\" value=\"";
        let first = page.body.find(marker).unwrap();
        // The deal form comes first on the page, the activity form second.
        page.body[first + marker.len()..]
            .split('"')
            .next()
            .unwrap()
            .to_owned()
    };
    assert_ne!(deal_once, "");
    for _ in 0..2 {
        let p = s
            .post(
                &format!("/contacts/{id}/deals"),
                &[
                    ("csrf", &csrf),
                    ("once", &deal_once),
                    ("title", "Pilot"),
                    ("amount", "1200.50"),
                    ("currency", "usd"),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    }
    let acts: serde_json::Value = app
        .get(&format!("/api/v1/contacts/{id}/activities"), &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(acts.as_array().unwrap().len(), 1, "{acts}");
    let deals: serde_json::Value = app
        .get(&format!("/api/v1/deals?contact_id={id}"), &app.token)
        .await
        .json()
        .await
        .unwrap();
    let deals = deals.as_array().unwrap();
    assert_eq!(deals.len(), 1, "{deals:?}");
    assert_eq!(deals[0]["amount"], "1200.50");
    assert_eq!(deals[0]["owner_id"], rep.id.0.to_string());

    // Bad input on a form: a page saying what, not a 500.
    let p = s
        .post(
            &format!("/contacts/{id}/deals"),
            &[
                ("csrf", &csrf),
                ("once", &uuid::Uuid::now_v7().to_string()),
                ("title", "X"),
                ("amount", "lots"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert!(p.body.contains("amount"));
    let p = s
        .post(&format!("/contacts/{id}/deals"), &[("csrf", &csrf)])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    let big = "x".repeat(100_000);
    let p = s
        .post(
            &format!("/contacts/{id}/activities"),
            &[("csrf", &csrf), ("text", &big)],
        )
        .await;
    assert_eq!(p.status, StatusCode::PAYLOAD_TOO_LARGE);

    // The deal moves on the board: Lost needs a reason; a repeated move is harmless.
    let deal = deals[0]["id"].as_str().unwrap();
    let board = s.get("/board").await;
    assert_eq!(board.status, StatusCode::OK);
    assert!(board.body.contains("Pilot"));
    let p = s
        .post(
            &format!("/deals/{deal}/move"),
            &[("csrf", &csrf), ("stage", "Lost")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert!(
        p.body.contains("name=\"loss_reason\""),
        "Lost asks for the reason"
    );
    let moving = s.get(&format!("/deals/{deal}/move")).await;
    assert_eq!(
        moving.status,
        StatusCode::OK,
        "the keyboard's way to move a card"
    );
    assert!(moving.body.contains("<label for=\"move-stage\">"));
    for _ in 0..2 {
        let p = s
            .post(
                &format!("/deals/{deal}/move"),
                &[("csrf", &csrf), ("stage", "Won")],
            )
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    }

    // Page weight: the dashboard with everything it loads stays under 300 KB.
    let dash = s.get("/").await;
    let mut weight = dash.body.len();
    for src in dash
        .body
        .split("src=\"")
        .skip(1)
        .chain(dash.body.split("href=\"").skip(1))
    {
        let path = src.split('"').next().unwrap();
        if path.starts_with("/assets/") {
            let a = s.get(path).await;
            assert_eq!(a.status, StatusCode::OK, "{path}");
            weight += a.body.len();
        }
    }
    assert!(weight < 300 * 1024, "dashboard weighs {weight} bytes");
}

async fn roles_limit_what_pages_show(app: TestApp) {
    user(&app, "mark@acme.example", "marketer").await;
    let mut s = Session::new(&app);
    assert_eq!(
        s.sign_in("mark@acme.example", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let dash = s.get("/").await;
    assert_eq!(dash.status, StatusCode::OK);
    assert!(
        !dash.body.contains("href=\"/board\""),
        "no board in a marketer's menu"
    );
    assert_eq!(s.get("/board").await.status, StatusCode::FORBIDDEN);
    assert_eq!(s.get("/queue").await.status, StatusCode::FORBIDDEN);
}

/// A lead captured through a public form, as a landing page would post it.
async fn lead(app: &TestApp, email: &str, name: &str) -> String {
    let form = app.form(&format!("Form {email}"), None).await;
    let res = app
        .client
        .post(form["action_url"].as_str().unwrap())
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string([("email", email), ("name", name)]).unwrap())
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success() || res.status().is_redirection());
    let list: serde_json::Value = app
        .get(&format!("/api/v1/contacts?q={email}"), &app.token)
        .await
        .json()
        .await
        .unwrap();
    list["items"][0]["id"].as_str().unwrap().to_owned()
}

async fn contacts_tasks_and_bulk_assignment(app: TestApp) {
    let manager = user(&app, "maria@acme.example", "manager").await;
    let rep = user(&app, "rita@acme.example", "rep").await;
    let ada = lead(&app, "ada@acme.example", "Ada Lovelace").await;
    let alan = lead(&app, "alan@acme.example", "Alan Turing").await;

    // The manager finds Ada by name, and every contact without a filter.
    let mut m = Session::new(&app);
    assert_eq!(
        m.sign_in("maria@acme.example", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let p = m
        .get("/contacts?q=lovelace&stage=&temperature=&owner=&channel=")
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(p.body.contains("Ada Lovelace") && !p.body.contains("Alan Turing"));
    let p = m.get("/contacts?stage=lead").await;
    assert!(p.body.contains("Ada Lovelace") && p.body.contains("Alan Turing"));
    for bad in [
        "/contacts?stage=royalty",
        "/contacts?temperature=tepid",
        "/contacts?channel=pigeon",
        "/contacts?colour=red",
    ] {
        let p = m.get(bad).await;
        assert_eq!(p.status, StatusCode::BAD_REQUEST, "{bad}: {}", p.body);
    }

    // Bulk: Ada and Alan to the rep, checked whole.
    let csrf = field(&p.body, "csrf");
    let rep_id = rep.id.0.to_string();
    let p = m
        .post(
            "/contacts/assign",
            &[
                ("csrf", &csrf),
                ("owner", &rep_id),
                ("id", &ada),
                ("id", "00000000-0000-0000-0000-000000000000"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    let c: serde_json::Value = app
        .get(&format!("/api/v1/contacts/{ada}"), &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        c["owner_id"].is_null(),
        "a bad id in the batch changes nothing"
    );
    let p = m
        .post(
            "/contacts/assign",
            &[
                ("csrf", &csrf),
                ("owner", &rep_id),
                ("id", &ada),
                ("id", &alan),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    for id in [&ada, &alan] {
        let c: serde_json::Value = app
            .get(&format!("/api/v1/contacts/{id}"), &app.token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(c["owner_id"], rep_id.as_str());
    }

    // The rep sees their own contacts, cannot assign in bulk, takes nothing from others.
    let mut r = Session::new(&app);
    assert_eq!(
        r.sign_in("rita@acme.example", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let p = r.get(&format!("/contacts?owner={}", manager.id.0)).await;
    assert!(
        p.body.contains("Ada Lovelace"),
        "a rep's list is their own, whatever the filter says"
    );
    let rcsrf = field(&p.body, "csrf");
    let p = r
        .post(
            "/contacts/assign",
            &[("csrf", &rcsrf), ("owner", "none"), ("id", &ada)],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);

    // The manager unassigns Alan; the rep takes him from the queue: a task due within the hour.
    let p = m
        .post(
            "/contacts/assign",
            &[("csrf", &csrf), ("owner", "none"), ("id", &alan)],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    for _ in 0..2 {
        let p = r
            .post(&format!("/queue/{alan}/take"), &[("csrf", &rcsrf)])
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    }
    let tasks = r.get("/tasks").await;
    assert_eq!(tasks.status, StatusCode::OK);
    assert_eq!(
        tasks.body.matches("Done: Call Alan Turing").count(),
        1,
        "one task for a double press"
    );
    // Due an hour after the take: today's list, or after 23:00 UTC tomorrow's ("Later").
    let (today_at, later_at) = (
        tasks.body.find("Today").unwrap(),
        tasks.body.find("Later").unwrap(),
    );
    let (today, later) = (&tasks.body[today_at..later_at], &tasks.body[later_at..]);
    let day: i64 = 86_400_000_000;
    let now = closer_domain::Timestamp::now().unix_micros();
    let due = now + 3_600_000_000;
    let listed = if (due - 60_000_000).div_euclid(day) != (due + 60_000_000).div_euclid(day) {
        // Midnight falls within a minute of the due time: either list is right.
        today.contains("Call Alan Turing") || later.contains("Call Alan Turing")
    } else if due.div_euclid(day) == now.div_euclid(day) {
        today.contains("Call Alan Turing")
    } else {
        later.contains("Call Alan Turing")
    };
    assert!(listed, "due within the hour: {}", tasks.body);
    let task_form = tasks.body.find("/tasks/").unwrap();
    let task_path = tasks.body[task_form..]
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    // The manager may not take Alan back silently, but may; another rep may not (checked in
    // the app); here: the rep's task is done with one press.
    let p = r.post(&task_path, &[("csrf", &rcsrf)]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert!(!r.get("/tasks").await.body.contains("Call Alan Turing"));
    // Nobody else's task may be closed by a rep.
    let p = r
        .post(
            "/tasks/00000000-0000-0000-0000-000000000000/done",
            &[("csrf", &rcsrf)],
        )
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
}

async fn report_pages(app: TestApp) {
    let ws = app.default_workspace().await;
    // Enough leads that the page's default period has won deals (the bottleneck needs them).
    app.app
        .demo()
        .fill_demo(ws, 500, 3, closer_domain::Timestamp::now(), |_, _| {})
        .await
        .unwrap();
    user(&app, "rita@acme.example", "rep").await;
    let mut s = Session::new(&app);
    assert_eq!(
        s.sign_in("rita@acme.example", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    for path in [
        "/reports/funnel",
        "/reports/funnel?view=flow&by=channel&from=&to=",
        "/reports/measures?by=owner",
        "/reports/retention",
        "/reports/ltv",
        "/reports/attribution?model=position_based&by=campaign",
        "/reports/bottleneck?by=channel",
    ] {
        let p = s.get(path).await;
        assert_eq!(p.status, StatusCode::OK, "{path}: {}", p.body);
        assert!(
            p.body.contains("<table>"),
            "{path} has its tables: {}",
            p.body
        );
        assert!(p.body.contains("Download CSV"));
    }
    let res = app
        .client
        .get(app.url("/reports/funnel.csv?by=channel"))
        .header("cookie", s.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("closer-funnel.csv")
    );
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with("section,group,step,count"), "{csv}");
    // Pages are kept until something they count changes, then shown marked while the new
    // figures are computed, then the new figures.
    let tables = |body: &str| body[body.find("<section>").unwrap()..].to_owned();
    let kept = s.get("/reports/funnel").await;
    assert!(kept.body.contains("Figures as of"), "{}", kept.body);
    assert!(!kept.body.contains("being computed"));
    lead(&app, "late@acme.example", "Late Lead").await;
    let marked = s.get("/reports/funnel").await;
    assert!(marked.body.contains("being computed"), "{}", marked.body);
    assert_eq!(tables(&marked.body), tables(&kept.body), "the kept figures");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let p = s.get("/reports/funnel").await;
        if !p.body.contains("being computed") {
            assert_ne!(tables(&p.body), tables(&kept.body), "the new lead counted");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never refreshed");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    for (path, status) in [
        ("/reports/nope", StatusCode::NOT_FOUND),
        (
            "/reports/funnel?from=2026-02-01&to=2026-01-01",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/reports/funnel?by=property:&prop=no_such_property",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("/reports/funnel?colour=red", StatusCode::BAD_REQUEST),
        (
            "/reports/attribution?by=owner",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let p = s.get(path).await;
        assert_eq!(p.status, status, "{path}: {}", p.body);
    }
}

/// Every value of the hidden or text inputs named `name`, in page order.
fn fields(html: &str, name: &str) -> Vec<String> {
    let marker = format!("name=\"{name}\" value=\"");
    html.match_indices(&marker)
        .map(|(i, _)| {
            html[i + marker.len()..]
                .split('"')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect()
}

async fn settings(app: TestApp) {
    user(&app, "olga@acme.example", "admin").await;
    user(&app, "rita@acme.example", "rep").await;
    let mut rep = Session::new(&app);
    assert_eq!(
        rep.sign_in("rita@acme.example", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(rep.get("/settings").await.status, StatusCode::FORBIDDEN);
    let mut admin = Session::new(&app);
    assert_eq!(
        admin.sign_in("olga@acme.example", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let page = admin.get("/settings").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let csrf = field(&page.body, "csrf");
    // A rep's token cannot post an admin's forms.
    let rcsrf = field(&rep.get("/").await.body, "csrf");
    assert_eq!(
        rep.post(
            "/settings/sites",
            &[("csrf", &rcsrf), ("domain", "x.example")]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );

    // Sites and forms, with their snippets.
    assert_eq!(
        admin
            .post(
                "/settings/sites",
                &[("csrf", &csrf), ("domain", "www.acme.example")]
            )
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        admin
            .post(
                "/settings/sites",
                &[("csrf", &csrf), ("domain", "not a domain")]
            )
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        admin
            .post(
                "/settings/forms",
                &[("csrf", &csrf), ("name", "Demo request"), ("redirect", "")]
            )
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let page = admin.get("/settings").await;
    assert!(
        page.body.contains("<li>acme.example") && page.body.contains("/js/closer.js"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("Demo request") && page.body.contains("&lt;form action="),
        "the embed snippet, escaped"
    );

    // Users and invite links: used once, then gone.
    assert_eq!(
        admin
            .post(
                "/settings/users",
                &[
                    ("csrf", &csrf),
                    ("email", "ned@acme.example"),
                    ("name", "Ned New"),
                    ("role", "manager")
                ]
            )
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        admin
            .post(
                "/settings/users",
                &[
                    ("csrf", &csrf),
                    ("email", "ned@acme.example"),
                    ("name", "Ned Again"),
                    ("role", "rep")
                ]
            )
            .await
            .status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        admin
            .post(
                "/settings/users",
                &[
                    ("csrf", &csrf),
                    ("email", "x@acme.example"),
                    ("name", "X"),
                    ("role", "boss")
                ]
            )
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let users = app
        .app
        .access()
        .users(app.default_workspace().await)
        .await
        .unwrap();
    let ned = users
        .iter()
        .find(|u| u.email.as_str() == "ned@acme.example")
        .unwrap();
    let shown = admin
        .post(
            &format!("/settings/users/{}/invite", ned.id.0),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(shown.status, StatusCode::OK);
    let link = shown
        .body
        .split("/invite/")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let path = format!("/invite/{link}");
    let mut ned_session = Session::new(&app);
    let form = ned_session.get(&path).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("Welcome, Ned New"));
    let ncsrf = field(&form.body, "csrf");
    let p = ned_session
        .post(
            &path,
            &[
                ("csrf", &ncsrf),
                ("password", "long enough one"),
                ("repeat", "long enough two"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    let p = ned_session
        .post(
            &path,
            &[("csrf", &ncsrf), ("password", "short"), ("repeat", "short")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    let p = ned_session
        .post(
            &path,
            &[
                ("csrf", &ncsrf),
                ("password", "long enough one"),
                ("repeat", "long enough one"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(
        ned_session.get("/").await.status,
        StatusCode::OK,
        "signed in by the invite"
    );
    assert_eq!(
        Session::new(&app).get(&path).await.status,
        StatusCode::NOT_FOUND,
        "used once"
    );
    assert_eq!(
        Session::new(&app)
            .sign_in("ned@acme.example", "long enough one")
            .await
            .status,
        StatusCode::SEE_OTHER
    );

    // API tokens: shown once, working, then revoked.
    let shown = admin
        .post(
            "/settings/tokens",
            &[("csrf", &csrf), ("label", "zapier"), ("role", "member")],
        )
        .await;
    assert_eq!(shown.status, StatusCode::OK);
    let secret = format!(
        "clsr_{}",
        shown
            .body
            .split("clsr_")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
    );
    assert_eq!(
        app.get("/api/v1/contacts", &secret).await.status(),
        StatusCode::OK
    );
    let page = admin.get("/settings").await;
    let i = page.body.find("zapier").unwrap();
    let revoke = page.body[i..]
        .split("action=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert!(revoke.ends_with("/revoke"), "{revoke}");
    assert_eq!(
        admin.post(&revoke, &[("csrf", &csrf)]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.get("/api/v1/contacts", &secret).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // Rules: a bad file is refused with the text kept, the rules in force unchanged.
    let ws = app.default_workspace().await;
    let before = app
        .app
        .scoring()
        .workspace_rules(ws)
        .await
        .unwrap()
        .source
        .clone();
    let p = admin
        .post(
            "/settings/rules",
            &[
                ("csrf", &csrf),
                ("source", "[temperature]\nhot_within_days = -3\n"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.body.contains("Not applied") && p.body.contains("hot_within_days = -3"),
        "{}",
        p.body
    );
    assert_eq!(
        app.app.scoring().workspace_rules(ws).await.unwrap().source,
        before
    );
    let edited = before.replace("hot_within_days = 14", "hot_within_days = 10");
    assert_ne!(edited, before);
    assert_eq!(
        admin
            .post("/settings/rules", &[("csrf", &csrf), ("source", &edited)])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert!(
        app.app
            .scoring()
            .workspace_rules(ws)
            .await
            .unwrap()
            .source
            .contains("hot_within_days = 10")
    );

    // Pipelines: a stage added from the blank row; a bad probability is refused.
    let page = admin.get("/settings").await;
    let action = page
        .body
        .split("action=\"/settings/pipelines/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let ids = fields(&page.body, "stage_id");
    let names = fields(&page.body, "stage_name");
    let probs = fields(&page.body, "stage_probability");
    let forecasts = fields(&page.body, "stage_forecast");
    let kinds = fields(&page.body, "stage_kind");
    assert_eq!(
        names.len() + 1,
        ids.len(),
        "the blank row has no name value"
    );
    let mut form: Vec<(String, String)> = vec![
        ("csrf".into(), csrf.clone()),
        ("name".into(), "Sales".into()),
    ];
    for i in 0..names.len() {
        form.push(("stage_id".into(), ids[i].clone()));
        form.push(("stage_name".into(), names[i].clone()));
        form.push(("stage_probability".into(), probs[i].clone()));
        form.push(("stage_forecast".into(), forecasts[i].clone()));
        form.push(("stage_kind".into(), kinds[i].clone()));
    }
    let mut bad = form.clone();
    bad.extend(
        [
            ("stage_id", ""),
            ("stage_name", "Trial"),
            ("stage_probability", "200"),
            ("stage_forecast", "pipeline"),
            ("stage_kind", "open"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    let refs: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        admin
            .post(&format!("/settings/pipelines/{action}"), &refs)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    form.extend(
        [
            ("stage_id", ""),
            ("stage_name", "Trial"),
            ("stage_probability", "30"),
            ("stage_forecast", "pipeline"),
            ("stage_kind", "open"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    let refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let p = admin
        .post(&format!("/settings/pipelines/{action}"), &refs)
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let pipelines = app.app.sales().pipelines(ws).await.unwrap();
    assert!(
        pipelines[0].stages.iter().any(|s| s.name == "Trial"),
        "{pipelines:?}"
    );
}

async fn dashboards_are_kept_until_something_changes(app: TestApp) {
    use closer_app::reports_view::Cached;
    let ws = app.default_workspace().await;
    app.app
        .demo()
        .fill_demo(ws, 150, 5, closer_domain::Timestamp::now(), |_, _| {})
        .await
        .unwrap();
    // Eight people at once: one computation, the same dashboard for all.
    let views =
        futures::future::join_all((0..8).map(|_| app.app.reports().dashboard_for(ws, 90))).await;
    let shown: Vec<_> = views
        .into_iter()
        .map(|v| match v.unwrap() {
            Cached::Fresh(d) => d,
            Cached::Refreshing(_) => panic!("nothing to refresh yet"),
        })
        .collect();
    assert!(
        shown.iter().all(|d| std::sync::Arc::ptr_eq(d, &shown[0])),
        "computed once"
    );
    let Cached::Fresh(first) = app.app.reports().dashboard_for(ws, 90).await.unwrap() else {
        panic!("the first view computes");
    };
    let Cached::Fresh(again) = app.app.reports().dashboard_for(ws, 90).await.unwrap() else {
        panic!("nothing changed");
    };
    assert!(
        std::sync::Arc::ptr_eq(&first, &again),
        "kept, not recomputed"
    );
    // A change: the kept dashboard is shown while the new one is computed, then the new one.
    lead(&app, "late@acme.example", "Late Lead").await;
    match app.app.reports().dashboard_for(ws, 90).await.unwrap() {
        Cached::Refreshing(kept) => assert!(std::sync::Arc::ptr_eq(&kept, &first)),
        Cached::Fresh(_) => panic!("a changed workspace is not fresh"),
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if let Cached::Fresh(new) = app.app.reports().dashboard_for(ws, 90).await.unwrap() {
            assert!(!std::sync::Arc::ptr_eq(&new, &first));
            assert!(
                (new.view(None).leads.now - first.view(None).leads.now - 1.0).abs() < 1e-9,
                "the new lead counted"
            );
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never refreshed");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A page whose figures nobody has computed answers at once (here: without waiting at all)
/// with a notice that reloads it, and shows the figures on a later view; one computation
/// serves every channel of a dashboard period.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_answer_while_their_figures_are_computed() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = spawn_app_with(backend, |c| c.page_wait = std::time::Duration::ZERO).await
        else {
            continue;
        };
        figures_being_computed(&app).await;
    }
}

async fn figures_being_computed(app: &TestApp) {
    let ws = app.default_workspace().await;
    app.app
        .demo()
        .fill_demo(ws, 150, 5, closer_domain::Timestamp::now(), |_, _| {})
        .await
        .unwrap();
    user(app, "rita@acme.example", "admin").await;
    let mut s = Session::new(app);
    assert_eq!(
        s.sign_in("rita@acme.example", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    for (path, figures) in [
        ("/?days=30", "<canvas"),
        ("/reports/measures?by=owner", "<table>"),
    ] {
        let first = s.get(path).await;
        assert_eq!(first.status, StatusCode::OK, "{path}: {}", first.body);
        assert!(first.body.contains("being computed"), "{}", first.body);
        assert!(
            first.body.contains("data-reload-in"),
            "the page reloads itself"
        );
        assert!(!first.body.contains(figures), "{path}: no figures yet");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let p = s.get(path).await;
            assert_eq!(p.status, StatusCode::OK);
            if p.body.contains(figures) {
                assert!(!p.body.contains("data-reload-in"), "{path}");
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{path}: never computed"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
    // Another channel of the same period: from the same computation, at once.
    let email = s.get("/?days=30&channel=email").await;
    assert!(email.body.contains("<canvas"), "{}", email.body);
    // A query the report refuses is refused at once, not left "being computed".
    let p = s
        .get("/reports/funnel?by=property:&prop=no_such_property")
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
}

/// `closer user passwd` from a terminal: the first line of standard input.
fn passwd(app: &TestApp, email: &str, stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_closer"))
        .args(["user", "passwd", email, "--workspace", "default"])
        .env("CLOSER_DATABASE_URL", app.database_url())
        .env("CLOSER_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

async fn passwords_from_the_terminal(app: TestApp) {
    app.app
        .access()
        .add_user("default", "tess@acme.example", "Tess Terminal", "manager")
        .await
        .unwrap();
    let short = passwd(&app, "tess@acme.example", "short\n");
    assert!(!short.status.success());
    assert_eq!(
        String::from_utf8_lossy(&short.stderr).trim(),
        "error: password: must be at least 10 characters"
    );
    let nobody = passwd(&app, "nobody@acme.example", "long enough words\n");
    assert!(
        String::from_utf8_lossy(&nobody.stderr).contains("no user of \"default\" has this email")
    );
    let ok = passwd(&app, "tess@acme.example", "long enough words\n");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&ok.stdout).trim(),
        "password set for tess@acme.example (manager)"
    );
    let mut s = Session::new(&app);
    assert_eq!(
        s.sign_in("tess@acme.example", "long enough words")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    // An invite link from the terminal, for a user who chooses their own password.
    app.app
        .access()
        .add_user("default", "ivan@acme.example", "Ivan Invited", "rep")
        .await
        .unwrap();
    let out = crate::helpers::closer(
        &app.database_url(),
        &[
            "user",
            "invite",
            "ivan@acme.example",
            "--public-url",
            &app.base,
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let link = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let path = link
        .strip_prefix(&app.base)
        .expect("a link to this server")
        .to_owned();
    let mut invited = Session::new(&app);
    let form = invited.get(&path).await;
    assert_eq!(form.status, StatusCode::OK, "{link}");
    let csrf = field(&form.body, "csrf");
    let p = invited
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("password", "chosen by ivan"),
                ("repeat", "chosen by ivan"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let nobody = crate::helpers::closer(
        &app.database_url(),
        &["user", "invite", "nobody@acme.example"],
    );
    assert!(
        String::from_utf8_lossy(&nobody.stderr).contains("no user of \"default\" has this email")
    );
}

async fn two_reps_race_for_one_lead(app: TestApp) {
    user(&app, "ana@acme.example", "rep").await;
    user(&app, "ben@acme.example", "rep").await;
    let id = lead(&app, "race@acme.example", "Race Lead").await;
    let mut ana = Session::new(&app);
    let mut ben = Session::new(&app);
    assert_eq!(
        ana.sign_in("ana@acme.example", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        ben.sign_in("ben@acme.example", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let (a_csrf, b_csrf) = (
        field(&ana.get("/tasks").await.body, "csrf"),
        field(&ben.get("/tasks").await.body, "csrf"),
    );
    let path = format!("/queue/{id}/take");
    let a_form = [("csrf", a_csrf.as_str())];
    let b_form = [("csrf", b_csrf.as_str())];
    let (a, b) = tokio::join!(ana.post(&path, &a_form), ben.post(&path, &b_form));
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::SEE_OTHER, StatusCode::CONFLICT],
        "one takes it, one is told"
    );
    let tasks: serde_json::Value = app
        .get(&format!("/api/v1/tasks?contact_id={id}"), &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        tasks.as_array().map(Vec::len),
        Some(1),
        "one follow-up task: {tasks}"
    );
}

/// Served at an `https://` address, every answer tells browsers to use nothing else. The
/// headers do not depend on the engine: SQLite only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_pages_ask_for_https_only() {
    let app = spawn_app_with(Backend::Sqlite, |c| {
        c.public_url = Some("https://closer.acme.example".into());
    })
    .await
    .unwrap();
    for path in ["/login", "/", "/api/v1/contacts", "/nowhere"] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        security_headers(res.headers(), true);
        assert_eq!(
            res.headers()["strict-transport-security"],
            "max-age=31536000",
            "{path}"
        );
    }
}

/// The edit page: the API's messages next to the fields, nothing saved on a mistake; a save;
/// and a form drawn before someone else saved shows their version instead of overwriting it.
async fn a_contact_is_edited_in_the_app_without_overwriting_anyone(app: TestApp) {
    user(&app, "editor@acme.example", "manager").await;
    let made: serde_json::Value = app
        .post_json(
            "/api/v1/contacts",
            &app.token,
            &serde_json::json!({"email": "lin@acme.example", "name": "Lin", "phone": "+14155550100"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = made["id"].as_str().unwrap().to_owned();
    let mut s = Session::new(&app);
    s.sign_in("editor@acme.example", PASSWORD).await;
    let contact_page = s.get(&format!("/contacts/{id}")).await;
    assert!(contact_page.body.contains(&format!("/contacts/{id}/edit")));
    let form = s.get(&format!("/contacts/{id}/edit")).await;
    assert_eq!(form.status, StatusCode::OK);
    for label in [
        "Name",
        "Emails",
        "Phones",
        "Company",
        "Job title",
        "Stage",
        "Owner",
    ] {
        assert!(
            form.body.contains(&format!(">{label}")),
            "a label for {label}"
        );
    }
    assert!(form.body.contains(">Save</button>"));
    let csrf = field(&form.body, "csrf");
    let read_at = field(&form.body, "read_at");
    // A mistake: the API's message beside the field, nothing saved.
    let wrong = edit(
        &mut s,
        (&id, &csrf, &read_at),
        "lin@acme.example\nnot an email",
        "+1 415 555 0100",
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("id=\"emails-error\""), "{}", wrong.body);
    assert!(
        wrong.body.contains("not an email"),
        "what was typed is kept"
    );
    let stored: serde_json::Value = app
        .get(&format!("/api/v1/contacts/{id}"), &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored["name"], "Lin");
    // The phone fixed, in any formatting.
    let saved = edit(
        &mut s,
        (&id, &csrf, &read_at),
        "lin@acme.example",
        "+1 (415) 555-0199",
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let stored: serde_json::Value = app
        .get(&format!("/api/v1/contacts/{id}"), &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored["name"], "Lin Wu");
    assert_eq!(stored["phones"], serde_json::json!(["+14155550199"]));
    assert_eq!(stored["stage"], "prospect");
    // The same form posted again was drawn before that save: a conflict, not an overwrite.
    let res = app
        .patch_json(
            &format!("/api/v1/contacts/{id}"),
            &app.token,
            &serde_json::json!({"job_title": "CTO"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let stale = edit(
        &mut s,
        (&id, &csrf, &read_at),
        "lin@acme.example",
        "+1 415 555 0100",
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(
        stale.body.contains("Someone saved this contact"),
        "{}",
        stale.body
    );
    assert!(stale.body.contains("CTO"), "their version is shown");
    let stored: serde_json::Value = app
        .get(&format!("/api/v1/contacts/{id}"), &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored["job_title"], "CTO", "nothing overwritten");
    assert_eq!(stored["phones"], serde_json::json!(["+14155550199"]));
    // The API takes the same precondition.
    let res = app
        .patch_json(
            &format!("/api/v1/contacts/{id}"),
            &app.token,
            &serde_json::json!({"name": "Old", "if_unchanged_since": made["updated_at"]}),
        )
        .await;
    assert_eq!(res.status(), 409);
    let res = app
        .patch_json(
            &format!("/api/v1/contacts/{id}"),
            &app.token,
            &serde_json::json!({"name": "New", "if_unchanged_since": stored["updated_at"]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    // A new contact: a lead needs an email or a phone; someone already there is found.
    let list = s.get("/contacts").await;
    assert!(list.body.contains("href=\"/contacts/new\""));
    let form = s.get("/contacts/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains(">Save</button>"));
    let new_contact = |name: &'static str, emails: &'static str| {
        let csrf = csrf.clone();
        (csrf, name, emails)
    };
    for ((csrf, name, emails), status) in [
        (new_contact("Nobody", ""), StatusCode::UNPROCESSABLE_ENTITY),
        (
            new_contact("Mo Chen", "mo@acme.example"),
            StatusCode::SEE_OTHER,
        ),
        (new_contact("Mo", "mo@acme.example"), StatusCode::OK),
    ] {
        let page = s
            .post(
                "/contacts/new",
                &[
                    ("csrf", csrf.as_str()),
                    ("name", name),
                    ("emails", emails),
                    ("stage", "lead"),
                ],
            )
            .await;
        assert_eq!(page.status, status, "{name}: {}", page.body);
        match status {
            StatusCode::UNPROCESSABLE_ENTITY => assert!(page.body.contains("id=\"emails-error\"")),
            StatusCode::OK => assert!(page.body.contains("already in closer"), "{}", page.body),
            _ => assert!(page.location.unwrap().starts_with("/contacts/")),
        }
    }

    // And the terminal: only what is given changes; every mistake is named.
    let db = app.database_url();
    let out = crate::helpers::closer(
        &db,
        &[
            "contact",
            "edit",
            &id,
            "--phone",
            "+1 415 555 0111",
            "--job-title",
            "",
            "--owner",
            "editor@acme.example",
        ],
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("phones: +14155550111") && said.contains("job title: —"),
        "{said}"
    );
    assert!(said.contains("name: New"), "left alone: {said}");
    let out = crate::helpers::closer(
        &db,
        &["contact", "edit", &id, "--email", "nope", "--stage", "boss"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("email") && err.contains("stage"), "{err}");
}

/// Posts the edit form of contact `id` (with its csrf and read time) with these emails and
/// phones.
async fn edit(
    s: &mut Session<'_>,
    (id, csrf, read_at): (&str, &str, &str),
    emails: &str,
    phones: &str,
) -> Page {
    s.post(
        &format!("/contacts/{id}/edit"),
        &[
            ("csrf", csrf),
            ("read_at", read_at),
            ("name", "Lin Wu"),
            ("emails", emails),
            ("phones", phones),
            ("company", "Acme"),
            ("job_title", ""),
            ("stage", "prospect"),
            ("owner", ""),
        ],
    )
    .await
}

/// A rep's follow-up from a contact's page: added once however often the form is posted,
/// refused with the field named when its day is wrong, snoozed a day, done, and reopened.
async fn a_follow_up_is_added_snoozed_done_and_reopened(app: TestApp) {
    let rep = user(&app, "rita@acme.example", "rep").await;
    let made: serde_json::Value = app
        .post_json(
            "/api/v1/contacts",
            &app.token,
            &serde_json::json!({"email": "ken@acme.example", "owner_id": rep.id.0}),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = made["id"].as_str().unwrap().to_owned();
    let mut s = Session::new(&app);
    s.sign_in("rita@acme.example", PASSWORD).await;
    let contact_page = s.get(&format!("/contacts/{id}")).await;
    assert!(contact_page.body.contains(">Add task</button>"));
    let csrf = field(&contact_page.body, "csrf");
    let task_form = contact_page
        .body
        .split(&format!("action=\"/contacts/{id}/tasks\""))
        .nth(1)
        .expect("the follow-up form");
    let once = field(task_form, "once");
    let bad = s
        .post(
            &format!("/contacts/{id}/tasks"),
            &[
                ("csrf", &csrf),
                ("once", &once),
                ("title", "Call back"),
                ("due_date", "someday"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("id=\"due_date-error\"") && bad.body.contains("value=\"Call back\""),
        "the mistake next to its field, what was typed kept: {}",
        bad.body
    );
    for _ in 0..2 {
        let p = s
            .post(
                &format!("/contacts/{id}/tasks"),
                &[
                    ("csrf", &csrf),
                    ("once", &once),
                    ("title", "Call back"),
                    ("due_date", "2030-05-02"),
                    ("due_time", "14:30"),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    }
    let tasks: serde_json::Value = app
        .get(
            &format!("/api/v1/tasks?contact_id={id}&status=all"),
            &app.token,
        )
        .await
        .json()
        .await
        .unwrap();
    let tasks = tasks.as_array().unwrap();
    assert_eq!(
        tasks.len(),
        1,
        "one task for a form posted twice: {tasks:?}"
    );
    assert_eq!(tasks[0]["due_at"], "2030-05-02T14:30:00Z");
    assert_eq!(tasks[0]["assignee_id"], rep.id.0.to_string());
    let task = tasks[0]["id"].as_str().unwrap().to_owned();
    let mine = s.get("/tasks").await;
    assert!(mine.body.contains("Snooze a day"));
    let p = s
        .post(&format!("/tasks/{task}/snooze"), &[("csrf", &csrf)])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let t = the_task(&app, &id).await;
    assert_eq!(t["due_at"], "2030-05-03T14:30:00Z", "a day later");
    let p = s
        .post(&format!("/tasks/{task}/done"), &[("csrf", &csrf)])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let page = s.get(&format!("/contacts/{id}")).await;
    assert!(
        page.body.contains(&format!("/tasks/{task}/reopen")),
        "a done task can be reopened"
    );
    let p = s
        .post(&format!("/tasks/{task}/reopen"), &[("csrf", &csrf)])
        .await;
    assert_eq!(
        p.location.as_deref(),
        Some(format!("/contacts/{id}").as_str())
    );
    let t = the_task(&app, &id).await;
    assert_eq!(t["status"], "open");
    // The terminal adds and changes tasks under the same rules.
    let db = app.database_url();
    let out = crate::helpers::closer(
        &db,
        &[
            "task",
            "add",
            "--title",
            "Renew the domain",
            "--due",
            "2030-06-01 10:00",
            "--assignee",
            "rita@acme.example",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        said.contains("due 2030-06-01T10:00:00Z") && said.contains("Renew the domain"),
        "{said}"
    );
    let new_task = said.split_whitespace().next().unwrap().to_owned();
    let out = crate::helpers::closer(
        &db,
        &[
            "task",
            "set",
            &new_task,
            "--status",
            "done",
            "--assignee",
            "none",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(" done "));
    let out = crate::helpers::closer(&db, &["task", "add", "--title", " ", "--due", "someday"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("title") && err.contains("due"), "{err}");
}

/// The one task on contact `id`, whatever its status.
async fn the_task(app: &TestApp, id: &str) -> serde_json::Value {
    let tasks: serde_json::Value = app
        .get(
            &format!("/api/v1/tasks?contact_id={id}&status=all"),
            &app.token,
        )
        .await
        .json()
        .await
        .unwrap();
    tasks[0].clone()
}

/// Losing a deal from the board's move page: the reason from the catalogue and the objection
/// as the buyer put it, both kept.
async fn a_deal_is_lost_with_a_reason_and_the_buyers_words(app: TestApp) {
    user(&app, "lena@acme.example", "manager").await;
    let contact: serde_json::Value = app
        .post_json(
            "/api/v1/contacts",
            &app.token,
            &serde_json::json!({"email": "buyer@acme.example"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let deal: serde_json::Value = app
        .post_json(
            "/api/v1/deals",
            &app.token,
            &serde_json::json!({"contact_id": contact["id"], "title": "Fleet", "amount": "900"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let deal = deal["id"].as_str().unwrap().to_owned();
    let mut s = Session::new(&app);
    s.sign_in("lena@acme.example", PASSWORD).await;
    let form = s.get(&format!("/deals/{deal}/move")).await;
    assert!(form.body.contains("<label for=\"move-objection\">"));
    let board = s.get("/board").await;
    assert!(
        board.body.contains("id=\"lost-objection\""),
        "the drop's dialog asks too"
    );
    let csrf = field(&form.body, "csrf");
    let p = s
        .post(
            &format!("/deals/{deal}/move"),
            &[
                ("csrf", csrf.as_str()),
                ("stage", "Lost"),
                ("loss_reason", "price"),
                ("objection", "Half the price of yours elsewhere"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let lost: serde_json::Value = app
        .get(&format!("/api/v1/deals/{deal}"), &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(lost["status"], "lost");
    assert_eq!(lost["loss_reason"], "price");
    assert_eq!(lost["objection"], "Half the price of yours elsewhere");
}

/// The deal's edit page: the API's messages next to the fields, a save, and a form drawn
/// before someone else saved shows their version instead of overwriting it.
async fn a_deal_is_edited_without_overwriting_anyone(app: TestApp) {
    user(&app, "dana@acme.example", "manager").await;
    let contact: serde_json::Value = app
        .post_json(
            "/api/v1/contacts",
            &app.token,
            &serde_json::json!({"email": "fleet@acme.example"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let made: serde_json::Value = app
        .post_json(
            "/api/v1/deals",
            &app.token,
            &serde_json::json!({"contact_id": contact["id"], "title": "Fleet", "amount": "900"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let deal = made["id"].as_str().unwrap().to_owned();
    let mut s = Session::new(&app);
    s.sign_in("dana@acme.example", PASSWORD).await;
    let page = s
        .get(&format!("/contacts/{}", contact["id"].as_str().unwrap()))
        .await;
    assert!(page.body.contains(&format!("/deals/{deal}/edit")));
    let form = s.get(&format!("/deals/{deal}/edit")).await;
    assert_eq!(form.status, StatusCode::OK);
    for label in ["Title", "Amount", "Currency", "Expected close", "Owner"] {
        assert!(
            form.body.contains(&format!(">{label}</label>")),
            "a label for {label}"
        );
    }
    let (csrf, read_at) = (field(&form.body, "csrf"), field(&form.body, "read_at"));
    let post = |amount: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("read_at", read_at.clone()),
            ("title", "Fleet renewal".to_owned()),
            ("amount", amount.to_owned()),
            ("currency", "eur".to_owned()),
            ("expected_close", "2030-03-31".to_owned()),
            ("owner", String::new()),
        ]
    };
    let send = |form: Vec<(&'static str, String)>| form;
    let wrong = send(post("-5"));
    let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let p = s.post(&format!("/deals/{deal}/edit"), &wrong).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert!(p.body.contains("id=\"amount-error\""), "{}", p.body);
    let good = send(post("1200.50"));
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let p = s.post(&format!("/deals/{deal}/edit"), &good).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let stored: serde_json::Value = app
        .get(&format!("/api/v1/deals/{deal}"), &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored["title"], "Fleet renewal");
    assert_eq!(stored["amount"], "1200.50");
    assert_eq!(stored["currency"], "EUR");
    assert_eq!(stored["expected_close"], "2030-03-31");
    // The same form again was drawn before that save: their version, nothing overwritten.
    let res = app
        .patch_json(
            &format!("/api/v1/deals/{deal}"),
            &app.token,
            &serde_json::json!({"title": "Fleet (12 vans)"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let p = s.post(&format!("/deals/{deal}/edit"), &good).await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    assert!(
        p.body.contains("Someone saved this deal") && p.body.contains("Fleet (12 vans)"),
        "{}",
        p.body
    );
    let stored: serde_json::Value = app
        .get(&format!("/api/v1/deals/{deal}"), &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored["title"], "Fleet (12 vans)");
    let res = app
        .patch_json(
            &format!("/api/v1/deals/{deal}"),
            &app.token,
            &serde_json::json!({"title": "Old", "if_unchanged_since": made["updated_at"]}),
        )
        .await;
    assert_eq!(res.status(), 409);
    // The terminal: only what is given changes; every mistake is named.
    let db = app.database_url();
    let out = crate::helpers::closer(
        &db,
        &[
            "deal",
            "set",
            &deal,
            "--amount",
            "1500",
            "--expected-close",
            "none",
            "--owner",
            "dana@acme.example",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stored: serde_json::Value = app
        .get(&format!("/api/v1/deals/{deal}"), &app.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored["amount"], "1500.00");
    assert_eq!(stored["expected_close"], serde_json::Value::Null);
    assert_eq!(stored["title"], "Fleet (12 vans)", "left alone");
    let out = crate::helpers::closer(
        &db,
        &[
            "deal",
            "set",
            &deal,
            "--amount",
            "lots",
            "--currency",
            "EURO",
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("amount") && err.contains("currency"), "{err}");
}
