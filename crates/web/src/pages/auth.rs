//! Sign-up, sign-in (password or SMS code) and sign-out pages.

use askama::Template;
use axum::{
    extract::{Query, State},
    http::header,
    response::{IntoResponse, Redirect, Response},
};
use linli_app::AppError;
use linli_store::UserRow;

use super::{Page, local_next, redirect_flash, render, with_cookie};
use crate::{
    AppState,
    access::{Access, Routes},
    extract::PageForm,
    session::{ClientIp, SESSION_COOKIE, cookie, set_cookie},
};

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get("/login", Access::Public, login_page)
        .post("/login/password", Access::Public, login_password)
        .post("/login/sms/send", Access::Public, send_code)
        .post("/login/sms", Access::Public, login_sms)
        .get("/register", Access::Public, register_page)
        .post("/register", Access::Public, register)
        .post("/logout", Access::Member, logout)
}

#[derive(Template)]
#[template(path = "login.html")]
struct Login {
    p: Page,
    tab: String,
    phone: String,
    next: String,
    error: Option<String>,
    /// Seconds the "send code" button stays disabled (just after a code was sent).
    countdown: i64,
}

#[derive(serde::Deserialize, Default)]
struct LoginQuery {
    next: Option<String>,
    tab: Option<String>,
    sent: Option<String>,
}

/// Short-lived cookie carrying the phone between "send code" and the code form (PRG without
/// putting the number in the URL).
const SMS_PHONE_COOKIE: &str = "linli_sms_phone";

