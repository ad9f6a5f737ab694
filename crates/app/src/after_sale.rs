//! After-sale and disputes (售后): within a window after completion the customer asks for a
//! full or partial refund or a re-service, with photos; the provider accepts, counter-offers or
//! rejects within an SLA (silence accepts, by a clock-driven job); a rejection can be escalated
//! to an operator, who sees the gathered evidence and decides. Every refund goes through
//! [`App::refund_order`], so each outcome posts the ledger entries an operator refund would.

use linli_domain::{
    DomainError,
    ids::{AfterSaleId, JobId, OrderId},
    ledger::{Account, EntryKind},
    money::Money,
    permission::Permission,
    time::{DAY_MS, HOUR_MS},
};
use linli_store::{AfterSaleRow, NewJob, OrderRow, StoreError};
use serde::{Deserialize, Serialize};

use crate::{Actor, App, AppError, AppResult, files, jobs::JobHandler, orders::Side};

/// Days after completion in which a customer may open an after-sale request.
pub const WINDOW_DAYS: i64 = 7;
/// Hours the provider has to answer before the request is accepted automatically.
pub const ANSWER_SLA_HOURS: i64 = 48;
/// Photos per side of a request.
pub const MAX_PHOTOS: usize = 9;
/// The job that accepts an unanswered request when the SLA passes.
pub const JOB_AUTO_ACCEPT: &str = "after_sale.auto_accept";

const PHOTO_FOLDER: &str = "aftersale";

/// The customer's request, as a form or JSON body.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AfterSaleForm {
    /// `full_refund`, `partial_refund` or `reservice`.
    pub kind: String,
    /// Amount in yuan for a partial refund (ignored otherwise).
    #[serde(default)]
    pub amount: String,
    /// Why (1–500 characters).
    pub reason: String,
}

/// The provider's answer.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnswerForm {
    /// `accept`, `counter` or `reject`.
    pub action: String,
    /// The counter-offer in yuan (for `counter`).
    #[serde(default)]
    pub amount: String,
    /// Why (required for `counter` and `reject`).
    #[serde(default)]
    pub note: String,
}

/// An operator's arbitration.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionForm {
    /// `full_refund`, `partial`, `reservice` or `reject`.
    pub outcome: String,
    /// For `partial`: percent of the amount paid (e.g. `30` or `12.5`).
    #[serde(default)]
    pub percent: String,
    /// The operator's note.
    #[serde(default)]
    pub note: String,
}

/// A stored photo as shown.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhotoView {
    /// Full image.
    pub url: String,
    /// Thumbnail.
    pub thumb_url: String,
}

/// An after-sale request as its parties and operators see it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AfterSaleView {
    /// Id.
    pub id: String,
    /// The order.
    pub order_id: String,
    /// `full_refund`, `partial_refund` or `reservice`.
    pub kind: String,
    /// Asked for, in 分.
    pub amount_fen: i64,
    /// The customer's reason.
    pub reason: String,
    /// The customer's photos.
    pub photos: Vec<PhotoView>,
    /// `pending`, `countered`, `rejected`, `escalated` or `resolved`.
    pub status: String,
    /// The provider's counter-offer in 分.
    pub counter_fen: i64,
    /// The provider's note.
    pub provider_note: String,
    /// The provider's photos.
    pub provider_photos: Vec<PhotoView>,
    /// `refund`, `reservice` or `rejected` once resolved.
    pub outcome: String,
    /// Refunded, in 分.
    pub award_fen: i64,
    /// `provider`, `customer`, `system` or `operator`.
    pub resolved_by: String,
    /// The operator's note.
    pub decision_note: String,
    /// The provider answers by then (unix ms).
    pub answer_deadline: i64,
    /// Opened (unix ms).
    pub created_at: i64,
    /// Asked for, as ¥ text.
    pub amount: String,
    /// The counter-offer, as ¥ text.
    pub counter: String,
    /// Refunded, as ¥ text.
    pub award: String,
    /// The answer deadline in the city's local time.
    pub deadline_text: String,
    /// The order booked to re-serve this request (返工), once booked.
    pub reservice_order_id: Option<String>,
}

