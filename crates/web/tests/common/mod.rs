//! TestApp: the full router over a fresh database, a fake clock, and request helpers that go
//! through `Router::oneshot` (no sockets).

#![allow(dead_code)]

pub mod journey;

use std::sync::Arc;

use axum::{
    Router,
    body::Body,
    http::{Request, Response, StatusCode, header},
};
use http_body_util::BodyExt;
use linli_app::{App, AppConfig, Secret};
use linli_testkit::{FakeClock, TestDb};
use linli_web::{AppState, WebConfig};
use serde_json::Value;
use tower::ServiceExt;

pub struct TestApp {
    pub app: App,
    pub router: Router,
    pub clock: FakeClock,
    pub db: TestDb,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_owned()
    }
    pub fn location(&self) -> String {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect()
    }
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies().iter().find_map(|c| {
            let first = c.split(';').next()?;
            let (k, v) = first.split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
    }
}

impl TestApp {
    pub async fn new(db: TestDb) -> Self {
        Self::with_mode(db, true).await
    }

    pub async fn with_mode(db: TestDb, dev_mode: bool) -> Self {
        let clock = FakeClock::new();
        let dir = std::env::temp_dir().join(format!(
            "linli-web-files-{}",
            linli_domain::ids::JobId::new()
        ));
        let app = App::assemble(
            Arc::new(db.store.clone()),
            Arc::new(clock.clone()),
            AppConfig::new(Secret::new("test-secret-test-secret-test-secret"), dev_mode),
            dir,
        )
        .with_search(linli_testkit::search_index(&db).await);
        linli_app::seed::seed_categories(&app).await.unwrap();
        let router = linli_web::router(AppState::new(
            app.clone(),
            WebConfig {
                secure_cookies: false,
                dev_mode,
                trust_proxy: true,
            },
        ));
        Self {
            app,
            router,
            clock,
            db,
        }
    }

    /// Like [`TestApp::new`], with the sandbox payment provider on a loopback port (its
    /// notifications go nowhere: payments are recorded by querying back, as `mark_paid` does).
    pub async fn with_sandbox_payments(db: TestDb) -> Self {
        let mut t = Self::with_mode(db, true).await;
        let payments = linli_app::money::Payments::loopback_sandbox(
            "http://127.0.0.1:9",
            Arc::new(t.clock.clone()),
            1,
        )
        .await
        .unwrap();
        t.app = t.app.clone().with_payments(payments);
        t.router = linli_web::router(AppState::new(
            t.app.clone(),
            WebConfig {
                secure_cookies: false,
                dev_mode: true,
                trust_proxy: true,
            },
        ));
        t
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        let res: Response<Body> = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        let mut b = Request::get(path);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    pub async fn json(&self, method: &str, path: &str, token: Option<&str>, body: Value) -> Reply {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        self.send(b.body(Body::from(body.to_string())).unwrap())
            .await
    }

    /// A JSON request carrying an `Idempotency-Key`.
    pub async fn json_keyed(
        &self,
        method: &str,
        path: &str,
        token: &str,
        key: &str,
        body: Value,
    ) -> Reply {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header("idempotency-key", key)
            .body(Body::from(body.to_string()))
            .unwrap();
        self.send(req).await
    }

    /// POSTs raw bytes (a photo) with a bearer token.
    pub async fn upload(&self, path: &str, token: &str, bytes: Vec<u8>) -> Reply {
        let req = Request::post(path)
            .header(header::CONTENT_TYPE, "image/png")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::from(bytes))
            .unwrap();
        self.send(req).await
    }

