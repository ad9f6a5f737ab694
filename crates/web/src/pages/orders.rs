//! Booking pages: the three-step order (`/book/{listing}`), the customer's orders with their
//! timeline, cancel (fee shown first) and reschedule, the provider's requests, calendar and
//! working hours, and the notification list (`/messages`).

use askama::Template;
use axum::{
    extract::{Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use linli_app::{
    AppError,
    guarantee::GuaranteePanel,
    listings::ListingView,
    money::PayStart,
    orders::{CancelPreview, Choice, OrderForm, OrderView, ScheduleForm, ScheduleView, Slots},
    profile::AddressView,
    visits::{CheckInForm, ServiceCodeForm, VisitView},
};
use linli_domain::{
    ids::{ListingId, OrderId},
    time::{Day, MINUTE_MS},
};

use super::{Page, redirect_error, redirect_flash, render, urlencode};
use crate::{
    AppState,
    access::{Access, Routes},
    extract::{PageForm, PagePath},
};

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get("/book/{id}", Access::Member, book)
        .post("/book/{id}", Access::Member, place)
        .get("/orders", Access::Member, list)
        .get("/orders/{id}", Access::Member, detail)
        .post("/orders/{id}/pay", Access::Member, pay)
        .post("/orders/{id}/confirm", Access::Member, confirm)
        .post(
            "/orders/{id}/supplement/pay",
            Access::Member,
            pay_supplement,
        )
        .post(
            "/orders/{id}/supplement/decline",
            Access::Member,
            decline_supplement,
        )
        .get("/orders/{id}/cancel", Access::Member, cancel_page)
        .post("/orders/{id}/cancel", Access::Member, cancel)
        .get("/orders/{id}/reschedule", Access::Member, reschedule_page)
        .post("/orders/{id}/reschedule", Access::Member, reschedule)
        .post("/orders/{id}/no-show", Access::Member, no_show)
        .get("/pro/orders", Access::Member, pro_orders)
        .post("/pro/orders/{id}/answer", Access::Member, answer)
        .post("/pro/orders/{id}/start", Access::Member, start)
        .post("/pro/orders/{id}/complete", Access::Member, complete)
        .post("/pro/orders/{id}/code", Access::Member, service_code)
        .get(
            "/orders/{id}/visit-photos/{file}",
            Access::Member,
            visit_photo,
        )
        .upload(
            axum::http::Method::POST,
            "/pro/orders/{id}/checklist/{index}",
            Access::Member,
            linli_app::files::PHOTO.max_bytes + 64 * 1024,
            tick,
        )
        .get("/pro/schedule", Access::Member, schedule_page)
        .post("/pro/schedule", Access::Member, save_schedule)
        .get("/messages", Access::Member, messages)
}

/// Raw query or form pairs (repeated `addons`).
type Pairs = Vec<(String, String)>;

fn get<'a>(pairs: &'a Pairs, key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

fn choice_of(pairs: &Pairs) -> Choice {
    Choice {
        variant: Some(get(pairs, "variant").to_owned()).filter(|v| !v.is_empty()),
        addons: pairs
            .iter()
            .filter(|(k, v)| k == "addons" && !v.is_empty())
            .map(|(_, v)| v.clone())
            .collect(),
        units: get(pairs, "units").trim().parse().ok(),
    }
}

/// The next days a customer can pick, `(value, label)`.
pub(super) fn days_ahead(from: Day, n: i64, en: bool) -> Vec<(String, String)> {
    const ZH: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
    const EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    (0..n)
        .map(|i| {
            let d = from.plus_days(i);
            let w = if en { EN } else { ZH }[d.weekday_index()];
            let v = d.to_string();
            let label = format!("{} {w}", v.get(5..).unwrap_or(&v));
            (v, label)
        })
        .collect()
}

#[derive(Template)]
#[template(path = "book.html")]
struct Book {
    p: Page,
    l: ListingView,
    addresses: Vec<AddressView>,
    days: Vec<(String, String)>,
    variant: String,
    addons: Vec<String>,
    units: i64,
    address: String,
    date: String,
    slots: Option<Slots>,
    has_variants: bool,
    has_addons: bool,
}

async fn book(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<ListingId>,
    q: Result<Query<Pairs>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let pairs = q.map(|Query(q)| q).unwrap_or_default();
    let actor = p.actor();
    let l = match state.app.listing(&actor, id).await {
        Ok(l) if l.status == "published" => l,
        _ => return super::errors::page_with(p, StatusCode::NOT_FOUND),
    };
    let addresses = state.app.addresses(&actor).await.unwrap_or_default();
    let choice = choice_of(&pairs);
    let address = Some(get(&pairs, "address").to_owned())
        .filter(|a| !a.is_empty())
        .or_else(|| addresses.first().map(|a| a.id.clone()))
        .unwrap_or_default();
    let today = Day::of(state.app.now());
    let date = get(&pairs, "date").to_owned();
    let slots = if date.is_empty() || address.is_empty() {
        None
    } else {
        match address.parse() {
            Ok(a) => match state.app.slots(&actor, id, a, &date, &choice).await {
                Ok(s) => Some(s),
                Err(e) => {
                    let back = format!("/book/{id}");
                    return redirect_error(&state, &back, &e);
                }
            },
            Err(_) => None,
        }
    };
    let en = p.is_en();
    render(&Book {
        has_variants: l.options.iter().any(|o| o.kind == "variant"),
        has_addons: l.options.iter().any(|o| o.kind == "addon"),
        p,
        days: days_ahead(today, 14, en),
        variant: choice.variant.clone().unwrap_or_default(),
        addons: choice.addons.clone(),
        units: choice.units.unwrap_or(l.min_units),
        l,
        addresses,
        address,
        date,
        slots,
    })
}

async fn place(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<ListingId>,
    PageForm(f): PageForm<Pairs>,
) -> Response {
    let Choice {
        variant,
        addons,
        units,
    } = choice_of(&f);
    let form = OrderForm {
        listing: id.to_string(),
        variant,
        addons,
        units,
        address: get(&f, "address").to_owned(),
        date: get(&f, "date").to_owned(),
        time: get(&f, "time").to_owned(),
        note: get(&f, "note").to_owned(),
    };
    match state.app.place_order(&p.actor(), &form).await {
        Ok(o) => redirect_flash(
            &state,
            &format!("/orders/{}", o.id),
            false,
            "flash.order_placed",
        ),
        Err(e) => {
            let mut back = format!(
                "/book/{id}?address={}&date={}",
                urlencode(&form.address),
                urlencode(&form.date)
            );
            if let Some(v) = &form.variant {
                back.push_str(&format!("&variant={}", urlencode(v)));
            }
            for a in &form.addons {
                back.push_str(&format!("&addons={}", urlencode(a)));
            }
            if let Some(u) = form.units {
                back.push_str(&format!("&units={u}"));
            }
            redirect_error(&state, &back, &e)
        }
    }
}

#[derive(Template)]
#[template(path = "orders.html")]
struct Orders {
    p: Page,
    filter: String,
    orders: Vec<OrderView>,
}

#[derive(serde::Deserialize)]
struct ListQuery {
    status: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    p: Page,
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let filter = q
        .ok()
        .and_then(|Query(q)| q.status)
        .filter(|s| ["all", "active", "done", "closed"].contains(&s.as_str()))
        .unwrap_or_else(|| "all".into());
    match state.app.my_orders(&p.actor(), &filter).await {
        Ok(orders) => render(&Orders { p, filter, orders }),
        Err(e) => redirect_error(&state, "/", &e),
    }
}

#[derive(Template)]
#[template(path = "order.html")]
struct Detail {
    p: Page,
    o: OrderView,
    /// Minutes left to pay (pending payment) or to accept (awaiting acceptance).
    minutes_left: Option<i64>,
    /// The visit (from acceptance on).
    v: Option<VisitView>,
    /// The customer's service code as an inline SVG QR code.
    qr: Option<String>,
    /// The 先行赔付 panel (the customer's completed orders).
    guarantee: Option<GuaranteePanel>,
    /// One-time token of the claim form.
    once: String,
}

impl Detail {
    /// Whether the viewer may do `action` now.
    fn can(&self, action: &str) -> bool {
        self.o.actions.iter().any(|a| a == action)
    }
}

fn minutes_left(state: &AppState, until_ms: Option<i64>) -> Option<i64> {
    until_ms.map(|t| ((t - state.app.now().0) / MINUTE_MS).max(0))
}

async fn detail(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<OrderId>,
) -> Response {
    match state.app.order_view(&p.actor(), id).await {
        Ok(o) => {
            let left = minutes_left(&state, o.pay_deadline_ms.or(o.accept_deadline_ms));
            let v = if matches!(
                o.status.as_str(),
                "accepted" | "in_service" | "awaiting_supplement" | "completed" | "confirmed"
            ) {
                state.app.visit_view(&p.actor(), id).await.ok()
            } else {
                None
            };
            let qr = v
                .as_ref()
                .and_then(|v| v.service_code.as_deref())
                .and_then(qr_svg);
            let guarantee = state
                .app
                .guarantee_panel(&p.actor(), id)
                .await
                .ok()
                .flatten();
            render(&Detail {
                p,
                minutes_left: left,
                o,
                v,
                qr,
                guarantee,
                once: super::once::once_token(),
            })
        }
        Err(_) => super::errors::page_with(p, StatusCode::NOT_FOUND),
    }
}

/// Sends the payer to the payment provider's cashier (which brings them back to the order).
async fn pay(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<OrderId>,
    headers: HeaderMap,
) -> Response {
    to_cashier(&state, p, id, &headers, false).await
}

/// Sends the customer to the cashier to pay an overrun's supplement (补款).
async fn pay_supplement(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<OrderId>,
    headers: HeaderMap,
) -> Response {
    to_cashier(&state, p, id, &headers, true).await
}

/// Starts paying the order (or its `supplement`) and sends the payer to the cashier.
async fn to_cashier(
    state: &AppState,
    p: Page,
    id: OrderId,
    headers: &HeaderMap,
    supplement: bool,
) -> Response {
    let back = format!("/orders/{id}");
    if state.app.payments.is_none() {
        return redirect_flash(state, &back, true, "err.payments_unavailable");
    }
    let started = if supplement {
        state.app.pay_supplement(&p.actor(), id).await
    } else {
        state.app.pay_order(&p.actor(), id).await
    };
    match started {
        Ok(start) if same_site(headers, &start.cashier_url) => {
            Redirect::to(&start.cashier_url).into_response()
        }
        // The page's `form-action 'self'` would stop a form's redirect to another origin, so
        // a cashier elsewhere is reached from a page of ours by a plain link.
        Ok(start) => render(&ToCashier {
            p,
            o: id.to_string(),
            start,
        }),
        Err(e) => redirect_error(state, &back, &e),
    }
}

/// The customer declines an overrun's supplement: the order completes at the amount paid.
async fn decline_supplement(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<OrderId>,
    PageForm(f): PageForm<Pairs>,
) -> Response {
    let back = format!("/orders/{id}");
    let form = linli_app::supplements::DeclineSupplementForm {
        reason: get(&f, "reason").to_owned(),
    };
    match state.app.decline_supplement(&p.actor(), id, &form).await {
        Ok(_) => redirect_flash(&state, &back, false, "flash.supplement_declined"),
        Err(e) => redirect_error(&state, &back, &e),
    }
}

/// Whether `url` is on the host the browser used to reach us (a 303 there passes the
/// page's CSP).
pub(crate) fn same_site(headers: &HeaderMap, url: &str) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .unwrap_or("");
    let authority = rest.split('/').next().unwrap_or("");
    !authority.is_empty() && authority.eq_ignore_ascii_case(host)
}