/// The after-sale part of an order page.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AfterSalePanel {
    /// The order.
    pub order_id: String,
    /// Whether the caller is the order's customer.
    pub is_customer: bool,
    /// Whether the customer may open a request now.
    pub can_open: bool,
    /// What a refund can be at most, as ¥ text.
    pub refundable: String,
    /// The order's requests, newest first.
    pub requests: Vec<AfterSaleView>,
}

/// One line of the order's timeline in the evidence.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineLine {
    /// Unix ms.
    pub at: i64,
    /// When, in the city's local time.
    pub at_text: String,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// Detail.
    pub note: String,
}

/// Everything an operator needs to arbitrate, gathered automatically.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvidenceView {
    /// The request with both sides' uploads.
    pub request: AfterSaleView,
    /// The order's title.
    pub listing_title: String,
    /// Paid, in 分.
    pub paid_fen: i64,
    /// What the order still holds or the provider kept, in 分.
    pub refundable_fen: i64,
    /// Check-in time (unix ms).
    pub checkin_at: Option<i64>,
    /// Check-in time in the city's local time (empty without one).
    pub checkin_text: String,
    /// Paid, as ¥ text.
    pub paid: String,
    /// What a refund can be at most, as ¥ text.
    pub refundable: String,
    /// Check-in latitude ×10⁶.
    pub checkin_lat_micro: Option<i64>,
    /// Check-in longitude ×10⁶.
    pub checkin_lng_micro: Option<i64>,
    /// Distance from the address at check-in, metres.
    pub checkin_distance_m: Option<i64>,
    /// Why the provider checked in from farther away.
    pub override_reason: String,
    /// Check-out time (unix ms).
    pub checkout_at: Option<i64>,
    /// Checklist photos taken on site.
    pub checklist_photos: Vec<PhotoView>,
    /// The order's timeline.
    pub timeline: Vec<TimelineLine>,
}

fn unprocessable(code: &'static str, message: &'static str) -> AppError {
    AppError::Unprocessable { code, message }
}

fn conflict(code: &'static str, message: &'static str) -> AppError {
    AppError::Conflict { code, message }
}

fn text(s: &str, field: &'static str, required: bool) -> AppResult<String> {
    let t = s.trim();
    let n = t.chars().count();
    if (required && n == 0) || n > 500 {
        return Err(DomainError::TextLength {
            field,
            min: usize::from(required),
            max: 500,
        }
        .into());
    }
    Ok(t.to_owned())
}

fn photo_url(id: AfterSaleId, name: &str) -> String {
    let file = name.rsplit('/').next().unwrap_or_default();
    format!("/after-sales/{id}/photos/{file}")
}

fn photo_views(id: AfterSaleId, stored: &str) -> Vec<PhotoView> {
    stored
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(p, t)| PhotoView {
            url: photo_url(id, p),
            thumb_url: photo_url(id, t),
        })
        .collect()
}

fn view(r: &AfterSaleRow) -> AfterSaleView {
    AfterSaleView {
        id: r.id.to_string(),
        order_id: r.order_id.to_string(),
        kind: r.kind.clone(),
        amount_fen: r.amount_fen,
        reason: r.reason.clone(),
        photos: photo_views(r.id, &r.photos),
        status: r.status.clone(),
        counter_fen: r.counter_fen,
        provider_note: r.provider_note.clone(),
        provider_photos: photo_views(r.id, &r.provider_photos),
        outcome: r.outcome.clone(),
        award_fen: r.award_fen,
        resolved_by: r.resolved_by.clone(),
        decision_note: r.decision_note.clone(),
        answer_deadline: r.answer_deadline.0,
        created_at: r.created_at.0,
        amount: yuan(r.amount_fen),
        counter: yuan(r.counter_fen),
        award: yuan(r.award_fen),
        deadline_text: r.answer_deadline.local_display(),
        reservice_order_id: None,
    }
}

fn yuan(fen: i64) -> String {
    format!("¥{}", Money::from_fen(fen).yuan_string())
}

