//! Verified visits: the provider checks in near the order's address (or gives a reason), enters
//! the customer's service code (核销码), works through the listing's checklist with photos on
//! site, and checks out; for hourly services the actual duration gives the final price.
//!
//! The status changes go through [`App::apply`] like every order move; the visit's own facts
//! (position, code, ticks, duration) live in `service_visits` / `visit_checklist`.

use linli_domain::{
    booking::{OrderAction, OrderStatus},
    ids::OrderId,
    listing::PricingUnit,
    money::Money,
    time::MINUTE_MS,
    visit,
};
use linli_store::{CheckInRow, CodeCheck, OrderRow, VisitRecord, VisitRow};

use crate::{
    Actor, App, AppError, AppResult, files,
    orders::{Effects, OrderView, Side},
};

/// The check-in: where the phone is (micro-degrees), and a reason when farther than 200 m.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckInForm {
    /// Latitude ×10⁶ (from the browser's geolocation, or typed).
    pub lat_micro: Option<i64>,
    /// Longitude ×10⁶.
    pub lng_micro: Option<i64>,
    /// Why the check-in is farther than 200 m from the address (recorded on the timeline).
    #[serde(default)]
    pub reason: String,
}

/// The customer's service code as the provider types it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceCodeForm {
    /// Six digits.
    pub code: String,
}

/// One checklist item of a visit.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChecklistItemView {
    /// Index in the listing's checklist.
    pub index: i64,
    /// What to do.
    pub text: String,
    /// A photo is required.
    pub photo_required: bool,
    /// Ticked.
    pub done: bool,
    /// The photo, if one was uploaded.
    pub photo_url: Option<String>,
    /// Its thumbnail.
    pub thumb_url: Option<String>,
}

/// An order's visit as its customer or provider sees it.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitView {
    /// The 6-digit service code: the customer's only, from acceptance until the visit.
    pub service_code: Option<String>,
    /// The code was entered by the provider.
    pub code_verified: bool,
    /// Wrong codes the provider may still enter.
    pub code_attempts_left: i64,
    /// Checked in, local time.
    pub checked_in_at: Option<String>,
    /// Distance from the address at check-in, metres.
    pub distance_m: Option<i64>,
    /// Why the check-in was far away.
    pub override_reason: String,
    /// Checked out, local time.
    pub checked_out_at: Option<String>,
    /// Actual minutes on site.
    pub actual_minutes: Option<i64>,
    /// Hourly service (the duration sets the final price).
    pub hourly: bool,
    /// Final price, `¥…` (hourly services, after check-out).
    pub final_price: Option<String>,
    /// Above what was paid, `¥…`: needs the customer's approval and payment.
    pub extra: Option<String>,
    /// The checklist, in order.
    pub checklist: Vec<ChecklistItemView>,
    /// Every item ticked with its required photo.
    pub checklist_done: bool,
    /// The address's latitude ×10⁶ (the provider's, to navigate and check in).
    pub address_lat_micro: Option<i64>,
    /// The address's longitude ×10⁶ (the provider's).
    pub address_lng_micro: Option<i64>,
}

fn unprocessable(code: &'static str, message: &'static str) -> AppError {
    AppError::Unprocessable { code, message }
}

/// Minutes on site, a started minute counting as a whole one.
fn minutes_between(from: i64, to: i64) -> i64 {
    ((to - from).max(0) + MINUTE_MS - 1) / MINUTE_MS
}

/// The hourly price an hourly order was booked at: its base line over the units booked.
pub(crate) fn hourly_price(o: &OrderRow) -> AppResult<Money> {
    let quote: linli_domain::booking::Quote =
        serde_json::from_str(&o.quote).map_err(|e| AppError::Internal(e.to_string()))?;
    let base = quote.lines.first().map_or(0, |l| l.amount.fen());
    Ok(Money::from_fen(base / quote.units.max(1)))
}

/// Where a visit photo is served to the order's two sides (pages; the API serves the same
/// path under `/api/v1`). Visit photos show people's homes, so they are never public.
fn photo_path(id: OrderId, name: &str) -> String {
    let file = name.rsplit('/').next().unwrap_or_default();
    format!("/orders/{id}/visit-photos/{file}")
}

