//! Pages through the router: security headers, CSRF, session cookies, friendly errors,
//! language switch, flash messages, operational endpoints, and phones kept out of logs.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

mod common;

use axum::http::StatusCode;
use common::{Browser, TestApp};
use linli_testkit::{Backend, fresh_db};

async fn app() -> TestApp {
    TestApp::new(fresh_db(Backend::Sqlite).await.unwrap()).await
}

#[tokio::test]
async fn pages_carry_the_security_headers_and_a_request_id() {
    let t = app().await;
    let r = t.get("/", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let csp = r.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
    assert_eq!(
        r.headers["referrer-policy"],
        "strict-origin-when-cross-origin"
    );
    assert_eq!(r.headers["x-request-id"].len(), 36);
    assert!(
        r.body.contains("家庭保洁") && r.body.contains("洗衣洗鞋"),
        "the seeded categories are on the home page"
    );
}

#[tokio::test]
async fn a_form_post_without_its_csrf_token_is_refused_and_changes_nothing() {
    let t = app().await;
    let mut b = Browser::new(&t);
    let _ = b.get("/register").await;
    let r = b
        .post_form(
            "/register",
            &[
                ("phone", "13911112001"),
                ("password", "secret123"),
                ("password_confirm", "secret123"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        r.body.contains("页面已过期"),
        "friendly message: {}",
        r.body
    );
    let r = b
        .post_form(
            "/register",
            &[
                ("_csrf", &"0".repeat(64)),
                ("phone", "13911112001"),
                ("password", "secret123"),
                ("password_confirm", "secret123"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a forged token fails too");
    assert_eq!(t.user_count().await, 0);
    let csrf = b.csrf("/register").await;
    let r = b
        .post_form(
            "/register",
            &[
                ("_csrf", &csrf),
                ("phone", "13911112001"),
                ("password", "secret123"),
                ("password_confirm", "secret123"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/me");
    assert_eq!(t.user_count().await, 1);
}

#[tokio::test]
async fn bad_registration_input_shows_a_friendly_message_and_creates_nothing() {
    let t = app().await;
    let mut b = Browser::new(&t);
    let csrf = b.csrf("/register").await;
    let r = b
        .post_form(
            "/register",
            &[
                ("_csrf", &csrf),
                ("phone", "1234"),
                ("password", "secret123"),
                ("password_confirm", "secret123"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("请输入正确的 11 位手机号"), "{}", r.body);
    let r = b
        .post_form(
            "/register",
            &[
                ("_csrf", &csrf),
                ("phone", "13911112002"),
                ("password", "secret123"),
                ("password_confirm", "other1234"),
            ],
        )
        .await;
    assert!(r.body.contains("两次输入的密码不一致"));
    let r = b
        .post_form("/register", &[("_csrf", &csrf), ("unexpected", "x")])
        .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "a form missing fields is a friendly 400"
    );
    assert!(r.body.contains("请求有误"));
    assert_eq!(t.user_count().await, 0);
}

#[tokio::test]
async fn login_sets_an_httponly_lax_cookie_rotated_on_every_login_and_logout_ends_it() {
    let t = app().await;
    t.register("13911112003").await;
    let mut b = Browser::new(&t);
    let r = b.login("13911112003", "secret123").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let set = r
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("linli_sid="))
        .unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    let first = b.cookies["linli_sid"].clone();
    assert_eq!(b.get("/me").await.status, StatusCode::OK);

    b.login("13911112003", "secret123").await;
    let second = b.cookies["linli_sid"].clone();
    assert_ne!(first, second, "a new session id at every login");
    let mut stale = Browser::new(&t);
    stale.cookies.insert("linli_sid".into(), first);
    assert_eq!(
        stale.get("/me").await.status,
        StatusCode::SEE_OTHER,
        "the previous session of this browser ended"
    );

    let csrf = b.csrf("/me").await;
    let out = b.post_form("/logout", &[("_csrf", &csrf)]).await;
    assert_eq!(out.location(), "/login");
    let mut after = Browser::new(&t);
    after.cookies.insert("linli_sid".into(), second);
    assert_eq!(
        after.get("/me").await.status,
        StatusCode::SEE_OTHER,
        "logout ended the session server-side"
    );
}

#[tokio::test]
async fn wrong_password_on_the_page_says_so_and_keeps_the_phone() {
    let t = app().await;
    t.register("13911112004").await;
    let mut b = Browser::new(&t);
    let r = b.login("13911112004", "wrong9999").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("手机号或密码错误") && r.body.contains("13911112004"));
}

#[tokio::test]
async fn customers_get_403_on_the_admin_console_and_guests_are_sent_to_login() {
    let t = app().await;
    t.register("13911112005").await;
    let mut guest = Browser::new(&t);
    let r = guest.get("/admin").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/login?next=/admin");
    let mut b = Browser::new(&t);
    b.login("13911112005", "secret123").await;
    let r = b.get("/admin/users").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("无权访问"));

    t.app
        .bootstrap_admin("13800000000", "admin1234")
        .await
        .unwrap();
    let mut admin = Browser::new(&t);
    admin.login("13800000000", "admin1234").await;
    let r = admin.get("/admin/users").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("139****2005") && !r.body.contains("13911112005"),
        "phones are masked for operators"
    );
}

#[tokio::test]
async fn unknown_pages_and_malformed_ids_get_the_friendly_404() {
    let t = app().await;
    let r = t.get("/no/such/page", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("页面不存在"));
    t.register("13911112006").await;
    let mut b = Browser::new(&t);
    b.login("13911112006", "secret123").await;
    let r = b.get("/me/addresses/not-an-id/edit").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("页面不存在"));
    let r = b
        .get("/me/addresses/01a211c5-106e-77a7-8b3d-9a0852d31aa7/edit")
        .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "an address that is not yours is not found"
    );
}

#[tokio::test]
async fn the_language_switch_renders_english_and_refuses_open_redirects() {
    let t = app().await;
    let mut b = Browser::new(&t);
    let r = b.get("/lang/en?next=/login").await;
    assert_eq!(r.location(), "/login");
    let page = b.get("/login").await;
    assert!(page.body.contains("<html lang=\"en\">") && page.body.contains("Log in to Linli"));
    let r = b.get("/lang/zh-CN?next=//evil.example").await;
    assert_eq!(r.location(), "/");
    assert!(b.get("/").await.body.contains("首页"));
}

#[tokio::test]
async fn a_flash_message_shows_once() {
    let t = app().await;
    t.register("13911112007").await;
    let mut b = Browser::new(&t);
    b.login("13911112007", "secret123").await;
    let first = b.get("/me").await;
    assert!(first.body.contains("登录成功"));
    let second = b.get("/me").await;
    assert!(!second.body.contains("登录成功"));
}

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let t = app().await;
    assert_eq!(t.get("/healthz", None).await.body, "ok");
    let ready = t.get("/readyz", None).await;
    assert_eq!(
        (ready.status, ready.json()["status"].as_str().unwrap()),
        (StatusCode::OK, "ready")
    );
    t.get("/", None).await;
    let m = t.get("/metrics", None).await;
    assert_eq!(m.status, StatusCode::OK);
    assert!(
        m.body.contains("linli_http_request_duration_seconds_count")
            && m.body.contains("route=\"/\""),
        "{}",
        m.body
    );
}

#[tokio::test]
async fn the_sms_login_page_flow_works_and_the_inbox_masks_phones() {
    let t = app().await;
    let mut b = Browser::new(&t);
    let csrf = b.csrf("/login?tab=sms").await;
    let r = b
        .post_form(
            "/login/sms/send",
            &[("_csrf", &csrf), ("phone", "139 1111 2008")],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "Post/Redirect/Get: a reload cannot resend"
    );
    assert_eq!(r.location(), "/login?tab=sms&next=/&sent=1");
    let form = b.get(&r.location()).await;
    assert!(form.body.contains("验证码已发送"), "flash shown");
    assert!(
        form.body.contains("value=\"13911112008\""),
        "the normalised phone is kept for the code form"
    );
    assert!(
        form.body.contains("data-countdown=\"60\""),
        "the send button counts down"
    );
    let inbox = b.get("/dev/sms").await;
    assert!(inbox.body.contains("139****2008") && !inbox.body.contains("13911112008"));
    let code = t.last_code().await;
    let r = b
        .post_form(
            "/login/sms",
            &[("_csrf", &csrf), ("phone", "13911112008"), ("code", &code)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(b.get("/me").await.status, StatusCode::OK);
}

/// Collects everything logged while the closure runs on this thread.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn log_lines_never_contain_a_full_phone_number() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let t = app().await;
    t.register("13911112009").await;
    t.json(
        "POST",
        "/api/v1/auth/login",
        None,
        serde_json::json!({"phone": "13911112009", "password": "wrong9999"}),
    )
    .await;
    t.json(
        "POST",
        "/api/v1/auth/sms/send",
        None,
        serde_json::json!({"phone": "13911112009"}),
    )
    .await;
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("139****2009"),
        "the masked phone is logged: {logs}"
    );
    assert!(
        !logs.contains("13911112009"),
        "a full phone leaked into the logs"
    );
    assert!(
        logs.contains("request_id="),
        "log lines carry the request id: {logs}"
    );
}

#[tokio::test]
async fn with_the_database_down_pages_fail_friendly_and_readyz_says_so() {
    let t = app().await;
    t.register("13911112010").await;
    let mut b = Browser::new(&t);
    b.login("13911112010", "secret123").await;
    t.db.store.close().await;
    let ready = t.get("/readyz", None).await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.json()["status"], "unavailable");
    let page = b.get("/me").await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        page.body.contains("出错了"),
        "a friendly page, not a stack trace: {}",
        page.body
    );
    assert!(
        !page.body.to_lowercase().contains("sqlx"),
        "no internals leak"
    );
    let api = t.get("/api/v1/categories", None).await;
    assert_eq!(api.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        api.json()["message"],
        "internal error",
        "no internals leak on the API either"
    );
    assert_eq!(
        t.get("/healthz", None).await.body,
        "ok",
        "liveness does not depend on the database"
    );
}

#[tokio::test]
async fn api_responses_get_the_non_document_security_headers() {
    let t = app().await;
    let r = t.get("/api/v1/categories", None).await;
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
    assert_eq!(r.headers["x-frame-options"], "DENY");
    assert_eq!(
        r.headers["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'"
    );
    assert_eq!(r.headers["x-request-id"].len(), 36);
}