fn amount(s: &str) -> AppResult<i64> {
    let fen = Money::parse_yuan(s.trim())?.fen();
    if fen <= 0 {
        return Err(DomainError::InvalidPrice.into());
    }
    Ok(fen)
}

impl App {
    /// What the order still holds in escrow (before release) or the provider and commission
    /// kept (after release), in 分: the most any refund can be.
    pub(crate) async fn refundable_fen(&self, o: &OrderRow) -> AppResult<i64> {
        if o.paid_fen <= 0 {
            return Ok(0);
        }
        if o.released_at.is_none() {
            let key = Account::Escrow(o.id).key();
            return Ok(Account::Escrow(o.id).owed(self.store.account_balance(&key).await?));
        }
        let entries = self.store.order_entries(o.id).await?;
        let sum = |kind: EntryKind, account: String, sign: i64| -> i64 {
            entries
                .iter()
                .filter(|e| e.kind == kind.as_str())
                .flat_map(|e| e.postings.iter())
                .filter(|(a, _)| *a == account)
                .map(|(_, v)| sign * *v)
                .sum()
        };
        let released = sum(EntryKind::Release, Account::Escrow(o.id).key(), 1);
        let clawed = sum(EntryKind::Clawback, Account::RefundPayable.key(), -1);
        Ok(released - clawed)
    }

    async fn store_photos(&self, photos: Vec<Vec<u8>>) -> AppResult<String> {
        let photos: Vec<Vec<u8>> = photos.into_iter().filter(|p| !p.is_empty()).collect();
        if photos.len() > MAX_PHOTOS {
            return Err(unprocessable("too_many_photos", "at most 9 photos"));
        }
        // Checked before anything is stored so a bad photo leaves nothing behind.
        let mut processed = Vec::with_capacity(photos.len());
        for bytes in photos {
            let p = tokio::task::spawn_blocking(move || {
                files::process_photo(&bytes, &files::PHOTO, files::PHOTO_SIDE, files::THUMB_SIDE)
            })
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
            processed.push(p);
        }
        let mut lines = Vec::with_capacity(processed.len());
        for p in &processed {
            let s = files::store_photo(&*self.files, PHOTO_FOLDER, p).await?;
            lines.push(format!("{} {}", s.name, s.thumb_name));
        }
        Ok(lines.join("\n"))
    }

    async fn request(&self, id: AfterSaleId) -> AppResult<AfterSaleRow> {
        self.store.after_sale(id).await?.ok_or(AppError::NotFound)
    }

    /// The request and the caller's side of its order (404 for anyone else).
    pub(crate) async fn request_for(
        &self,
        actor: &Actor,
        id: AfterSaleId,
    ) -> AppResult<(AfterSaleRow, OrderRow, Side)> {
        let r = self.request(id).await?;
        let (o, side) = self.order_for(actor, r.order_id).await?;
        Ok((r, o, side))
    }