impl App {
    /// A visit photo or thumbnail (`file` as in its URL) for either side of the order; 404
    /// for anyone else or any other file.
    pub async fn visit_photo(
        &self,
        actor: &Actor,
        id: OrderId,
        file: &str,
    ) -> AppResult<(Vec<u8>, files::ImageKind)> {
        self.order_for(actor, id).await?;
        let name = format!("visits/{file}");
        let visit = self.store.visit(id).await?.ok_or(AppError::NotFound)?;
        if file.contains('/')
            || !visit
                .ticks
                .iter()
                .any(|t| t.photo == name || t.thumb == name)
        {
            return Err(AppError::NotFound);
        }
        let kind = files::ImageKind::from_name(&name).ok_or(AppError::NotFound)?;
        let bytes = self.files.get(&name).await?;
        Ok((bytes, kind))
    }

    /// The provider side of `id` (404 for anyone else).
    async fn provider_order(&self, actor: &Actor, id: OrderId) -> AppResult<OrderRow> {
        match self.order_for(actor, id).await? {
            (o, Side::Provider) => Ok(o),
            _ => Err(AppError::NotFound),
        }
    }

    /// The order's visit, opened with a fresh service code if it has none.
    async fn open_visit(&self, id: OrderId) -> AppResult<VisitRow> {
        if let Some(v) = self.store.visit(id).await? {
            return Ok(v);
        }
        let code = format!("{:06}", crate::crypto::random_below(1_000_000)?);
        Ok(self.store.open_visit(id, &code, self.now()).await?)
    }

    /// The order's visit as the caller's side sees it (customers get the code once accepted).
    pub async fn visit_view(&self, actor: &Actor, id: OrderId) -> AppResult<VisitView> {
        let (o, side) = self.order_for(actor, id).await?;
        let status = OrderStatus::parse(&o.status)?;
        let row = match status {
            OrderStatus::Accepted | OrderStatus::InService => Some(self.open_visit(id).await?),
            _ => self.store.visit(id).await?,
        };
        let mut v = self.visit_of(&o, row.as_ref()).await?;
        if side == Side::Customer
            && matches!(status, OrderStatus::Accepted | OrderStatus::InService)
            && !v.code_verified
        {
            v.service_code = row.map(|r| r.service_code);
        }
        if side == Side::Provider && status.reveals_contact() {
            v.address_lat_micro = Some(o.lat_micro);
            v.address_lng_micro = Some(o.lng_micro);
        }
        Ok(v)
    }

    async fn visit_of(&self, o: &OrderRow, row: Option<&VisitRow>) -> AppResult<VisitView> {
        let listing = self.store.listing(o.listing_id).await?;
        let sop = listing.as_ref().map(|l| l.sop.clone()).unwrap_or_default();
        let ticks = row.map(|r| r.ticks.as_slice()).unwrap_or_default();
        let checklist: Vec<ChecklistItemView> = sop
            .iter()
            .zip(0_i64..)
            .map(|(item, index)| {
                let tick = ticks.iter().find(|t| t.index == index);
                let photo = tick.filter(|t| !t.photo.is_empty());
                ChecklistItemView {
                    index,
                    text: item.text.clone(),
                    photo_required: item.photo,
                    done: tick.is_some() && (!item.photo || photo.is_some()),
                    photo_url: photo.map(|t| photo_path(o.id, &t.photo)),
                    thumb_url: photo.map(|t| photo_path(o.id, &t.thumb)),
                }
            })
            .collect();
        Ok(VisitView {
            service_code: None,
            code_verified: row.is_some_and(|r| r.code_verified_at.is_some()),
            code_attempts_left: row.map_or(visit::MAX_CODE_ATTEMPTS, |r| {
                (visit::MAX_CODE_ATTEMPTS - r.code_attempts).max(0)
            }),
            checked_in_at: row.and_then(|r| r.checkin_at).map(|t| t.local_display()),
            distance_m: row.and_then(|r| r.checkin_distance_m),
            override_reason: row.map(|r| r.override_reason.clone()).unwrap_or_default(),
            checked_out_at: row.and_then(|r| r.checkout_at).map(|t| t.local_display()),
            actual_minutes: row.and_then(|r| r.actual_minutes),
            hourly: listing.is_some_and(|l| l.unit == PricingUnit::Hourly.as_str()),
            final_price: row
                .and_then(|r| r.final_fen)
                .map(|f| Money::from_fen(f).to_string()),
            extra: row
                .filter(|r| r.extra_fen > 0)
                .map(|r| Money::from_fen(r.extra_fen).to_string()),
            checklist_done: checklist.iter().all(|c| c.done),
            checklist,
            address_lat_micro: None,
            address_lng_micro: None,
        })
    }

