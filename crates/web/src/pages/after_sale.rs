//! After-sale pages (售后): the panel on an order page (`/orders/{id}/after-sale`, loaded by
//! htmx) with the customer's request form and counter-offer/escalation buttons and the
//! provider's answer form; the request photos; and the operators' queue, evidence and
//! decision at `/admin/after-sales`.

use std::collections::HashMap;

use askama::Template;
use axum::{
    extract::{Multipart, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use linli_app::{
    AppError,
    after_sale::{
        AfterSaleForm, AfterSalePanel, AfterSaleView, AnswerForm, DecisionForm, EvidenceView,
    },
};
use linli_domain::{
    ids::{AfterSaleId, OrderId},
    permission::Permission,
};

use super::{Page, redirect_error, redirect_flash, render};
use crate::{
    AppState,
    access::{Access, Routes},
    api::after_sale::AFTER_SALE_LIMIT,
    extract::{PageForm, PagePath},
};

const FINANCE: Access = Access::Staff(Permission::FinanceManage);

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get("/orders/{id}/after-sale", Access::Member, panel)
        .upload(
            axum::http::Method::POST,
            "/orders/{id}/after-sale",
            Access::Member,
            AFTER_SALE_LIMIT,
            open,
        )
        .upload(
            axum::http::Method::POST,
            "/after-sales/{id}/answer",
            Access::Member,
            AFTER_SALE_LIMIT,
            answer,
        )
        .post("/after-sales/{id}/counter", Access::Member, counter)
        .post("/after-sales/{id}/escalate", Access::Member, escalate)
        .get("/after-sales/{id}/photos/{file}", Access::Member, photo)
        .get(
            "/after-sales/{id}/reservice",
            Access::Member,
            reservice_page,
        )
        .post("/after-sales/{id}/reservice", Access::Member, reservice)
        .get("/admin/after-sales", FINANCE, queue)
        .get("/admin/after-sales/{id}", FINANCE, detail)
        .post("/admin/after-sales/{id}/decision", FINANCE, decide)
}

/// Text fields and `photos` files of a multipart form.
async fn read_multipart(
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(HashMap<String, String>, Vec<Vec<u8>>), AppError> {
    let bad = || AppError::BadUpload("the upload is too large or the form could not be read");
    let mut mp = mp.map_err(|_| bad())?;
    let mut fields = HashMap::new();
    let mut photos = Vec::new();
    while let Some(field) = mp.next_field().await.map_err(|_| bad())? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "photos" {
            let bytes = field.bytes().await.map_err(|_| bad())?;
            if !bytes.is_empty() {
                photos.push(bytes.to_vec());
            }
        } else {
            fields.insert(name, field.text().await.map_err(|_| bad())?);
        }
    }
    Ok((fields, photos))
}

fn field(fields: &HashMap<String, String>, name: &str) -> String {
    fields.get(name).cloned().unwrap_or_default()
}

#[derive(Template)]
#[template(path = "after_sale_panel.html")]
struct PanelPage {
    p: Page,
    panel: AfterSalePanel,
}

#[derive(Template)]
#[template(path = "after_sale_panel_body.html")]
struct PanelFragment {
    p: Page,
    panel: AfterSalePanel,
}

async fn panel(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<OrderId>,
    headers: HeaderMap,
) -> Response {
    match state.app.after_sale_panel(&p.actor(), id).await {
        Ok(panel) if headers.contains_key("hx-request") => render(&PanelFragment { p, panel }),
        Ok(panel) => render(&PanelPage { p, panel }),
        Err(_) => super::errors::page_with(p, StatusCode::NOT_FOUND),
    }
}

async fn open(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<OrderId>,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let back = format!("/orders/{id}");
    let (fields, photos) = match read_multipart(mp).await {
        Ok(v) => v,
        Err(e) => return redirect_error(&state, &back, &e),
    };
    let form = AfterSaleForm {
        kind: field(&fields, "kind"),
        amount: field(&fields, "amount"),
        reason: field(&fields, "reason"),
    };
    match state
        .app
        .open_after_sale(&p.actor(), id, &form, photos)
        .await
    {
        Ok(_) => redirect_flash(&state, &back, false, "after_sale.flash_opened"),
        Err(e) => redirect_error(&state, &back, &e),
    }
}

/// Where to go back to after acting on request `id`: its order page.
async fn order_page(state: &AppState, p: &Page, id: AfterSaleId) -> String {
    match state.app.after_sale(&p.actor(), id).await {
        Ok(v) => format!("/orders/{}", v.order_id),
        Err(_) => "/orders".to_owned(),
    }
}

async fn answer(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<AfterSaleId>,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let back = order_page(&state, &p, id).await;
    let (fields, photos) = match read_multipart(mp).await {
        Ok(v) => v,
        Err(e) => return redirect_error(&state, &back, &e),
    };
    let form = AnswerForm {
        action: field(&fields, "action"),
        amount: field(&fields, "amount"),
        note: field(&fields, "note"),
    };
    match state
        .app
        .answer_after_sale(&p.actor(), id, &form, photos)
        .await
    {
        Ok(_) => redirect_flash(&state, &back, false, "flash.saved"),
        Err(e) => redirect_error(&state, &back, &e),
    }
}

#[derive(serde::Deserialize)]
struct CounterForm {
    accept: String,
}

async fn counter(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<AfterSaleId>,
    PageForm(f): PageForm<CounterForm>,
) -> Response {
    let back = order_page(&state, &p, id).await;
    match state
        .app
        .respond_counter(&p.actor(), id, f.accept == "1")
        .await
    {
        Ok(_) => redirect_flash(&state, &back, false, "flash.saved"),
        Err(e) => redirect_error(&state, &back, &e),
    }
}

async fn escalate(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<AfterSaleId>,
) -> Response {
    let back = order_page(&state, &p, id).await;
    match state.app.escalate_after_sale(&p.actor(), id).await {
        Ok(_) => redirect_flash(&state, &back, false, "after_sale.flash_escalated"),
        Err(e) => redirect_error(&state, &back, &e),
    }
}

#[derive(Template)]
#[template(path = "after_sale_reservice.html")]
struct ReservicePage {
    p: Page,
    r: AfterSaleView,
    days: Vec<(String, String)>,
    date: String,
    slots: Option<linli_app::orders::Slots>,
}

#[derive(serde::Deserialize, Default)]
struct DateForm {
    #[serde(default)]
    date: String,
    #[serde(default)]
    time: String,
}

/// Booking the re-service (返工) of a request: pick a day, then one of its free times.
async fn reservice_page(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<AfterSaleId>,
    q: Result<axum::extract::Query<DateForm>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let actor = p.actor();
    let r = match state.app.after_sale(&actor, id).await {
        Ok(r) => r,
        Err(_) => return super::errors::page_with(p, StatusCode::NOT_FOUND),
    };
    let back = format!("/orders/{}", r.order_id);
    let date = q.map(|axum::extract::Query(q)| q.date).unwrap_or_default();
    let slots = if date.is_empty() {
        None
    } else {
        match state.app.reservice_slots(&actor, id, &date).await {
            Ok(s) => Some(s),
            Err(e) => return redirect_error(&state, &back, &e),
        }
    };
    let en = p.is_en();
    render(&ReservicePage {
        p,
        r,
        days: super::orders::days_ahead(linli_domain::time::Day::of(state.app.now()), 14, en),
        date,
        slots,
    })
}

async fn reservice(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<AfterSaleId>,
    PageForm(f): PageForm<DateForm>,
) -> Response {
    match state
        .app
        .book_reservice(&p.actor(), id, &f.date, &f.time)
        .await
    {
        Ok(o) => redirect_flash(
            &state,
            &format!("/orders/{}", o.id),
            false,
            "after_sale.flash_reservice_booked",
        ),
        Err(e) => redirect_error(
            &state,
            &format!(
                "/after-sales/{id}/reservice?date={}",
                super::urlencode(&f.date)
            ),
            &e,
        ),
    }
}

async fn photo(
    State(state): State<AppState>,
    p: Page,
    PagePath((id, file)): PagePath<(AfterSaleId, String)>,
) -> Response {
    match state.app.after_sale_photo(&p.actor(), id, &file).await {
        Ok((bytes, kind)) => (
            [
                (header::CONTENT_TYPE, kind.mime()),
                (header::CACHE_CONTROL, "private, max-age=3600"),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

#[derive(Template)]
#[template(path = "admin_after_sales.html")]
struct Queue {
    p: Page,
    status: String,
    items: Vec<AfterSaleView>,
}

#[derive(Debug, Default, serde::Deserialize)]
struct QueueParams {
    #[serde(default)]
    status: Option<String>,
}

async fn queue(
    State(state): State<AppState>,
    p: Page,
    q: Result<axum::extract::Query<QueueParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let status = q
        .ok()
        .and_then(|q| q.0.status)
        .unwrap_or_else(|| "escalated".to_owned());
    match state.app.after_sale_queue(&p.actor(), &status).await {
        Ok(items) => render(&Queue { p, status, items }),
        Err(e) => redirect_error(&state, "/admin", &e),
    }
}

#[derive(Template)]
#[template(path = "admin_after_sale.html")]
struct Detail {
    p: Page,
    ev: EvidenceView,
}

async fn detail(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<AfterSaleId>,
) -> Response {
    match state.app.after_sale_evidence(&p.actor(), id).await {
        Ok(ev) => render(&Detail { p, ev }),
        Err(_) => super::errors::page_with(p, StatusCode::NOT_FOUND),
    }
}

async fn decide(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<AfterSaleId>,
    PageForm(f): PageForm<DecisionForm>,
) -> Response {
    let back = format!("/admin/after-sales/{id}");
    match state.app.decide_after_sale(&p.actor(), id, &f).await {
        Ok(_) => redirect_flash(&state, &back, false, "flash.saved"),
        Err(e) => redirect_error(&state, &back, &e),
    }
}
