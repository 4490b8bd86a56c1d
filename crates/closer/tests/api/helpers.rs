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
    _guard: Box<dyn Any + Send + Sync>,
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
    let (store, guard) = store(backend).await?;
    let app = App::new(store);
    app.ensure_default_workspace().await.unwrap();
    app.create_workspace("other", None, None).await.unwrap();
    let token = app
        .create_token("default", Role::Admin, None)
        .await
        .unwrap()
        .secret;
    let member = app
        .create_token("default", Role::Member, None)
        .await
        .unwrap()
        .secret;
    let other = app
        .create_token("other", Role::Admin, None)
        .await
        .unwrap()
        .secret;
    let server = Application::build(
        WebConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            public_url: None,
        },
        app.clone(),
    )
    .await
    .unwrap();
    let base = format!("http://{}", server.local_addr());
    tokio::spawn(server.run_until(std::future::pending()));
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
        _guard: guard,
    })
}

impl TestApp {
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