    /// The provider checks in (from an hour before the start): within 200 m of the address it
    /// is accepted, farther away only with a reason. The order goes into service.
    pub async fn start_service(
        &self,
        actor: &Actor,
        id: OrderId,
        form: &CheckInForm,
    ) -> AppResult<OrderView> {
        let o = self.provider_order(actor, id).await?;
        OrderStatus::parse(&o.status)?.after(OrderAction::Start)?;
        if self.now().0 < o.start_at.0 - crate::orders::START_EARLY_MS {
            return Err(linli_domain::DomainError::Invalid("too early to start").into());
        }
        let (lat, lng) = match (form.lat_micro, form.lng_micro) {
            (Some(lat), Some(lng)) => visit::position(lat, lng)?,
            _ => {
                return Err(unprocessable(
                    "position_required",
                    "check-in needs the phone's position",
                ));
            }
        };
        #[allow(clippy::cast_possible_truncation)] // metres on Earth fit an i64
        let distance =
            linli_domain::area::distance_m(lat, lng, o.lat_micro, o.lng_micro).round() as i64;
        let reason = form.reason.trim();
        if distance > visit::CHECKIN_RADIUS_M && reason.chars().count() < 2 {
            return Err(unprocessable(
                "too_far",
                "you are more than 200 m from the address: give a reason to check in",
            ));
        }
        if reason.chars().count() > 200 {
            return Err(linli_domain::DomainError::Invalid("reason").into());
        }
        let reason = if distance > visit::CHECKIN_RADIUS_M {
            reason.to_owned()
        } else {
            String::new()
        };
        self.open_visit(id).await?;
        let note = if reason.is_empty() {
            format!("签到 · 距离 {distance} 米")
        } else {
            format!("签到 · 距离 {distance} 米 · 原因：{reason}")
        };
        let at = CheckInRow {
            lat_micro: lat,
            lng_micro: lng,
            distance_m: distance,
            reason: &reason,
        };
        self.apply(
            &o,
            OrderAction::Start,
            "started",
            "provider",
            &note,
            Effects {
                visit: Some(VisitRecord::CheckIn(&at)),
                ..Effects::default()
            },
        )
        .await?;
        self.store
            .push_notification(
                o.customer_id,
                "order",
                &format!("服务商已签到并开始服务：{}", o.listing_title),
                None,
                self.now(),
            )
            .await?;
        self.order_view(actor, id).await
    }

    /// The provider enters the customer's service code (limited wrong attempts).
    pub async fn enter_service_code(
        &self,
        actor: &Actor,
        id: OrderId,
        form: &ServiceCodeForm,
    ) -> AppResult<VisitView> {
        let o = self.provider_order(actor, id).await?;
        if OrderStatus::parse(&o.status)? != OrderStatus::InService {
            return Err(unprocessable(
                "not_checked_in",
                "check in before entering the service code",
            ));
        }
        let code = form.code.trim();
        if !visit::is_code_shaped(code) {
            return Err(unprocessable(
                "wrong_service_code",
                "the service code is six digits",
            ));
        }
        self.open_visit(id).await?;
        match self
            .store
            .try_service_code(id, code, visit::MAX_CODE_ATTEMPTS, self.now())
            .await?
        {
            CodeCheck::Verified => self.visit_view(actor, id).await,
            CodeCheck::Wrong(_) => Err(unprocessable(
                "wrong_service_code",
                "the service code is wrong",
            )),
            CodeCheck::Locked => Err(unprocessable(
                "service_code_locked",
                "too many wrong codes: ask the customer to contact support",
            )),
        }
    }