#[derive(Template)]
#[template(path = "order_cashier.html")]
struct ToCashier {
    p: Page,
    o: String,
    start: PayStart,
}

async fn confirm(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<OrderId>,
) -> Response {
    let back = format!("/orders/{id}");
    match state.app.confirm_order(&p.actor(), id).await {
        Ok(_) => redirect_flash(&state, &back, false, "flash.order_confirmed"),
        Err(e) => redirect_error(&state, &back, &e),
    }
}

/// Where a provider's order button came from (`/pro/orders` or the order page).
fn provider_back(f: &Pairs, id: OrderId) -> String {
    if get(f, "back") == "list" {
        "/pro/orders".to_owned()
    } else {
        format!("/orders/{id}")
    }
}

async fn start(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<OrderId>,
    PageForm(f): PageForm<Pairs>,
) -> Response {
    let back = provider_back(&f, id);
    let micro = |k: &str| {
        let v: f64 = get(&f, k).trim().parse().ok()?;
        // Degrees from the browser's geolocation, to micro-degrees.
        #[allow(clippy::cast_possible_truncation)]
        v.is_finite().then(|| (v * 1e6).round() as i64)
    };
    let form = CheckInForm {
        lat_micro: micro("lat"),
        lng_micro: micro("lng"),
        reason: get(&f, "reason").to_owned(),
    };
    match state.app.start_service(&p.actor(), id, &form).await {
        Ok(_) => redirect_flash(&state, &back, false, "flash.order_started"),
        Err(e) => redirect_error(&state, &back, &e),
    }
}

