//! Route declarations and their enforcement. Handlers are only added through [`Routes`], which
//! records an [`Access`] for each method and path; [`enforce`] runs after routing and refuses
//! any route without a declaration (deny by default) before the handler runs.

use std::collections::HashMap;

use axum::{
    Router,
    extract::{MatchedPath, Request, State},
    handler::Handler,
    http::Method,
    middleware::Next,
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
        let method = if method == Method::HEAD {
            &Method::GET
        } else {
            method
        };
        self.by_path
            .get(path)?
            .iter()
            .find(|(m, _)| m == method)
            .map(|(_, a)| *a)
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
        self.table.insert(RouteDecl {
            method,
            path,
            access,
        });
        self.router = self.router.route(path, on(filter, handler));
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
            on(filter, handler).layer(axum::extract::DefaultBodyLimit::max(limit)),
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

/// Route layer: refuses undeclared routes and callers the declaration does not admit.
pub async fn enforce(
    State(state): State<AppState>,
    matched: Option<MatchedPath>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_owned();
    let api = is_api(&path);
    let Some(pattern) = matched.as_ref().map(MatchedPath::as_str) else {
        return errors::not_found_for(&state, &req, api);
    };
    let Some(access) = state.routes.access(req.method(), pattern) else {
        if state.routes.has_path(pattern) {
            return if api {
                ApiError::new(
                    axum::http::StatusCode::METHOD_NOT_ALLOWED,
                    "method_not_allowed",
                    "method not allowed",
                )
                .into_response()
            } else {
                errors::page_status(&state, &req, axum::http::StatusCode::METHOD_NOT_ALLOWED)
            };
        }
        tracing::error!(method = %req.method(), route = pattern, "route has no access declaration; refused");
        return errors::not_found_for(&state, &req, api);
    };
    let actor = req
        .extensions()
        .get::<Actor>()
        .cloned()
        .unwrap_or(Actor::Guest);
    let allowed = match access {
        Access::Public | Access::Dev => Ok(()),
        Access::Member => actor.member().map(|_| ()),
        Access::Staff(p) => actor.require(p).map(|_| ()),
    };
    let route = RouteLabel(pattern.to_owned());
    let mut res = match allowed {
        Ok(()) => next.run(req).await,
        Err(e) if api => ApiError::from(e).into_response(),
        Err(linli_app::AppError::Unauthenticated) => {
            let next_path = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            Redirect::to(&format!(
                "/login?next={}",
                crate::pages::urlencode(next_path)
            ))
            .into_response()
        }
        Err(_) => errors::page_status(&state, &req, axum::http::StatusCode::FORBIDDEN),
    };
    res.extensions_mut().insert(route);
    res
}

/// The matched route pattern, attached to responses for metrics labels.
#[derive(Debug, Clone)]
pub struct RouteLabel(pub String);