async fn login_page(
    p: Page,
    headers: axum::http::HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Response {
    if p.signed_in() {
        return Redirect::to(&local_next(q.next.as_deref())).into_response();
    }
    let tab = if q.tab.as_deref() == Some("sms") {
        "sms"
    } else {
        "password"
    }
    .to_owned();
    let phone = if tab == "sms" {
        cookie(&headers, SMS_PHONE_COOKIE)
            .filter(|v| v.len() == 11 && v.bytes().all(|b| b.is_ascii_digit()))
            .unwrap_or("")
            .to_owned()
    } else {
        String::new()
    };
    let countdown = if q.sent.is_some() && !phone.is_empty() {
        60
    } else {
        0
    };
    render(&Login {
        p,
        tab,
        phone,
        next: local_next(q.next.as_deref()),
        error: None,
        countdown,
    })
}

#[derive(serde::Deserialize)]
struct PasswordForm {
    phone: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
}

/// Starts a page session (a fresh cookie secret: rotation on every login) and ends the login
/// the browser carried before, if any.
async fn sign_in(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    user: &UserRow,
    next: &str,
    flash_key: &str,
) -> Response {
    if let Some(old) = cookie(headers, SESSION_COOKIE)
        && let Ok(linli_app::Actor::Member(m)) = state
            .app
            .authenticate(old, linli_store::TokenKind::Session)
            .await
    {
        let _ = state
            .app
            .store
            .revoke_family(m.family, state.app.now())
            .await;
    }
    match state.app.start_web_session(user.id).await {
        Ok(s) => {
            let max_age = state.app.config.session_ttl_ms / 1000;
            let res = redirect_flash(state, next, false, flash_key);
            with_cookie(
                res,
                set_cookie(
                    SESSION_COOKIE,
                    &s.secret,
                    max_age,
                    true,
                    state.web.secure_cookies,
                ),
            )
        }
        Err(e) => super::redirect_error(state, "/login", &e),
    }
}

/// The login page again with the error, the typed phone kept, and the error's status.
fn failed_login(p: Page, tab: &str, phone: String, next: String, e: &AppError) -> Response {
    let error = Some(p.error_text(e));
    let mut res = render(&Login {
        p,
        tab: tab.to_owned(),
        phone,
        next,
        error,
        countdown: 0,
    });
    *res.status_mut() = crate::error::status_and_code(e).0;
    res
}

async fn login_password(
    State(state): State<AppState>,
    p: Page,
    ClientIp(ip): ClientIp,
    headers: axum::http::HeaderMap,
    PageForm(f): PageForm<PasswordForm>,
) -> Response {
    let next = local_next(f.next.as_deref());
    match state.app.login_password(&f.phone, &f.password, &ip).await {
        Ok(user) => sign_in(&state, &headers, &user, &next, "flash.signed_in").await,
        Err(e) => failed_login(p, "password", f.phone, next, &e),
    }
}

#[derive(serde::Deserialize)]
struct SendForm {
    phone: String,
    #[serde(default)]
    next: Option<String>,
}

async fn send_code(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    PageForm(f): PageForm<SendForm>,
) -> Response {
    let next = local_next(f.next.as_deref());
    let back = format!("/login?tab=sms&next={}", super::urlencode(&next));
    let res = match state.app.send_login_code(&f.phone, &ip).await {
        Ok(()) => redirect_flash(&state, &format!("{back}&sent=1"), false, "flash.code_sent"),
        Err(e) => super::redirect_error(&state, &back, &e),
    };
    // Remember the normalised number for the code form (5 minutes, this browser only).
    match linli_domain::phone::Phone::parse(&f.phone) {
        Ok(phone) => with_cookie(
            res,
            set_cookie(
                SMS_PHONE_COOKIE,
                phone.as_str(),
                300,
                true,
                state.web.secure_cookies,
            ),
        ),
        Err(_) => res,
    }
}

#[derive(serde::Deserialize)]
struct SmsForm {
    phone: String,
    code: String,
    #[serde(default)]
    next: Option<String>,
}

async fn login_sms(
    State(state): State<AppState>,
    p: Page,
    ClientIp(ip): ClientIp,
    headers: axum::http::HeaderMap,
    PageForm(f): PageForm<SmsForm>,
) -> Response {
    let next = local_next(f.next.as_deref());
    match state.app.login_sms(&f.phone, &f.code, &ip).await {
        Ok(user) => sign_in(&state, &headers, &user, &next, "flash.signed_in").await,
        Err(e) => failed_login(p, "sms", f.phone, next, &e),
    }
}

#[derive(Template)]
#[template(path = "register.html")]
struct Register {
    p: Page,
    phone: String,
    nickname: String,
    error: Option<String>,
}

async fn register_page(p: Page) -> Response {
    if p.signed_in() {
        return Redirect::to("/me").into_response();
    }
    render(&Register {
        p,
        phone: String::new(),
        nickname: String::new(),
        error: None,
    })
}

#[derive(serde::Deserialize)]
struct RegisterForm {
    phone: String,
    password: String,
    #[serde(default)]
    password_confirm: String,
    #[serde(default)]
    nickname: String,
}

async fn register(
    State(state): State<AppState>,
    p: Page,
    headers: axum::http::HeaderMap,
    PageForm(f): PageForm<RegisterForm>,
) -> Response {
    let result = if f.password != f.password_confirm {
        Err(None)
    } else {
        state
            .app
            .register(&f.phone, &f.password, Some(&f.nickname))
            .await
            .map_err(Some)
    };
    match result {
        Ok(user) => sign_in(&state, &headers, &user, "/me", "flash.registered").await,
        Err(e) => {
            let (error, status) = match &e {
                Some(e) => (p.error_text(e), crate::error::status_and_code(e).0),
                None => (
                    p.t("register.mismatch").to_owned(),
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                ),
            };
            let mut res = render(&Register {
                p,
                phone: f.phone,
                nickname: f.nickname,
                error: Some(error),
            });
            *res.status_mut() = status;
            res
        }
    }
}

async fn logout(State(state): State<AppState>, p: Page) -> Response {
    if let Err(e) = state.app.logout(&p.actor()).await
        && !matches!(e, AppError::Unauthenticated)
    {
        return super::redirect_error(&state, "/", &e);
    }
    let mut res = redirect_flash(&state, "/login", false, "flash.signed_out");
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", 0, true, state.web.secure_cookies),
    );
    res
}
