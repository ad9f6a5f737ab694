//! Complaint pages: the customer's `/complaints` (file one, follow them) and
//! `/complaints/{id}` (status, SLA countdown, the operator's public replies); the operators'
//! queue `/admin/complaints` and ticket page `/admin/complaints/{id}` (internal notes, public
//! replies, status); and the provider's reliability score at `/pro/reliability`.

use askama::Template;
use axum::{
    extract::{Query, State},
    response::Response,
};
use linli_app::{
    complaints::{ComplaintForm, ComplaintView, NoteForm, StatusForm},
    reliability::Reliability,
};
use linli_domain::{
    complaint::Category,
    ids::ComplaintId,
    permission::Permission,
    time::{MINUTE_MS, Timestamp},
};

use super::{Page, redirect_error, redirect_flash, render};
use crate::{
    AppState,
    access::{Access, Routes},
    extract::{PageForm, PagePath},
};

const HANDLE: Access = Access::Staff(Permission::ComplaintsHandle);

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get("/complaints", Access::Member, mine)
        .post("/complaints", Access::Member, file)
        .get("/complaints/{id}", Access::Member, show)
        .get("/admin/complaints", HANDLE, queue)
        .get("/admin/complaints/{id}", HANDLE, admin_show)
        .post("/admin/complaints/{id}/notes", HANDLE, note)
        .post("/admin/complaints/{id}/status", HANDLE, status)
        .get("/pro/reliability", Access::Member, reliability)
}

/// Local date and time of a unix-ms instant.
fn when(ms: i64) -> String {
    Timestamp(ms).local_display()
}

/// "23 h 59 min" style remaining time, or the overdue mark.
fn sla_text(p: &Page, c: &ComplaintView) -> String {
    if c.first_response_at.is_some() {
        return if c.overdue {
            p.t("complaint.answered_late").to_owned()
        } else {
            p.t("complaint.answered").to_owned()
        };
    }
    if c.overdue || c.sla_remaining_ms <= 0 {
        return p.t("complaint.overdue").to_owned();
    }
    let min = c.sla_remaining_ms / MINUTE_MS;
    format!(
        "{} {}h {}min",
        p.t("complaint.sla_left"),
        min / 60,
        min % 60
    )
}

/// A category option.
struct CategoryOption {
    value: &'static str,
    label: String,
}

#[derive(Template)]
#[template(path = "complaints.html")]
struct Mine {
    p: Page,
    items: Vec<ComplaintView>,
    categories: Vec<CategoryOption>,
    order_id: String,
}

impl Mine {
    fn sla(&self, c: &ComplaintView) -> String {
        sla_text(&self.p, c)
    }
    fn when(&self, ms: &i64) -> String {
        when(*ms)
    }
}

#[derive(serde::Deserialize, Default)]
struct MineQuery {
    #[serde(default)]
    order: Option<String>,
}

async fn mine(State(state): State<AppState>, p: Page, Query(q): Query<MineQuery>) -> Response {
    match state.app.my_complaints(&p.actor()).await {
        Ok(items) => {
            let categories = Category::ALL
                .iter()
                .map(|c| CategoryOption {
                    value: c.as_str(),
                    label: p.tk("complaint.cat_", c.as_str()),
                })
                .collect();
            render(&Mine {
                p,
                items,
                categories,
                order_id: q.order.unwrap_or_default(),
            })
        }
        Err(e) => redirect_error(&state, "/", &e),
    }
}

async fn file(
    State(state): State<AppState>,
    p: Page,
    PageForm(f): PageForm<ComplaintForm>,
) -> Response {
    match state.app.file_complaint(&p.actor(), &f).await {
        Ok(c) => redirect_flash(
            &state,
            &format!("/complaints/{}", c.id),
            false,
            "complaint.flash_filed",
        ),
        Err(e) => redirect_error(&state, "/complaints", &e),
    }
}

#[derive(Template)]
#[template(path = "complaint.html")]
struct Show {
    p: Page,
    c: ComplaintView,
    admin: bool,
}

#[derive(Template)]
#[template(path = "admin_complaint.html")]
struct AdminShow {
    p: Page,
    c: ComplaintView,
    admin: bool,
}

impl Show {
    fn sla(&self, c: &ComplaintView) -> String {
        sla_text(&self.p, c)
    }
    fn when(&self, ms: &i64) -> String {
        when(*ms)
    }
}

impl AdminShow {
    fn sla(&self, c: &ComplaintView) -> String {
        sla_text(&self.p, c)
    }
    fn when(&self, ms: &i64) -> String {
        when(*ms)
    }
}

async fn show(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<ComplaintId>,
) -> Response {
    match state.app.my_complaint(&p.actor(), id).await {
        Ok(c) => render(&Show { p, c, admin: false }),
        Err(e) => redirect_error(&state, "/complaints", &e),
    }
}

#[derive(Template)]
#[template(path = "admin_complaints.html")]
struct Queue {
    p: Page,
    items: Vec<ComplaintView>,
    status: String,
    overdue: bool,
}

impl Queue {
    fn sla(&self, c: &ComplaintView) -> String {
        sla_text(&self.p, c)
    }
    fn when(&self, ms: &i64) -> String {
        when(*ms)
    }
}

#[derive(serde::Deserialize, Default)]
struct QueueQuery {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    overdue: Option<String>,
}

async fn queue(State(state): State<AppState>, p: Page, Query(q): Query<QueueQuery>) -> Response {
    let status = q.status.unwrap_or_default();
    let overdue = matches!(q.overdue.as_deref(), Some("1" | "true" | "on"));
    match state
        .app
        .complaint_queue(&p.actor(), Some(status.as_str()), overdue)
        .await
    {
        Ok(items) => render(&Queue {
            p,
            items,
            status,
            overdue,
        }),
        Err(e) => redirect_error(&state, "/admin", &e),
    }
}

async fn admin_show(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<ComplaintId>,
) -> Response {
    match state.app.complaint_for_operator(&p.actor(), id).await {
        Ok(c) => render(&AdminShow { p, c, admin: true }),
        Err(e) => redirect_error(&state, "/admin/complaints", &e),
    }
}

async fn note(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<ComplaintId>,
    PageForm(f): PageForm<NoteForm>,
) -> Response {
    let back = format!("/admin/complaints/{id}");
    match state.app.add_complaint_note(&p.actor(), id, &f).await {
        Ok(_) => redirect_flash(&state, &back, false, "flash.saved"),
        Err(e) => redirect_error(&state, &back, &e),
    }
}

#[derive(serde::Deserialize)]
struct StatusFields {
    status: String,
    #[serde(default)]
    upheld: Option<String>,
}

async fn status(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<ComplaintId>,
    PageForm(f): PageForm<StatusFields>,
) -> Response {
    let back = format!("/admin/complaints/{id}");
    let form = StatusForm {
        status: f.status,
        upheld: matches!(f.upheld.as_deref(), Some("1" | "on" | "true")),
    };
    match state.app.set_complaint_status(&p.actor(), id, &form).await {
        Ok(_) => redirect_flash(&state, &back, false, "flash.saved"),
        Err(e) => redirect_error(&state, &back, &e),
    }
}

#[derive(Template)]
#[template(path = "pro_reliability.html")]
struct ReliabilityPage {
    p: Page,
    r: Reliability,
}

async fn reliability(State(state): State<AppState>, p: Page) -> Response {
    match state.app.my_reliability(&p.actor()).await {
        Ok(r) => render(&ReliabilityPage { p, r }),
        Err(e) => redirect_error(&state, "/pro", &e),
    }
}