async fn complete(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<OrderId>,
    PageForm(f): PageForm<Pairs>,
) -> Response {
    let back = provider_back(&f, id);
    match state.app.complete_order(&p.actor(), id).await {
        Ok(o) if o.status == "awaiting_supplement" => {
            redirect_flash(&state, &back, false, "flash.order_awaiting_supplement")
        }
        Ok(_) => redirect_flash(&state, &back, false, "flash.order_completed"),
        Err(e) => redirect_error(&state, &back, &e),
    }
}

/// The customer's service code as a QR code (inline SVG), `None` if it cannot be encoded.
fn qr_svg(code: &str) -> Option<String> {
    let qr = qrcode::QrCode::new(code.as_bytes()).ok()?;
    Some(
        qr.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(140, 140)
            .build(),
    )
}

/// A visit photo, to the order's two sides only.
async fn visit_photo(
    State(state): State<AppState>,
    p: Page,
    PagePath((id, file)): PagePath<(OrderId, String)>,
) -> Response {
    match state.app.visit_photo(&p.actor(), id, &file).await {
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

async fn service_code(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<OrderId>,
    PageForm(f): PageForm<Pairs>,
) -> Response {
    let back = format!("/orders/{id}");
    let form = ServiceCodeForm {
        code: get(&f, "code").to_owned(),
    };
    match state.app.enter_service_code(&p.actor(), id, &form).await {
        Ok(_) => redirect_flash(&state, &back, false, "flash.service_code_ok"),
        Err(e) => redirect_error(&state, &back, &e),
    }
}

/// Ticks a checklist item, with the photo from the form's `photo` file field.
async fn tick(
    State(state): State<AppState>,
    p: Page,
    PagePath((id, index)): PagePath<(OrderId, i64)>,
    mp: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let back = format!("/orders/{id}");
    let Ok(mut mp) = mp else {
        return redirect_error(&state, &back, &AppError::BadUpload("not a file upload"));
    };
    let mut photo = None;
    loop {
        match mp.next_field().await {
            Ok(Some(field)) if field.name() == Some("photo") => match field.bytes().await {
                Ok(b) if !b.is_empty() => photo = Some(b.to_vec()),
                Ok(_) => {}
                Err(_) => {
                    let e = AppError::BadUpload("the upload is too large (max 10 MB per photo)");
                    return redirect_error(&state, &back, &e);
                }
            },
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => {
                let e = AppError::BadUpload("the form could not be read");
                return redirect_error(&state, &back, &e);
            }
        }
    }
    match state.app.tick_checklist(&p.actor(), id, index, photo).await {
        Ok(_) => redirect_flash(&state, &back, false, "flash.checklist_ticked"),
        Err(e) => redirect_error(&state, &back, &e),
    }
}

async fn no_show(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<OrderId>,
) -> Response {
    let back = format!("/orders/{id}");
    match state.app.report_no_show(&p.actor(), id).await {
        Ok(_) => redirect_flash(&state, &back, false, "flash.order_cancelled"),
        Err(e) => redirect_error(&state, &back, &e),
    }
}

#[derive(Template)]
#[template(path = "order_cancel.html")]
struct CancelPage {
    p: Page,
    o: OrderView,
    terms: CancelPreview,
}

async fn cancel_page(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<OrderId>,
) -> Response {
    let actor = p.actor();
    let back = format!("/orders/{id}");
    let o = match state.app.order_view(&actor, id).await {
        Ok(o) => o,
        Err(_) => return super::errors::page_with(p, StatusCode::NOT_FOUND),
    };
    match state.app.cancel_preview(&actor, id).await {
        Ok(terms) => render(&CancelPage { p, o, terms }),
        Err(e) => redirect_error(&state, &back, &e),
    }
}

async fn cancel(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<OrderId>,
    PageForm(f): PageForm<Pairs>,
) -> Response {
    let back = format!("/orders/{id}");
    match state
        .app
        .cancel_order(&p.actor(), id, get(&f, "reason"))
        .await
    {
        Ok(_) => redirect_flash(&state, &back, false, "flash.order_cancelled"),
        Err(e) => redirect_error(&state, &back, &e),
    }
}

#[derive(Template)]
#[template(path = "order_reschedule.html")]
struct ReschedulePage {
    p: Page,
    o: OrderView,
    days: Vec<(String, String)>,
    date: String,
    slots: Option<Slots>,
}

async fn reschedule_page(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<OrderId>,
    q: Result<Query<Pairs>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let pairs = q.map(|Query(q)| q).unwrap_or_default();
    let actor = p.actor();
    let back = format!("/orders/{id}");
    let o = match state.app.order_view(&actor, id).await {
        Ok(o) => o,
        Err(_) => return super::errors::page_with(p, StatusCode::NOT_FOUND),
    };
    let date = get(&pairs, "date").to_owned();
    let slots = if date.is_empty() {
        None
    } else {
        match state.app.reschedule_slots(&actor, id, &date).await {
            Ok(s) => Some(s),
            Err(e) => return redirect_error(&state, &back, &e),
        }
    };
    let en = p.is_en();
    render(&ReschedulePage {
        p,
        o,
        days: days_ahead(Day::of(state.app.now()), 14, en),
        date,
        slots,
    })
}

async fn reschedule(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<OrderId>,
    PageForm(f): PageForm<Pairs>,
) -> Response {
    let back = format!("/orders/{id}");
    match state
        .app
        .reschedule(&p.actor(), id, get(&f, "date"), get(&f, "time"))
        .await
    {
        Ok(_) => redirect_flash(&state, &back, false, "flash.order_rescheduled"),
        Err(e) => redirect_error(
            &state,
            &format!("{back}/reschedule?date={}", urlencode(get(&f, "date"))),
            &e,
        ),
    }
}

/// One day of the provider's calendar.
struct CalendarDay {
    date: String,
    label: String,
    jobs: Vec<OrderView>,
}

#[derive(Template)]
#[template(path = "pro_orders.html")]
struct ProOrders {
    p: Page,
    requests: Vec<(OrderView, i64)>,
    calendar: Vec<CalendarDay>,
    view: String,
    from: String,
    prev: String,
    next: String,
}

impl ProOrders {
    /// Whether the provider may do `action` on `o` now.
    fn has(&self, o: &OrderView, action: &str) -> bool {
        o.actions.iter().any(|a| a == action)
    }
}

async fn pro_orders(
    State(state): State<AppState>,
    p: Page,
    q: Result<Query<Pairs>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let pairs = q.map(|Query(q)| q).unwrap_or_default();
    let actor = p.actor();
    let view = if get(&pairs, "view") == "day" {
        "day"
    } else {
        "week"
    };
    let days = if view == "day" { 1 } else { 7 };
    let from = Day::parse(get(&pairs, "from")).unwrap_or_else(|_| Day::of(state.app.now()));
    let requests = match state.app.provider_orders(&actor, None, 1, true).await {
        Ok(r) => r,
        Err(e) => return redirect_error(&state, "/pro", &e),
    };
    let jobs = state
        .app
        .provider_orders(&actor, Some(&from.to_string()), days, false)
        .await
        .unwrap_or_default();
    let en = p.is_en();
    let calendar = days_ahead(from, days, en)
        .into_iter()
        .map(|(date, label)| CalendarDay {
            jobs: jobs
                .iter()
                .filter(|j| j.start.starts_with(&date))
                .cloned()
                .collect(),
            date,
            label,
        })
        .collect();
    let requests = requests
        .into_iter()
        .map(|o| {
            let left = minutes_left(&state, o.accept_deadline_ms).unwrap_or(0);
            (o, left)
        })
        .collect();
    render(&ProOrders {
        p,
        requests,
        calendar,
        view: view.to_owned(),
        from: from.to_string(),
        prev: from.plus_days(-days).to_string(),
        next: from.plus_days(days).to_string(),
    })
}

async fn answer(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<OrderId>,
    PageForm(f): PageForm<Pairs>,
) -> Response {
    let accept = get(&f, "decision") == "accept";
    match state
        .app
        .answer_order(&p.actor(), id, accept, get(&f, "reason"))
        .await
    {
        Ok(_) => redirect_flash(
            &state,
            "/pro/orders",
            false,
            if accept {
                "flash.order_accepted"
            } else {
                "flash.order_declined"
            },
        ),
        Err(e) => redirect_error(&state, "/pro/orders", &e),
    }
}

#[derive(Template)]
#[template(path = "pro_schedule.html")]
struct SchedulePage {
    p: Page,
    s: ScheduleView,
    weekdays: Vec<(usize, String, String)>,
}

/// `(index, localised name, current ranges)` for each weekday.
fn weekdays(p: &Page, s: &ScheduleView) -> Vec<(usize, String, String)> {
    (0..7)
        .map(|i| {
            (
                i,
                p.t(&format!("schedule.day{i}")).to_owned(),
                s.weekly.get(i).cloned().unwrap_or_default(),
            )
        })
        .collect()
}

async fn schedule_page(State(state): State<AppState>, p: Page) -> Response {
    match state.app.my_schedule(&p.actor()).await {
        Ok(s) => {
            let weekdays = weekdays(&p, &s);
            render(&SchedulePage { p, s, weekdays })
        }
        Err(e) => redirect_error(&state, "/pro", &e),
    }
}

async fn save_schedule(
    State(state): State<AppState>,
    p: Page,
    PageForm(f): PageForm<Pairs>,
) -> Response {
    let num = |k: &str| get(&f, k).trim().parse::<i64>().unwrap_or(-1);
    let form = ScheduleForm {
        weekly: (0..7)
            .map(|i| get(&f, &format!("day{i}")).to_owned())
            .collect(),
        exceptions: get(&f, "exceptions").to_owned(),
        capacity: num("capacity"),
        min_notice_min: num("min_notice_min"),
        horizon_days: num("horizon_days"),
        buffer_min: num("buffer_min"),
    };
    match state.app.save_schedule(&p.actor(), &form).await {
        Ok(_) => redirect_flash(&state, "/pro/schedule", false, "flash.saved"),
        Err(e) => redirect_error(&state, "/pro/schedule", &e),
    }
}

#[derive(Template)]
#[template(path = "messages.html")]
struct Messages {
    p: Page,
    items: Vec<(String, String)>,
}

async fn messages(State(state): State<AppState>, p: Page) -> Response {
    match state.app.my_notifications(&p.actor()).await {
        Ok(items) => render(&Messages { p, items }),
        Err(e) => redirect_error(&state, "/", &e),
    }
}
