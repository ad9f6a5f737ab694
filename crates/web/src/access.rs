//! Route declarations and their enforcement. Handlers are only added through [`Routes`], which
//! records an [`Access`] for each method and path; [`enforce`] runs after routing and refuses
//! any route without a declaration (deny by default) before the handler runs.

use std::collections::HashMap;

use axum::{
    Router,
    extract::{DefaultBodyLimit, MatchedPath, Request},
    handler::Handler,
    http::{Method, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{MethodFilter, on},
};
use linli_app::Actor;
use linli_domain::permission::Permission;

use crate::{AppState, error::ApiError, pages::errors};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anybody, signed in or not.
    Public,
    /// Any signed-in account.
    Member,
    /// Staff holding this permission.
    Staff(Permission),
    /// Developer tools; only registered in dev mode.
    Dev,
}

/// One declared route.
#[derive(Debug, Clone)]
pub struct RouteDecl {
    /// HTTP method.
    pub method: Method,
    /// Path pattern as given to axum.
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
}

/// Declarations looked up by the enforcement layer.
#[derive(Debug, Default)]
pub struct RouteTable {
    by_path: HashMap<&'static str, Vec<(Method, Access)>>,
    /// Every declaration in the order added.
    pub all: Vec<RouteDecl>,
}

impl RouteTable {
    /// The declared access of a method on a path pattern (HEAD follows GET).
    pub fn access(&self, method: &Method, path: &str) -> Option<Access> {
        self.lookup(method, path).map(|(a, _)| a)
    }

    /// The declared access and the pattern's static text.
    pub fn lookup(&self, method: &Method, path: &str) -> Option<(Access, &'static str)> {
        let method = if method == Method::HEAD {
            &Method::GET
        } else {
            method
        };
        let (pattern, decls) = self.by_path.get_key_value(path)?;
        decls
            .iter()
            .find(|(m, _)| m == method)
            .map(|(_, a)| (*a, *pattern))
    }

    /// Whether any method is declared on the pattern.
    pub fn has_path(&self, path: &str) -> bool {
        self.by_path.contains_key(path)
    }

    fn insert(&mut self, d: RouteDecl) {
        let entry = self.by_path.entry(d.path).or_default();
        assert!(
            !entry.iter().any(|(m, _)| *m == d.method),
            "route {} {} declared twice",
            d.method,
            d.path
        );
        entry.push((d.method.clone(), d.access));
        self.all.push(d);
    }
}

/// Builder that is the only way to add a route.
pub struct Routes {
    router: Router<AppState>,
    table: RouteTable,
}

impl Default for Routes {
    fn default() -> Self {
        Self::new()
    }
}

macro_rules! verb {
    ($name:ident, $method:expr, $filter:expr) => {
        /// Adds a handler for this method, declaring who may call it.
        pub fn $name<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
        where
            H: Handler<T, AppState>,
            T: 'static,
        {
            self.add($method, $filter, path, access, handler)
        }
    };
}

impl Routes {
    /// No routes yet.
    pub fn new() -> Self {
        Self {
            router: Router::new(),
            table: RouteTable::default(),
        }
    }

    verb!(get, Method::GET, MethodFilter::GET);
    verb!(post, Method::POST, MethodFilter::POST);
    verb!(put, Method::PUT, MethodFilter::PUT);
    verb!(patch, Method::PATCH, MethodFilter::PATCH);
    verb!(delete, Method::DELETE, MethodFilter::DELETE);

    fn add<H, T>(
        mut self,
        method: Method,
        filter: MethodFilter,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        // Requests that carry a body get the small default limit; GET/HEAD/DELETE read none,
        // so they skip the layer.
        let reads_body = matches!(method, Method::POST | Method::PUT | Method::PATCH);
        self.table.insert(RouteDecl {
            method,
            path,
            access,
        });
        let endpoint = on(filter, handler);
        let endpoint = if reads_body {
            endpoint.layer(DefaultBodyLimit::max(crate::BODY_LIMIT))
        } else {
            endpoint
        };
        self.router = self.router.route(path, endpoint);
        self
    }

