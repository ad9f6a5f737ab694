//! Who is calling: resolves the [`Actor`] from the page-session cookie (pages) or the bearer
//! token (API) once per request, and the language and client IP. Also the cookie helpers.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, FromRequestParts, Request},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use linli_app::Actor;
use linli_store::TokenKind;

use crate::{AppState, access::is_api, error::ApiError, i18n::Lang};

/// Page session cookie.
pub const SESSION_COOKIE: &str = "linli_sid";
/// Language cookie.
pub const LANG_COOKIE: &str = "linli_lang";

/// Reads one cookie from request headers.
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

/// A `Set-Cookie` value. `max_age_secs = 0` deletes the cookie.
pub fn set_cookie(
    name: &str,
    value: &str,
    max_age_secs: i64,
    http_only: bool,
    secure: bool,
) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; Max-Age={max_age_secs}; SameSite=Lax");
    if http_only {
        c.push_str("; HttpOnly");
    }
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("invalid=1; Max-Age=0"))
}

/// The language of this request (cookie, default zh-CN).
pub fn lang_of(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE)
        .map(Lang::from_code)
        .unwrap_or(Lang::ZhCn)
}

/// Everything the pipeline learns about a request, kept as one request extension (one
/// allocation instead of one per item).
#[derive(Debug, Clone)]
pub struct RequestCtx {
    /// Client IP address (`None` when unknown, e.g. in-process tests).
    pub ip: Option<IpAddr>,
    /// Page language.
    pub lang: Lang,
    /// Who is calling.
    pub actor: Actor,
    /// CSRF state (page requests only).
    pub csrf: Option<crate::csrf::Csrf>,
    /// One-time message for this page.
    pub flash: Option<crate::csrf::Flash>,
}

impl RequestCtx {
    /// A guest context in `lang` (for pages built outside the pipeline).
    pub fn guest(lang: Lang) -> Self {
        Self {
            ip: None,
            lang,
            actor: Actor::Guest,
            csrf: None,
            flash: None,
        }
    }
}

/// The client's IP address as a string.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts.extensions.get::<RequestCtx>().and_then(|c| c.ip);
        Ok(ClientIp(
            ip.map(|ip| ip.to_string())
                .unwrap_or_else(|| "unknown".into()),
        ))
    }
}

fn client_ip(req: &Request, trust_proxy: bool) -> Option<IpAddr> {
    if trust_proxy
        && let Some(ip) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|s| s.trim().parse::<IpAddr>().ok())
    {
        return Some(ip);
    }
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// Extractor for the resolved actor.
pub struct CurrentActor(pub Actor);

impl<S: Send + Sync> FromRequestParts<S> for CurrentActor {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<RequestCtx>()
                .map(|c| c.actor.clone())
                .unwrap_or(Actor::Guest),
        ))
    }
}

/// Resolves the actor, language and client IP into the request's [`RequestCtx`]. The API authenticates
/// only by bearer token and pages only by cookie, so cookies never authorise API calls (no CSRF
/// surface there). A database failure answers 503 rather than treating the caller as a guest.
pub async fn resolve(state: &AppState, req: &mut Request) -> Result<(), Response> {
    let ip = client_ip(req, state.web.trust_proxy);
    let lang = lang_of(req.headers());
    let api = is_api(req.uri().path());
    let credential = if api {
        req.headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| (t.trim().to_owned(), TokenKind::Access))
    } else {
        cookie(req.headers(), SESSION_COOKIE).map(|c| (c.to_owned(), TokenKind::Session))
    };
    let actor = match credential {
        // Secrets are 43 base64url characters; anything else cannot match and costs no query.
        Some((secret, kind)) if secret.len() == 43 => {
            match Box::pin(state.app.authenticate(&secret, kind)).await {
                Ok(a) => a,
                Err(e) => {
                    let err = ApiError::from(e);
                    return Err(if api {
                        err.into_response()
                    } else {
                        crate::pages::errors::page_status(
                            state,
                            req,
                            StatusCode::SERVICE_UNAVAILABLE,
                        )
                    });
                }
            }
        }
        _ => Actor::Guest,
    };
    req.extensions_mut().insert(RequestCtx {
        ip,
        lang,
        actor,
        csrf: None,
        flash: None,
    });
    Ok(())
}
