//! `spawn_app`: a real server on port 0 over a fresh database, with tokens ready.

use std::any::Any;
use std::sync::Arc;

use closer_app::App;
use closer_domain::Role;
use closer_store::Store;
use closer_web::{Application, WebConfig};
use reqwest::{Client, Response};
use serde_json::Value;

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    pub client: Client,
    /// Admin token of the `default` workspace.
    pub token: String,
    /// Member token of the `default` workspace.
    pub member: String,
    /// Admin token of another workspace.
    pub other: String,
    pub app: App,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    guard: Box<dyn Any + Send + Sync>,
}

async fn store(backend: Backend) -> Option<(Arc<dyn Store>, Box<dyn Any + Send + Sync>)> {
    match backend {
        Backend::Sqlite => {
            let (store, guard) = closer_store_sqlite::testing::temp_store().await;
            Some((Arc::new(store), Box::new(guard)))
        }
        Backend::Postgres => {
            let (store, guard) = closer_store_postgres::testing::test_store().await?;
            Some((Arc::new(store), Box::new(guard)))
        }
    }
}

pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

/// Like `spawn_app`, with the server's settings adjusted first.
pub async fn spawn_app_with(
    backend: Backend,
    configure: impl FnOnce(&mut WebConfig),
) -> Option<TestApp> {
    let (store, guard) = store(backend).await?;
    let app = App::new(store);
    app.access().ensure_default_workspace().await.unwrap();
    app.access()
        .create_workspace("other", None, None)
        .await
        .unwrap();
    let token = app
        .access()
        .create_token("default", Role::Admin, None)
        .await
        .unwrap()
        .secret;
    let member = app
        .access()
        .create_token("default", Role::Member, None)
        .await
        .unwrap()
        .secret;
    let other = app
        .access()
        .create_token("other", Role::Admin, None)
        .await
        .unwrap()
        .secret;
    let mut config = WebConfig::new("127.0.0.1:0".parse().unwrap());
    // Pages wait for their figures however busy the test machine is; the test of the
    // "being computed" notice sets its own wait.
    config.page_wait = std::time::Duration::from_mins(1);
    configure(&mut config);
    let server = Application::build(config, app.clone()).await.unwrap();
    let base = format!("http://{}", server.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(server.run_until(async {
        let _ = stopped.await;
    }));
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Some(TestApp {
        base,
        client,
        token,
        member,
        other,
        app,
        stop: Some(stop),
        server: Some(server),
        guard,
    })
}

impl TestApp {
    /// Stops the server as SIGTERM would, and waits until it has finished (queued tracked
    /// events written).
    pub async fn shut_down(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
    }

    /// The database URL, on SQLite.
    pub fn sqlite_url(&self) -> Option<String> {
        self.guard
            .downcast_ref::<closer_store_sqlite::testing::TempDb>()
            .map(closer_store_sqlite::testing::TempDb::url)
    }

    /// The database URL the `closer` binary can open: the SQLite file, or the PostgreSQL
    /// test schema (selected with `search_path`).
    pub fn database_url(&self) -> String {
        if let Some(url) = self.sqlite_url() {
            return url;
        }
        let schema = self
            .guard
            .downcast_ref::<closer_store_postgres::testing::TestSchema>()
            .expect("a SQLite or PostgreSQL test store");
        let sep = if schema.url().contains('?') { '&' } else { '?' };
        format!(
            "{}{sep}options=-c%20search_path%3D{}",
            schema.url(),
            schema.schema()
        )
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn post_json(&self, path: &str, token: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn patch_json(&self, path: &str, token: &str, body: &Value) -> Response {
        self.client
            .patch(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.client
            .delete(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// Creates a form through the API; returns its JSON.
    pub async fn form(&self, name: &str, redirect: Option<&str>) -> Value {
        let res = self
            .post_json(
                "/api/v1/forms",
                &self.token,
                &serde_json::json!({"name": name, "redirect_url": redirect}),
            )
            .await;
        assert_eq!(res.status(), 201);
        res.json().await.unwrap()
    }

    /// The default workspace's id.
    pub async fn default_workspace(&self) -> closer_domain::WorkspaceId {
        self.app
            .access()
            .workspace_by_slug("default")
            .await
            .unwrap()
            .id
    }

    /// How many contacts the default workspace holds.
    pub async fn contact_count(&self) -> usize {
        let mut count = 0;
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/contacts?limit=200&cursor={c}"),
                None => "/api/v1/contacts?limit=200".to_owned(),
            };
            let page: Value = self.get(&path, &self.token).await.json().await.unwrap();
            count += page["items"].as_array().unwrap().len();
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return count,
            }
        }
    }
}

/// Asserts a problem+json answer with `status`; returns the problem.
pub async fn problem(res: Response, status: u16, context: &str) -> Value {
    assert_eq!(res.status().as_u16(), status, "{context}: status");
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(
        ct.as_deref(),
        Some("application/problem+json"),
        "{context}: content type"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], status, "{context}: status in body");
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{context}: has a detail"
    );
    body
}

/// The field names of a problem's `errors`.
pub fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

/// Runs an async test fn `name(TestApp)` once per backend, as `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                use $crate::helpers::{spawn_app, Backend};

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    if let Some(app) = spawn_app(Backend::Sqlite).await {
                        super::$name(app).await;
                    }
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(app) = spawn_app(Backend::Postgres).await {
                        super::$name(app).await;
                    }
                }
            }
        )*
    };
}

