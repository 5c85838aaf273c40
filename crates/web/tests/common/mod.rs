//! The HTTP test harness: the real application on 127.0.0.1:0 over a fresh database, once per
//! backend (SQLite always, PostgreSQL when reachable; under CI a missing PostgreSQL fails),
//! with the demo data loaded, and a client with its own cookie jar that speaks the CSRF
//! protocol the way a browser form does.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;

use chiso_store::testing::{self, TestDb};
use chiso_store::{Backend, Db};
use chiso_web::Config;

pub mod smtp;
pub mod statements;

/// One running application and a browser-like client.
pub struct TestApp {
    pub backend: Backend,
    pub db: Db,
    pub base: String,
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    client: reqwest::Client,
    csrf: String,
    database_url: String,
    /// The database, dropped with the app (a twin shares its first's).
    _database: Option<TestDb>,
}

/// Every backend's app, each on a fresh database with the demo data.
pub async fn apps() -> Vec<TestApp> {
    apps_with(|_| {}).await
}

/// Like [`apps`], with the configuration adjusted first (limits, demo data).
pub async fn apps_with(adjust: impl Fn(&mut Config)) -> Vec<TestApp> {
    let mut databases = vec![testing::empty_sqlite().await];
    if let Some(postgres) = testing::empty_postgres().await {
        databases.push(postgres);
    }
    let mut apps = Vec::new();
    for database in databases {
        apps.push(start(database, &adjust).await);
    }
    apps
}

async fn start(database: TestDb, adjust: &impl Fn(&mut Config)) -> TestApp {
    let data_dir = std::env::temp_dir().join(format!(
        "chiso-test-data-{}-{}",
        std::process::id(),
        chiso_web::auth::new_token()[..12].to_lowercase()
    ));
    let mut config = Config {
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        database_url: database.url.clone(),
        demo_data: true,
        demo_sheets: false,
        data_dir: data_dir.clone(),
        ..Config::default()
    };
    adjust(&mut config);
    let app = chiso_web::build(config).await.expect("the app builds");
    let addr = app.local_addr();
    let db = app.db.clone();
    tokio::spawn(async move {
        let _ = app.run().await;
    });
    let mut test_app = TestApp {
        backend: database.backend(),
        db,
        base: format!("http://{addr}"),
        addr,
        data_dir,
        client: new_client(),
        csrf: String::new(),
        database_url: database.url.clone(),
        _database: Some(database),
    };
    test_app.refresh_csrf().await;
    test_app
}

fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client")
}

/// The `_csrf` value of the first form in a page.
pub fn csrf_in(html: &str) -> Option<String> {
    let start = html.find("name=\"_csrf\" value=\"")? + "name=\"_csrf\" value=\"".len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_string())
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Reads the token forms must carry for the current session (or the anonymous one).
    pub async fn refresh_csrf(&mut self) {
        let path = if self.csrf.is_empty() {
            "/dang-nhap"
        } else {
            "/doi-mat-khau"
        };
        let (_, body) = self.get_text(path).await;
        if let Some(token) = csrf_in(&body) {
            self.csrf = token;
        }
    }

    /// The URL of this app's database (to start a second process on it).
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    /// A second server on the same database and data folder, as a second `chiso serve`
    /// process behind the same load balancer would be: its own memory (caches, jobs, limits,
    /// survey writer), nothing shared but the database and the files. Its client is this
    /// app's, cookies included (cookies do not tell ports apart), so a session opened on one
    /// is used on the other.
    pub async fn twin(&self, adjust: impl Fn(&mut Config)) -> TestApp {
        let mut config = Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: self.database_url.clone(),
            demo_data: true,
            demo_sheets: false,
            data_dir: self.data_dir.clone(),
            ..Config::default()
        };
        adjust(&mut config);
        let app = chiso_web::build(config).await.expect("the twin builds");
        assert!(!app.seeded_demo, "the twin finds the first's data");
        let addr = app.local_addr();
        let db = app.db.clone();
        tokio::spawn(async move {
            let _ = app.run().await;
        });
        TestApp {
            backend: self.backend,
            db,
            base: format!("http://{addr}"),
            addr,
            data_dir: self.data_dir.clone(),
            client: self.client.clone(),
            csrf: self.csrf.clone(),
            database_url: self.database_url.clone(),
            _database: None,
        }
    }

    /// Takes the other app's client and token: the same browser, now speaking to this one.
    pub fn share_session(&mut self, other: &TestApp) {
        self.client = other.client.clone();
        self.csrf = other.csrf.clone();
    }

    pub fn csrf(&self) -> &str {
        &self.csrf
    }

    /// Forgets the cookies: a new browser.
    pub async fn reset_client(&mut self) {
        self.client = new_client();
        self.csrf.clear();
        self.refresh_csrf().await;
    }

    /// Logs in with a demo account's password; panics unless the login succeeds.
    pub async fn login(&mut self, username: &str) {
        self.login_with(username, chiso_web::demo::PASSWORD).await;
    }

    /// Logs in with a password; panics unless the login succeeds.
    pub async fn login_with(&mut self, username: &str, password: &str) {
        self.reset_client().await;
        let response = self.try_login(username, password).await;
        assert_eq!(
            response.status().as_u16(),
            303,
            "{:?}: login as {username} failed",
            self.backend
        );
        let (_, body) = self.get_text("/doi-mat-khau").await;
        self.csrf = csrf_in(&body).expect("a signed-in page carries the CSRF token");
    }

    /// Posts the login form and returns the response as it is.
    pub async fn try_login(&self, username: &str, password: &str) -> reqwest::Response {
        self.post_form(
            "/dang-nhap",
            &[("username", username), ("password", password)],
        )
        .await
    }

    pub async fn logout(&mut self) {
        let response = self.post_form("/dang-xuat", &[]).await;
        assert_eq!(
            response.status().as_u16(),
            303,
            "{:?}: logout",
            self.backend
        );
        self.reset_client().await;
    }

    /// GET without following redirects.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("the request is sent")
    }

    /// GET: status and body.
    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    /// POSTs a form with the session's `_csrf` field added.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut all: Vec<(&str, &str)> = vec![("_csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        self.client
            .post(self.url(path))
            .form(&all)
            .send()
            .await
            .expect("the request is sent")
    }

    /// POSTs a form without any CSRF token.
    pub async fn post_form_without_csrf(
        &self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .expect("the request is sent")
    }

    /// POSTs a multipart form with the `X-CSRF-Token` header.
    pub async fn post_multipart(
        &self,
        path: &str,
        form: reqwest::multipart::Form,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("x-csrf-token", &self.csrf)
            .multipart(form)
            .send()
            .await
            .expect("the request is sent")
    }

    /// A request builder on this app's client (cookies kept), for unusual requests.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path))
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// Where a response redirects to.
/// A complete SIPAS form: every item answered `value`.
pub fn sipas_fields(value: &str) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = (1..=22)
        .map(|i| (format!("c{i:02}"), value.to_string()))
        .collect();
    fields.push(("overall".into(), value.into()));
    fields
}

/// Fields as the `(&str, &str)` pairs that `post_form` takes.
pub fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}