    /// Checks the provider in at the order's address over the API.
    pub async fn check_in(&self, id: &str, provider: &str) -> Reply {
        let o = self
            .app
            .store
            .order(id.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        self.json(
            "POST",
            &format!("/api/v1/provider/orders/{id}/check-in"),
            Some(provider),
            serde_json::json!({"lat_micro": o.lat_micro, "lng_micro": o.lng_micro}),
        )
        .await
    }

    /// Over the API: the provider enters the customer's service code and works through the
    /// checklist (a photo where one is required).
    pub async fn work_visit(&self, id: &str, provider: &str, customer: &str) {
        let v = self
            .get(&format!("/api/v1/orders/{id}/visit"), Some(customer))
            .await;
        assert_eq!(v.status, StatusCode::OK, "{}", v.body);
        let code = v.json()["service_code"].as_str().unwrap().to_owned();
        let r = self
            .json(
                "POST",
                &format!("/api/v1/provider/orders/{id}/service-code"),
                Some(provider),
                serde_json::json!({ "code": code }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        for item in r.json()["checklist"].as_array().unwrap() {
            let index = item["index"].as_i64().unwrap();
            let photo = if item["photo_required"] == true {
                tiny_png()
            } else {
                Vec::new()
            };
            let r = self
                .upload(
                    &format!("/api/v1/provider/orders/{id}/checklist/{index}"),
                    provider,
                    photo,
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        }
    }

    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: impl Into<Body>,
    ) -> Reply {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, content_type)
            .body(body.into())
            .unwrap();
        self.send(req).await
    }

    /// Registers through the API and returns the access token.
    pub async fn register(&self, phone: &str) -> String {
        let r = self
            .json(
                "POST",
                "/api/v1/auth/register",
                None,
                serde_json::json!({"phone": phone, "password": "secret123"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.json()["access_token"].as_str().unwrap().to_owned()
    }

    /// An operator with the super-admin role; returns an access token.
    pub async fn admin_token(&self) -> String {
        self.app
            .bootstrap_admin("13800000000", "admin1234")
            .await
            .unwrap();
        self.login("13800000000", "admin1234").await
    }

    /// Signs in through the API with a password and returns the access token.
    pub async fn login(&self, phone: &str, password: &str) -> String {
        let r = self
            .json(
                "POST",
                "/api/v1/auth/login",
                None,
                serde_json::json!({"phone": phone, "password": password}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.json()["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn user_count(&self) -> i64 {
        self.app.store.count_users().await.unwrap()
    }

    /// The newest SMS code sent (from the developer inbox).
    pub async fn last_code(&self) -> String {
        let msg = &self.app.store.sms_outbox(1).await.unwrap()[0];
        msg.body
            .chars()
            .filter(char::is_ascii_digit)
            .take(6)
            .collect()
    }
}

/// A browser-like page client: keeps cookies and extracts the CSRF token from pages.
pub struct Browser<'a> {
    pub t: &'a TestApp,
    pub cookies: std::collections::BTreeMap<String, String>,
}

impl<'a> Browser<'a> {
    pub fn new(t: &'a TestApp) -> Self {
        Self {
            t,
            cookies: Default::default(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn absorb(&mut self, r: &Reply) {
        for c in r.set_cookies() {
            let first = c.split(';').next().unwrap_or_default();
            if let Some((k, v)) = first.split_once('=') {
                if c.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), v.to_owned());
                }
            }
        }
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        let req = Request::get(path)
            .header(header::COOKIE, self.cookie_header())
            .body(Body::empty())
            .unwrap();
        let r = self.t.send(req).await;
        self.absorb(&r);
        r
    }

    /// The CSRF token embedded in a page.
    pub async fn csrf(&mut self, path: &str) -> String {
        let page = self.get(path).await;
        let marker = "name=\"_csrf\" value=\"";
        let start = page
            .body
            .find(marker)
            .unwrap_or_else(|| panic!("no csrf token on {path}"))
            + marker.len();
        page.body[start..start + 64].to_owned()
    }

    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let req = Request::post(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        let r = self.t.send(req).await;
        self.absorb(&r);
        r
    }

    /// Logs in with a password through the page form.
    pub async fn login(&mut self, phone: &str, password: &str) -> Reply {
        // A signed-in browser is redirected away from /login; any page with a form has a token.
        let csrf = if self.cookies.contains_key("linli_sid") {
            self.csrf("/me").await
        } else {
            self.csrf("/login").await
        };
        self.post_form(
            "/login/password",
            &[
                ("_csrf", &csrf),
                ("phone", phone),
                ("password", password),
                ("next", "/me"),
            ],
        )
        .await
    }
}

/// A real 2×2 opaque PNG.
pub fn tiny_png() -> Vec<u8> {
    base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4z8AARAwQCgAf7gP9i18U1AAAAABJRU5ErkJggg==",
    )
    .unwrap()
}
