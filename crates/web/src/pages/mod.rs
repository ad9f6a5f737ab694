//! Server-rendered pages: the customer site at `/`, the provider console at `/pro`, the admin
//! console at `/admin`, the developer SMS inbox at `/dev/sms` (dev mode only) and the friendly
//! error pages. Forms use Post/Redirect/Get with flash messages.

pub mod account;
pub mod admin;
pub mod admin_finance;
pub mod admin_providers;
pub mod after_sale;
pub mod areas;
pub mod auth;
pub mod complaints;
pub mod deposits;
pub mod dev;
pub mod discover;
pub mod earnings;
pub mod errors;
pub mod guarantee;
pub mod home;
pub mod listings;
pub mod once;
pub mod orders;
pub mod pro;
pub mod providers;
pub mod reviews;
pub mod search;

use std::sync::Arc;

use askama::Template;
use axum::{
    extract::FromRequestParts,
    http::{HeaderValue, StatusCode, header, request::Parts},
    response::{Html, IntoResponse, Redirect, Response},
};
use linli_app::{Actor, AppError, actor::Member};
use linli_domain::permission::Permission;

use crate::{
    AppState,
    access::Routes,
    csrf::{Flash, flash_cookie},
    i18n::{I18n, Lang},
};

/// Everything the shared layout needs.
#[derive(Clone)]
pub struct Page {
    /// Language of the page.
    pub lang: Lang,
    i18n: Arc<I18n>,
    /// CSRF token for forms.
    pub csrf: String,
    /// One-time message.
    pub flash: Option<Flash>,
    /// The signed-in account, if any.
    pub member: Option<Member>,
    /// Path of this page (for the language switch and tab highlighting).
    pub path: String,
}

impl Page {
    /// A text in the page's language.
    pub fn t<'a>(&'a self, key: &'a str) -> &'a str {
        self.i18n.t(self.lang, key)
    }
    /// `zh-CN` or `en`.
    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }
    /// Whether the page is in English.
    pub fn is_en(&self) -> bool {
        self.lang == Lang::En
    }
    /// Whether somebody is signed in.
    pub fn signed_in(&self) -> bool {
        self.member.is_some()
    }
    /// Display name of the signed-in account.
    pub fn nickname(&self) -> &str {
        self.member
            .as_ref()
            .map(|m| m.nickname.as_str())
            .unwrap_or("")
    }
    /// Whether the signed-in account may open the admin console.
    pub fn is_staff(&self) -> bool {
        self.member
            .as_ref()
            .is_some_and(|m| m.permissions.contains(&Permission::ConsoleAccess))
    }
    /// Whether the signed-in account holds a permission.
    pub fn can(&self, p: &str) -> bool {
        Permission::parse(p).is_ok_and(|p| {
            self.member
                .as_ref()
                .is_some_and(|m| m.permissions.contains(&p))
        })
    }
    /// Whether `prefix` is the current section (tab highlighting).
    pub fn here(&self, prefix: &str) -> bool {
        if prefix == "/" {
            self.path == "/"
        } else {
            self.path.starts_with(prefix)
        }
    }
    /// The path to switch the language and come back here.
    pub fn lang_switch_href(&self) -> String {
        let to = if self.is_en() { "zh-CN" } else { "en" };
        format!("/lang/{to}?next={}", urlencode(&self.path))
    }
    /// The text of the key `prefix` + `key` (for keys built from data, e.g. job statuses).
    pub fn tk(&self, prefix: &str, key: &str) -> String {
        let full = format!("{prefix}{key}");
        if self.i18n.has(&full) {
            self.i18n.t(self.lang, &full).to_owned()
        } else {
            key.to_owned()
        }
    }
    /// Id of the signed-in account ("" for guests).
    pub fn user_id(&self) -> String {
        self.member
            .as_ref()
            .map(|m| m.id.to_string())
            .unwrap_or_default()
    }
    /// Percent-encodes a value for a query string.
    pub fn enc(&self, s: &str) -> String {
        urlencode(s)
    }
    /// The flash message text, if any.
    pub fn flash_text(&self) -> Option<&str> {
        self.flash
            .as_ref()
            .filter(|f| self.i18n.has(&f.1))
            .map(|f| self.i18n.t(self.lang, &f.1))
    }
    /// Whether the flash message reports an error.
    pub fn flash_is_error(&self) -> bool {
        self.flash.as_ref().is_some_and(|f| f.0)
    }
    /// The actor for use-case calls.
    pub fn actor(&self) -> Actor {
        self.member
            .clone()
            .map(Actor::Member)
            .unwrap_or(Actor::Guest)
    }
    /// The localized message of a use-case error.
    pub fn error_text(&self, e: &AppError) -> String {
        error_text(&self.i18n, self.lang, e)
    }
}