    /// Adds an upload handler (`method` POST or PUT) with its own body limit.
    pub fn upload<H, T>(
        mut self,
        method: Method,
        path: &'static str,
        access: Access,
        limit: usize,
        handler: H,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = if method == Method::PUT {
            MethodFilter::PUT
        } else {
            MethodFilter::POST
        };
        self.table.insert(RouteDecl {
            method,
            path,
            access,
        });
        self.router = self.router.route(
            path,
            on(filter, handler).layer(DefaultBodyLimit::max(limit)),
        );
        self
    }

    /// Merges routes built separately (each keeps its own layers).
    pub fn merge(mut self, other: Routes) -> Self {
        for d in other.table.all {
            self.table.insert(d);
        }
        self.router = self.router.merge(other.router);
        self
    }

    /// The router and its declarations.
    pub fn finish(self) -> (Router<AppState>, RouteTable) {
        (self.router, self.table)
    }

    /// The declarations (for tests).
    pub fn declarations(&self) -> &[RouteDecl] {
        &self.table.all
    }
}

/// Whether a request path belongs to the JSON API.
pub fn is_api(path: &str) -> bool {
    path == "/api/v1" || path.starts_with("/api/v1/")
}

/// Outcome of [`check`].
pub enum Admission {
    /// Admitted; the route pattern (a static string, for metrics).
    Admit(&'static str),
    /// Refused with this response; the route pattern when the route exists.
    Refuse(Response, Option<&'static str>),
}

/// Checks the request against its route's declaration. Returns the route pattern (a static
/// string, for metrics) when the caller is admitted, or the refusal to send. Undeclared routes
/// are refused: a forgotten declaration is a closed door.
pub fn check(state: &AppState, matched: Option<&MatchedPath>, req: &Request) -> Admission {
    let api = is_api(req.uri().path());
    let Some(pattern) = matched.map(MatchedPath::as_str) else {
        return Admission::Refuse(errors::not_found_for(state, req, api), None);
    };
    let Some((access, pattern)) = state.routes.lookup(req.method(), pattern) else {
        if state.routes.has_path(pattern) {
            let res = if api {
                ApiError::new(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "method_not_allowed",
                    "method not allowed",
                )
                .into_response()
            } else {
                errors::page_status(state, req, StatusCode::METHOD_NOT_ALLOWED)
            };
            return Admission::Refuse(res, None);
        }
        tracing::error!(method = %req.method(), route = pattern, "route has no access declaration; refused");
        return Admission::Refuse(errors::not_found_for(state, req, api), None);
    };
    let actor = req
        .extensions()
        .get::<crate::session::RequestCtx>()
        .map(|c| &c.actor);
    let allowed = match (access, actor) {
        (Access::Public | Access::Dev, _) => Ok(()),
        (_, None | Some(Actor::Guest)) => Err(linli_app::AppError::Unauthenticated),
        (Access::Member, Some(_)) => Ok(()),
        (Access::Staff(p), Some(a)) => a.require(p).map(|_| ()),
    };
    match allowed {
        Ok(()) => Admission::Admit(pattern),
        Err(e) if api => Admission::Refuse(ApiError::from(e).into_response(), Some(pattern)),
        Err(linli_app::AppError::Unauthenticated) => {
            let next_path = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            let to = format!("/login?next={}", crate::pages::urlencode(next_path));
            Admission::Refuse(Redirect::to(&to).into_response(), Some(pattern))
        }
        Err(_) => Admission::Refuse(
            errors::page_status(state, req, StatusCode::FORBIDDEN),
            Some(pattern),
        ),
    }
}

/// The matched route pattern, attached to responses for metrics labels.
#[derive(Debug, Clone)]
pub struct RouteLabel(pub &'static str);