/// A desktop Chrome user agent: not a bot.
pub const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

impl TestApp {
    /// Tracks `domain` in the default workspace through the API.
    pub async fn site(&self, domain: &str) -> Value {
        let res = self
            .post_json(
                "/api/v1/sites",
                &self.token,
                &serde_json::json!({ "domain": domain }),
            )
            .await;
        assert_eq!(res.status(), 201, "adding site {domain}");
        res.json().await.unwrap()
    }

    /// Posts a raw body to a public tracking route as a browser behind a proxy would
    /// (`X-Forwarded-For: ip`).
    pub async fn track_raw(
        &self,
        path: &str,
        body: impl Into<reqwest::Body>,
        ip: &str,
        ua: &str,
    ) -> Response {
        self.client
            .post(self.url(path))
            .header("content-type", "text/plain")
            .header("user-agent", ua)
            .header("x-forwarded-for", ip)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// A Plausible event from a browser at `ip`.
    pub async fn plausible(&self, event: &Value, ip: &str) -> Response {
        self.track_raw("/api/event", event.to_string(), ip, BROWSER)
            .await
    }

    /// The traffic report (`query` after `?`), once the report shows at least `pageviews`
    /// page views (events are written by a background writer, a few milliseconds later).
    pub async fn traffic_when(&self, query: &str, pageviews: i64) -> Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            let res = self
                .get(&format!("/api/v1/traffic?{query}"), &self.token)
                .await;
            assert_eq!(res.status(), 200, "traffic report {query}");
            let report: Value = res.json().await.unwrap();
            if report["pageviews"].as_i64().unwrap() >= pageviews {
                return report;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "report never reached {pageviews} page views: {report}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

/// An `application/x-www-form-urlencoded` body, as a browser sends a form.
pub fn urlencoded(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// Runs the `closer` binary on `db` (a URL from `TestApp::database_url` or a temporary file).
pub fn closer(db: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_closer"))
        .args(args)
        .env("CLOSER_DATABASE_URL", db)
        .env("CLOSER_LOG", "warn")
        .env("CLOSER_DB_POOL", "6")
        .output()
        .unwrap()
}

/// The real `closer serve` on `database_url` at a free port, with `env` added, once it
/// accepts connections.
pub fn serve_process(database_url: &str, env: &[(&str, &str)]) -> (std::process::Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_closer"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("CLOSER_DATABASE_URL", database_url)
        .env("CLOSER_LOG", "warn")
        // Many servers and test stores share one PostgreSQL in a test run.
        .env("CLOSER_DB_POOL", "6")
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "closer serve did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    (child, port)
}

/// A fixture file's path (`tests/fixtures/NAME`).
pub fn fixture_path(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Runs `closer` on the app's database; stdout, stderr and success.
pub fn closer_on(app: &TestApp, args: &[&str]) -> (String, String, bool) {
    let out = closer(&app.database_url(), args);
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}

/// A CSV export's records as (column, value) pairs, sorted, without the columns named: what
/// two workspaces' exports are compared on.
pub fn export_rows(text: &str, without: &[&str]) -> Vec<Vec<(String, String)>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let mut rows: Vec<Vec<(String, String)>> = reader
        .records()
        .map(|r| {
            header
                .iter()
                .zip(r.unwrap().iter())
                .filter(|(h, _)| !without.contains(&h.as_str()))
                .map(|(h, v)| (h.clone(), v.to_owned()))
                .collect()
        })
        .collect();
    rows.sort();
    rows
}