/// The localized message of a use-case error (`err.<code>` in the locale files).
pub fn error_text(i18n: &I18n, lang: Lang, e: &AppError) -> String {
    let (_, code) = crate::error::status_and_code(e);
    let key = format!("err.{code}");
    if i18n.has(&key) {
        i18n.t(lang, &key).to_owned()
    } else {
        i18n.t(lang, "err.generic").to_owned()
    }
}

impl FromRequestParts<AppState> for Page {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(page_from_parts(parts, state))
    }
}

/// Builds the page context from request parts (also used by error pages).
pub fn page_from_parts(parts: &Parts, state: &AppState) -> Page {
    let ctx = parts.extensions.get::<crate::session::RequestCtx>();
    let member = match ctx.map(|c| &c.actor) {
        Some(Actor::Member(m)) => Some(m.clone()),
        _ => None,
    };
    Page {
        lang: ctx
            .map(|c| c.lang)
            .unwrap_or_else(|| crate::session::lang_of(&parts.headers)),
        i18n: state.i18n.clone(),
        csrf: ctx
            .and_then(|c| c.csrf.as_ref())
            .map(|c| c.token(state))
            .unwrap_or_default(),
        flash: ctx.and_then(|c| c.flash.clone()),
        member,
        path: parts.uri.path().to_owned(),
    }
}

/// Renders a template as an HTML response.
pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, Html(errors::STATIC_500)).into_response()
        }
    }
}

/// 303 to `to` with a flash message.
pub fn redirect_flash(state: &AppState, to: &str, is_error: bool, key: &str) -> Response {
    let mut res = Redirect::to(to).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        flash_cookie(is_error, key, state.web.secure_cookies),
    );
    res
}

/// 303 to `to` with the localized message of an error as flash (the `err.<code>` key).
pub fn redirect_error(state: &AppState, to: &str, e: &AppError) -> Response {
    if let AppError::Internal(detail) = e {
        tracing::error!(error = %detail, "internal error on a page");
    }
    let (_, code) = crate::error::status_and_code(e);
    let key = format!("err.{code}");
    let key = if state.i18n.has(&key) {
        key
    } else {
        "err.generic".to_owned()
    };
    redirect_flash(state, to, true, &key)
}

/// Percent-encodes a path for a query parameter.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A safe local redirect target: only paths on this site (no `//host`, no scheme).
pub fn local_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.contains("://") =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// Adds a `Set-Cookie` header.
pub fn with_cookie(mut res: Response, cookie: HeaderValue) -> Response {
    res.headers_mut().append(header::SET_COOKIE, cookie);
    res
}

/// All page routes.
pub fn routes(r: Routes, dev_mode: bool) -> Routes {
    let r = home::routes(r);
    let r = auth::routes(r);
    let r = account::routes(r);
    let r = pro::routes(r);
    let r = providers::routes(r);
    let r = admin::routes(r);
    let r = admin_providers::routes(r);
    let r = admin_finance::routes(r);
    let r = listings::routes(r);
    let r = areas::routes(r);
    let r = discover::routes(r);
    let r = search::routes(r);
    let r = orders::routes(r);
    let r = earnings::routes(r);
    let r = deposits::routes(r);
    let r = reviews::routes(r);
    let r = after_sale::routes(r);
    let r = guarantee::routes(r);
    let r = complaints::routes(r);
    if dev_mode { dev::routes(r) } else { r }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_redirects_are_followed() {
        assert_eq!(local_next(Some("/me")), "/me");
        for bad in [
            "//evil.com",
            "https://evil.com",
            "/\\evil.com",
            "evil",
            "/x?u=http://e",
        ] {
            assert_eq!(local_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(local_next(None), "/");
    }
}