    /// The provider ticks checklist item `index`, with a photo (required for some items).
    pub async fn tick_checklist(
        &self,
        actor: &Actor,
        id: OrderId,
        index: i64,
        photo: Option<Vec<u8>>,
    ) -> AppResult<VisitView> {
        let o = self.provider_order(actor, id).await?;
        if OrderStatus::parse(&o.status)? != OrderStatus::InService {
            return Err(unprocessable(
                "not_checked_in",
                "check in before working through the checklist",
            ));
        }
        let listing = self
            .store
            .listing(o.listing_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let item = usize::try_from(index)
            .ok()
            .and_then(|i| listing.sop.get(i))
            .ok_or(AppError::NotFound)?;
        let visit = self.open_visit(id).await?;
        let has_photo = visit
            .ticks
            .iter()
            .any(|t| t.index == index && !t.photo.is_empty());
        let stored = match photo.filter(|p| !p.is_empty()) {
            Some(bytes) => {
                let p = tokio::task::spawn_blocking(move || {
                    files::process_photo(
                        &bytes,
                        &files::PHOTO,
                        files::PHOTO_SIDE,
                        files::THUMB_SIDE,
                    )
                })
                .await
                .map_err(|e| AppError::Internal(e.to_string()))??;
                Some(files::store_photo(&*self.files, "visits", &p).await?)
            }
            None if item.photo && !has_photo => {
                return Err(unprocessable(
                    "photo_required",
                    "this checklist item needs a photo",
                ));
            }
            None => None,
        };
        let (photo, thumb) = stored.map(|s| (s.name, s.thumb_name)).unwrap_or_default();
        self.store
            .tick_checklist(id, index, &photo, &thumb, self.now())
            .await?;
        self.visit_view(actor, id).await
    }

    /// The provider checks out and marks the job done: refused while the service code was not
    /// entered or a checklist item or its photo is missing. The actual duration is recorded;
    /// for hourly services it gives the final price (extra time in 15-minute steps, rounded
    /// up). Without an overrun the order is completed and the customer confirms, or it is
    /// confirmed for them after [`crate::money::MoneyConfig::auto_confirm_ms`]; with one it
    /// awaits the customer's supplement (补款, see [`crate::supplements`]) instead.
    pub async fn complete_order(&self, actor: &Actor, id: OrderId) -> AppResult<OrderView> {
        let o = self.provider_order(actor, id).await?;
        OrderStatus::parse(&o.status)?.after(OrderAction::Complete)?;
        let row = self.store.visit(id).await?;
        let v = self.visit_of(&o, row.as_ref()).await?;
        let Some(checkin) = row.as_ref().and_then(|r| r.checkin_at) else {
            return Err(unprocessable("not_checked_in", "check in first"));
        };
        if !v.code_verified {
            return Err(unprocessable(
                "service_code_required",
                "enter the customer's service code first",
            ));
        }
        if !v.checklist_done {
            return Err(unprocessable(
                "checklist_incomplete",
                "tick every checklist item and upload the required photos first",
            ));
        }
        let actual = minutes_between(checkin.0, self.now().0);
        let booked = (o.end_at.0 - o.start_at.0) / MINUTE_MS;
        let (final_fen, extra_fen) = if v.hourly {
            let over = visit::overrun(
                Money::from_fen(o.total_fen),
                Money::from_fen(o.paid_fen),
                hourly_price(&o)?,
                booked,
                actual,
            )?;
            (Some(over.final_price.fen()), over.extra.fen())
        } else {
            (None, 0)
        };
        let mut note = format!("签退 · 实际用时 {actual} 分钟");
        if let Some(f) = final_fen {
            note.push_str(&format!(" · 最终价格 {}", Money::from_fen(f)));
        }
        let checkout = VisitRecord::CheckOut {
            actual_minutes: actual,
            final_fen,
            extra_fen,
        };
        if OrderStatus::parse(&o.status)?.check_out(Money::from_fen(extra_fen))?
            == OrderStatus::AwaitingSupplement
        {
            return self
                .await_supplement(actor, &o, note, checkout, extra_fen)
                .await;
        }
        let at = self.now().plus_ms(self.config.money.auto_confirm_ms);
        self.apply(
            &o,
            OrderAction::Complete,
            "completed",
            "provider",
            &note,
            Effects {
                jobs: vec![crate::orders::order_job(
                    crate::money::JOB_AUTO_CONFIRM,
                    o.id,
                    at,
                )],
                visit: Some(checkout),
                ..Effects::default()
            },
        )
        .await?;
        self.store
            .push_notification(
                o.customer_id,
                "order",
                &format!("服务已完成，请确认：{}", o.listing_title),
                None,
                self.now(),
            )
            .await?;
        self.order_view(actor, id).await
    }
}
