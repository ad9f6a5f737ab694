//! The admin console (`/admin`): dashboard, accounts, roles and staff.

use askama::Template;
use axum::{
    extract::{Query, State},
    response::Response,
};
use linli_app::admin::{RoleView, StaffView, UserSummary};
use linli_domain::{
    ids::{RoleId, UserId},
    permission::Permission,
};

use super::{Page, redirect_error, redirect_flash, render};
use crate::{
    AppState,
    access::{Access, Routes},
    extract::{PageForm, PagePath},
};

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get(
        "/admin",
        Access::Staff(Permission::ConsoleAccess),
        dashboard,
    )
    .get("/admin/users", Access::Staff(Permission::UsersView), users)
    .post(
        "/admin/users/{id}/status",
        Access::Staff(Permission::UsersManage),
        set_status,
    )
    .get(
        "/admin/roles",
        Access::Staff(Permission::RolesManage),
        roles,
    )
    .post(
        "/admin/roles",
        Access::Staff(Permission::RolesManage),
        create_role,
    )
    .post(
        "/admin/roles/{id}/permissions",
        Access::Staff(Permission::RolesManage),
        set_permissions,
    )
    .post(
        "/admin/staff",
        Access::Staff(Permission::RolesManage),
        grant,
    )
    .post(
        "/admin/staff/{user}/roles/{role}/revoke",
        Access::Staff(Permission::RolesManage),
        revoke,
    )
}

/// A count shown on the dashboard.
pub struct Stat {
    /// Locale key of the label.
    pub label: &'static str,
    /// Value.
    pub value: i64,
}

#[derive(Template)]
#[template(path = "admin_home.html")]
struct Dashboard {
    p: Page,
    stats: Vec<Stat>,
    jobs: Vec<(String, i64)>,
    max_jobs: i64,
}

async fn dashboard(State(state): State<AppState>, p: Page) -> Response {
    let store = &state.app.store;
    let users = store.count_users().await.unwrap_or(0);
    let staff = i64::try_from(store.staff().await.map(|s| s.len()).unwrap_or(0)).unwrap_or(0);
    let categories =
        i64::try_from(store.categories().await.map(|c| c.len()).unwrap_or(0)).unwrap_or(0);
    let jobs = store.job_counts().await.unwrap_or_default();
    let max_jobs = jobs.iter().map(|j| j.1).max().unwrap_or(0).max(1);
    let stats = vec![
        Stat {
            label: "admin.stat_users",
            value: users,
        },
        Stat {
            label: "admin.stat_staff",
            value: staff,
        },
        Stat {
            label: "admin.stat_categories",
            value: categories,
        },
    ];
    render(&Dashboard {
        p,
        stats,
        jobs,
        max_jobs,
    })
}

#[derive(serde::Deserialize, Default)]
struct UsersQuery {
    q: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct Users {
    p: Page,
    users: Vec<UserSummary>,
    total: i64,
    page: i64,
    pages: i64,
    q: String,
}

async fn users(State(state): State<AppState>, p: Page, Query(q): Query<UsersQuery>) -> Response {
    let page = q.page.unwrap_or(1).max(1);
    let filter = q.q.clone().unwrap_or_default();
    match state.app.admin_users(&p.actor(), Some(&filter), page).await {
        Ok((users, total)) => {
            let pages = ((total + 19) / 20).max(1);
            render(&Users {
                p,
                users,
                total,
                page,
                pages,
                q: filter,
            })
        }
        Err(e) => redirect_error(&state, "/admin", &e),
    }
}

#[derive(serde::Deserialize)]
struct StatusForm {
    active: String,
}

async fn set_status(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<UserId>,
    PageForm(f): PageForm<StatusForm>,
) -> Response {
    match state
        .app
        .admin_set_status(&p.actor(), id, f.active == "1")
        .await
    {
        Ok(()) => redirect_flash(&state, "/admin/users", false, "flash.saved"),
        Err(e) => redirect_error(&state, "/admin/users", &e),
    }
}

/// A permission checkbox.
pub struct PermOption {
    /// Name.
    pub name: &'static str,
    /// Locale key of its label.
    pub label: String,
}

#[derive(Template)]
#[template(path = "admin_roles.html")]
struct Roles {
    p: Page,
    roles: Vec<RoleView>,
    staff: Vec<StaffView>,
    perms: Vec<PermOption>,
}

fn perm_options() -> Vec<PermOption> {
    Permission::ALL
        .iter()
        .map(|p| PermOption {
            name: p.as_str(),
            label: format!("perm.{}", p.as_str().replace('.', "_")),
        })
        .collect()
}

async fn roles(State(state): State<AppState>, p: Page) -> Response {
    let actor = p.actor();
    let roles = match state.app.admin_roles(&actor).await {
        Ok(r) => r,
        Err(e) => return redirect_error(&state, "/admin", &e),
    };
    let staff = state.app.admin_staff(&actor).await.unwrap_or_default();
    render(&Roles {
        p,
        roles,
        staff,
        perms: perm_options(),
    })
}

/// Form with repeated `permissions` checkboxes: parsed from the raw pairs because serde's
/// urlencoded format cannot collect repeated keys into a Vec.
#[derive(serde::Deserialize)]
#[serde(transparent)]
struct RoleForm(Vec<(String, String)>);

impl RoleForm {
    fn value(&self, key: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
    fn permissions(&self) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == "permissions")
            .map(|(_, v)| v.clone())
            .collect()
    }
}

async fn create_role(
    State(state): State<AppState>,
    p: Page,
    PageForm(f): PageForm<RoleForm>,
) -> Response {
    match state
        .app
        .admin_create_role(&p.actor(), &f.value("name"), &f.permissions())
        .await
    {
        Ok(_) => redirect_flash(&state, "/admin/roles", false, "flash.saved"),
        Err(e) => redirect_error(&state, "/admin/roles", &e),
    }
}

async fn set_permissions(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<RoleId>,
    PageForm(f): PageForm<RoleForm>,
) -> Response {
    match state
        .app
        .admin_set_role_permissions(&p.actor(), id, &f.permissions())
        .await
    {
        Ok(()) => redirect_flash(&state, "/admin/roles", false, "flash.saved"),
        Err(e) => redirect_error(&state, "/admin/roles", &e),
    }
}

#[derive(serde::Deserialize)]
struct GrantForm {
    phone: String,
    role_id: String,
}

async fn grant(
    State(state): State<AppState>,
    p: Page,
    PageForm(f): PageForm<GrantForm>,
) -> Response {
    let Ok(role) = f.role_id.parse::<RoleId>() else {
        return redirect_error(&state, "/admin/roles", &linli_app::AppError::NotFound);
    };
    match state.app.admin_grant_role(&p.actor(), &f.phone, role).await {
        Ok(()) => redirect_flash(&state, "/admin/roles", false, "flash.saved"),
        Err(e) => redirect_error(&state, "/admin/roles", &e),
    }
}

async fn revoke(
    State(state): State<AppState>,
    p: Page,
    PagePath((user, role)): PagePath<(UserId, RoleId)>,
) -> Response {
    match state.app.admin_revoke_role(&p.actor(), user, role).await {
        Ok(()) => redirect_flash(&state, "/admin/roles", false, "flash.saved"),
        Err(e) => redirect_error(&state, "/admin/roles", &e),
    }
}