    /// The customer of a completed or confirmed paid order opens an after-sale request within
    /// [`WINDOW_DAYS`] of completion; one open request per order.
    pub async fn open_after_sale(
        &self,
        actor: &Actor,
        order: OrderId,
        f: &AfterSaleForm,
        photos: Vec<Vec<u8>>,
    ) -> AppResult<AfterSaleView> {
        let (o, side) = self.order_for(actor, order).await?;
        if side != Side::Customer {
            return Err(AppError::NotFound);
        }
        let now = self.now();
        let completed = match (o.status.as_str(), o.completed_at) {
            ("completed" | "confirmed", Some(at)) if o.paid_fen > 0 => at,
            _ => {
                return Err(conflict(
                    "not_completed",
                    "after-sale is for completed, paid orders",
                ));
            }
        };
        if now.0 > completed.0 + WINDOW_DAYS * DAY_MS {
            return Err(unprocessable(
                "after_sale_window_closed",
                "the after-sale window of this order has closed",
            ));
        }
        let reason = text(&f.reason, "reason", true)?;
        let refundable = self.refundable_fen(&o).await?;
        let amount_fen = match f.kind.as_str() {
            "full_refund" => refundable,
            "partial_refund" => {
                let a = amount(&f.amount)?;
                if a > refundable {
                    return Err(unprocessable(
                        "amount_too_large",
                        "the refund is more than the order still holds",
                    ));
                }
                a
            }
            "reservice" => 0,
            _ => return Err(unprocessable("bad_kind", "unknown after-sale kind")),
        };
        if f.kind != "reservice" && refundable <= 0 {
            return Err(conflict(
                "nothing_to_refund",
                "the order holds nothing to refund",
            ));
        }
        if self
            .store
            .order_after_sales(o.id)
            .await?
            .iter()
            .any(|r| r.status != "resolved")
        {
            return Err(conflict(
                "after_sale_open",
                "this order already has an open after-sale request",
            ));
        }
        let photos = self.store_photos(photos).await?;
        let id = AfterSaleId::new();
        let deadline = now.plus_ms(ANSWER_SLA_HOURS * HOUR_MS);
        let row = AfterSaleRow {
            id,
            order_id: o.id,
            customer_id: o.customer_id,
            provider_id: o.provider_id,
            kind: f.kind.clone(),
            amount_fen,
            reason,
            photos,
            status: "pending".into(),
            counter_fen: 0,
            provider_note: String::new(),
            provider_photos: String::new(),
            outcome: String::new(),
            award_fen: 0,
            resolved_by: String::new(),
            decision_note: String::new(),
            answer_deadline: deadline,
            created_at: now,
            updated_at: now,
        };
        let job = NewJob {
            id: JobId::new(),
            kind: JOB_AUTO_ACCEPT.into(),
            payload: id.to_string(),
            run_at: deadline,
            dedupe_key: Some(format!("after_sale:{id}:auto_accept")),
        };
        match self.store.create_after_sale(&row, &[job], now).await {
            Ok(()) => Ok(view(&row)),
            Err(StoreError::Conflict(_)) => Err(conflict(
                "after_sale_open",
                "this order already has an open after-sale request",
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// The order's after-sale requests, newest first, for either side.
    pub async fn order_after_sales(
        &self,
        actor: &Actor,
        order: OrderId,
    ) -> AppResult<Vec<AfterSaleView>> {
        self.order_for(actor, order).await?;
        Ok(self
            .store
            .order_after_sales(order)
            .await?
            .iter()
            .map(view)
            .collect())
    }

    /// The after-sale part of an order page for either side.
    pub async fn after_sale_panel(
        &self,
        actor: &Actor,
        order: OrderId,
    ) -> AppResult<AfterSalePanel> {
        let (o, side) = self.order_for(actor, order).await?;
        let rows = self.store.order_after_sales(order).await?;
        let refundable = self.refundable_fen(&o).await?;
        let in_window = matches!(o.status.as_str(), "completed" | "confirmed")
            && o.paid_fen > 0
            && o.completed_at
                .is_some_and(|at| self.now().0 <= at.0 + WINDOW_DAYS * DAY_MS);
        Ok(AfterSalePanel {
            order_id: order.to_string(),
            is_customer: side == Side::Customer,
            can_open: side == Side::Customer
                && in_window
                && rows.iter().all(|r| r.status == "resolved"),
            refundable: yuan(refundable),
            requests: self.views_with_reservice(&rows).await?,
        })
    }

    /// Views of `rows`, each re-service outcome with the order booked for it.
    async fn views_with_reservice(&self, rows: &[AfterSaleRow]) -> AppResult<Vec<AfterSaleView>> {
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let mut v = view(r);
            if r.outcome == "reservice" {
                v.reservice_order_id = self
                    .store
                    .reservice_order(r.id)
                    .await?
                    .map(|o| o.id.to_string());
            }
            out.push(v);
        }
        Ok(out)
    }

    /// One request for either side of its order.
    pub async fn after_sale(&self, actor: &Actor, id: AfterSaleId) -> AppResult<AfterSaleView> {
        let (r, _, _) = self.request_for(actor, id).await?;
        let mut v = self.views_with_reservice(std::slice::from_ref(&r)).await?;
        v.pop().ok_or(AppError::NotFound)
    }

    /// Moves `before` to `after`; a refund of `refund_fen` goes through
    /// [`App::refund_order_settling`], which moves the request in the refund's own transaction
    /// (conditional on its status, so two callers cannot both refund).
    async fn settle_request(
        &self,
        before: &AfterSaleRow,
        after: &AfterSaleRow,
        refund_fen: i64,
        who: &str,
    ) -> AppResult<AfterSaleView> {
        let o = self
            .store
            .order(before.order_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if refund_fen > 0 && refund_fen > self.refundable_fen(&o).await? {
            return Err(conflict(
                "amount_too_large",
                "the refund is more than the order still holds",
            ));
        }
        if refund_fen > 0 {
            self.refund_order_settling(
                &o,
                refund_fen,
                "售后退款",
                who,
                Some((after, &before.status)),
            )
            .await?;
        } else if !self.store.update_after_sale(after, &before.status).await? {
            return Err(conflict(
                "after_sale_changed",
                "the request changed meanwhile; please reload",
            ));
        }
        Ok(view(after))
    }

    /// Accepts the request as asked: a refund of the amount asked (at most what the order still
    /// holds), or a re-service recorded.
    async fn accept_request(&self, r: &AfterSaleRow, who: &str) -> AppResult<AfterSaleView> {
        let o = self
            .store
            .order(r.order_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let refund = match r.kind.as_str() {
            "reservice" => 0,
            "full_refund" => self.refundable_fen(&o).await?,
            _ => r.amount_fen.min(self.refundable_fen(&o).await?),
        };
        let mut after = r.clone();
        after.status = "resolved".into();
        after.outcome = if refund > 0 { "refund" } else { "reservice" }.into();
        if r.kind != "reservice" && refund <= 0 {
            after.outcome = "rejected".into();
        }
        after.award_fen = refund;
        after.resolved_by = who.into();
        after.updated_at = self.now();
        self.settle_request(r, &after, refund, who).await
    }

    /// The provider answers a pending request before its deadline.
    pub async fn answer_after_sale(
        &self,
        actor: &Actor,
        id: AfterSaleId,
        f: &AnswerForm,
        photos: Vec<Vec<u8>>,
    ) -> AppResult<AfterSaleView> {
        let (r, _, side) = self.request_for(actor, id).await?;
        if side != Side::Provider {
            return Err(AppError::NotFound);
        }
        if r.status != "pending" {
            return Err(conflict("not_pending", "this request was already answered"));
        }
        if self.now().0 > r.answer_deadline.0 {
            return Err(conflict(
                "answer_too_late",
                "the answer period has passed; the request is accepted",
            ));
        }
        let mut after = r.clone();
        after.updated_at = self.now();
        match f.action.as_str() {
            "accept" => return self.accept_request(&r, "provider").await,
            "counter" => {
                if r.kind == "reservice" {
                    return Err(unprocessable(
                        "bad_action",
                        "a re-service cannot be countered with money",
                    ));
                }
                let a = amount(&f.amount)?;
                if a >= r.amount_fen {
                    return Err(unprocessable(
                        "counter_too_large",
                        "a counter-offer is less than the amount asked",
                    ));
                }
                after.status = "countered".into();
                after.counter_fen = a;
                after.provider_note = text(&f.note, "note", false)?;
            }
            "reject" => {
                after.status = "rejected".into();
                after.provider_note = text(&f.note, "note", true)?;
            }
            _ => return Err(unprocessable("bad_action", "unknown answer")),
        }
        after.provider_photos = self.store_photos(photos).await?;
        if !self.store.update_after_sale(&after, "pending").await? {
            return Err(conflict(
                "after_sale_changed",
                "the request changed meanwhile; please reload",
            ));
        }
        Ok(view(&after))
    }

    /// The customer takes (`accept`) or refuses a counter-offer; a refused one can be
    /// escalated like a rejection.
    pub async fn respond_counter(
        &self,
        actor: &Actor,
        id: AfterSaleId,
        accept: bool,
    ) -> AppResult<AfterSaleView> {
        let (r, _, side) = self.request_for(actor, id).await?;
        if side != Side::Customer {
            return Err(AppError::NotFound);
        }
        if r.status != "countered" {
            return Err(conflict(
                "not_countered",
                "there is no counter-offer to answer",
            ));
        }
        let mut after = r.clone();
        after.updated_at = self.now();
        if accept {
            after.status = "resolved".into();
            after.outcome = "refund".into();
            after.award_fen = r.counter_fen;
            after.resolved_by = "customer".into();
            self.settle_request(&r, &after, r.counter_fen, "customer")
                .await
        } else {
            after.status = "rejected".into();
            if !self.store.update_after_sale(&after, "countered").await? {
                return Err(conflict(
                    "after_sale_changed",
                    "the request changed meanwhile; please reload",
                ));
            }
            Ok(view(&after))
        }
    }

    /// The customer escalates a rejected request to platform arbitration.
    pub async fn escalate_after_sale(
        &self,
        actor: &Actor,
        id: AfterSaleId,
    ) -> AppResult<AfterSaleView> {
        let (r, _, side) = self.request_for(actor, id).await?;
        if side != Side::Customer {
            return Err(AppError::NotFound);
        }
        if r.status != "rejected" {
            return Err(conflict(
                "not_rejected",
                "only a rejected request can be escalated",
            ));
        }
        let mut after = r.clone();
        after.status = "escalated".into();
        after.updated_at = self.now();
        if !self.store.update_after_sale(&after, "rejected").await? {
            return Err(conflict(
                "after_sale_changed",
                "the request changed meanwhile; please reload",
            ));
        }
        Ok(view(&after))
    }

    /// Accepts a request its provider left unanswered past the deadline (the SLA job);
    /// idempotent: anything but a pending, overdue request is left alone.
    pub async fn auto_accept_after_sale(&self, id: AfterSaleId) -> AppResult<()> {
        let Some(r) = self.store.after_sale(id).await? else {
            return Ok(());
        };
        if r.status != "pending" || self.now().0 < r.answer_deadline.0 {
            return Ok(());
        }
        match self.accept_request(&r, "system").await {
            Ok(_) => Ok(()),
            Err(AppError::Conflict {
                code: "after_sale_changed",
                ..
            }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Operators: requests in `status` (all when empty), oldest first.
    pub async fn after_sale_queue(
        &self,
        actor: &Actor,
        status: &str,
    ) -> AppResult<Vec<AfterSaleView>> {
        actor.require(Permission::FinanceManage)?;
        let status = Some(status).filter(|s| !s.is_empty());
        Ok(self
            .store
            .after_sale_queue(status)
            .await?
            .iter()
            .map(view)
            .collect())
    }

    /// Operators: the request with everything gathered about its order.
    pub async fn after_sale_evidence(
        &self,
        actor: &Actor,
        id: AfterSaleId,
    ) -> AppResult<EvidenceView> {
        actor.require(Permission::FinanceManage)?;
        let r = self.request(id).await?;
        let o = self
            .store
            .order(r.order_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let visit = self.store.visit(o.id).await?;
        let timeline = self
            .store
            .order_events(o.id)
            .await?
            .into_iter()
            .map(|e| TimelineLine {
                at: e.at.0,
                at_text: e.at.local_display(),
                actor: e.actor,
                action: e.action,
                note: e.note,
            })
            .collect();
        let refundable_fen = self.refundable_fen(&o).await?;
        let checklist_photos = visit
            .as_ref()
            .map(|v| {
                v.ticks
                    .iter()
                    .filter(|t| !t.photo.is_empty())
                    .map(|t| PhotoView {
                        url: photo_url(r.id, &t.photo),
                        thumb_url: photo_url(r.id, &t.thumb),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(EvidenceView {
            request: view(&r),
            listing_title: o.listing_title.clone(),
            paid_fen: o.paid_fen,
            refundable_fen,
            checkin_at: visit.as_ref().and_then(|v| v.checkin_at).map(|t| t.0),
            checkin_text: visit
                .as_ref()
                .and_then(|v| v.checkin_at)
                .map(|t| t.local_display())
                .unwrap_or_default(),
            paid: yuan(o.paid_fen),
            refundable: yuan(refundable_fen),
            checkin_lat_micro: visit.as_ref().and_then(|v| v.checkin_lat_micro),
            checkin_lng_micro: visit.as_ref().and_then(|v| v.checkin_lng_micro),
            checkin_distance_m: visit.as_ref().and_then(|v| v.checkin_distance_m),
            override_reason: visit
                .as_ref()
                .map(|v| v.override_reason.clone())
                .unwrap_or_default(),
            checkout_at: visit.as_ref().and_then(|v| v.checkout_at).map(|t| t.0),
            checklist_photos,
            timeline,
        })
    }

    /// Operators decide an escalated request: a full refund (what the order still holds), a
    /// partial award as a percentage of the amount paid, a re-service, or a rejection.
    pub async fn decide_after_sale(
        &self,
        actor: &Actor,
        id: AfterSaleId,
        f: &DecisionForm,
    ) -> AppResult<AfterSaleView> {
        actor.require(Permission::FinanceManage)?;
        let r = self.request(id).await?;
        if r.status != "escalated" {
            return Err(conflict(
                "not_escalated",
                "only an escalated request is arbitrated",
            ));
        }
        let o = self
            .store
            .order(r.order_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let (outcome, refund) = match f.outcome.as_str() {
            "full_refund" => ("refund", self.refundable_fen(&o).await?),
            "partial" => {
                // Percent with up to two decimals is a number of basis points.
                let bps = Money::parse_yuan(f.percent.trim())
                    .map_err(|_| unprocessable("bad_percent", "the percentage is not a number"))?
                    .fen();
                if bps <= 0 {
                    return Err(unprocessable(
                        "bad_percent",
                        "the percentage must be positive",
                    ));
                }
                if bps > 10_000 {
                    return Err(unprocessable(
                        "award_too_large",
                        "the award is more than the amount paid",
                    ));
                }
                ("refund", o.paid_fen * bps / 10_000)
            }
            "reservice" => ("reservice", 0),
            "reject" => ("rejected", 0),
            _ => return Err(unprocessable("bad_outcome", "unknown decision")),
        };
        let mut after = r.clone();
        after.status = "resolved".into();
        after.outcome = outcome.into();
        after.award_fen = refund;
        after.resolved_by = "operator".into();
        after.decision_note = text(&f.note, "note", false)?;
        after.updated_at = self.now();
        self.settle_request(&r, &after, refund, "operator").await
    }

    /// A photo of the request (either side's upload, or a checklist photo of its order) for the
    /// order's two sides and operators; 404 for anyone else or any other file.
    pub async fn after_sale_photo(
        &self,
        actor: &Actor,
        id: AfterSaleId,
        file: &str,
    ) -> AppResult<(Vec<u8>, files::ImageKind)> {
        if file.contains('/') || file.is_empty() {
            return Err(AppError::NotFound);
        }
        let r = if actor.can(Permission::FinanceManage) {
            self.request(id).await?
        } else {
            self.request_for(actor, id).await?.0
        };
        let ours = format!("{PHOTO_FOLDER}/{file}");
        let visit = format!("visits/{file}");
        let in_request = r
            .photos
            .lines()
            .chain(r.provider_photos.lines())
            .flat_map(|l| l.split(' '))
            .any(|n| n == ours);
        let name = if in_request {
            ours
        } else {
            let v = self
                .store
                .visit(r.order_id)
                .await?
                .ok_or(AppError::NotFound)?;
            if !v.ticks.iter().any(|t| t.photo == visit || t.thumb == visit) {
                return Err(AppError::NotFound);
            }
            visit
        };
        let kind = files::ImageKind::from_name(&name).ok_or(AppError::NotFound)?;
        Ok((self.files.get(&name).await?, kind))
    }
}

/// Accepts an after-sale request its provider did not answer in time.
pub struct AutoAccept;

#[async_trait::async_trait]
impl JobHandler for AutoAccept {
    fn kind(&self) -> &'static str {
        JOB_AUTO_ACCEPT
    }
    async fn run(&self, app: &App, payload: &str) -> Result<(), String> {
        let id: AfterSaleId = payload
            .parse()
            .map_err(|_| format!("bad payload {payload}"))?;
        app.auto_accept_after_sale(id)
            .await
            .map_err(|e| e.to_string())
    }
}
