//! Re-service (返工): an after-sale request resolved as a re-service (the provider accepted
//! it, its SLA passed, or an operator decided so) lets its customer book the same service
//! again, at the original order's address and with its variant, add-ons and duration, at no
//! charge. The order goes through the usual life from the provider's answer on (awaiting
//! acceptance, or accepted at once for instant-book services; no payment step). At most one
//! re-service order per request is live or done at a time — the database holds that with a
//! partial unique index — so a declined, cancelled or expired one can be booked again, but
//! two can never both stand.

use linli_domain::{
    booking::{OrderAction, OrderStatus, PriceLine, Quote},
    ids::{AfterSaleId, OrderId},
    money::Money,
    time::{Day, MINUTE_MS},
};
use linli_store::OrderRow;

use crate::{
    Actor, App, AppError, AppResult,
    orders::{
        JOB_ACCEPT_DEADLINE, OrderView, Side, Slots, order_job, parse_start, quote_view,
        reminder_job, slot_error, stored_quote,
    },
};

/// The label of a re-service order's only price line.
const LINE: &str = "售后返工（免费）";

fn not_due() -> AppError {
    AppError::Conflict {
        code: "reservice_not_due",
        message: "this request was not resolved as a re-service",
    }
}

/// The quote of a re-service of `q`: the same choice and duration, nothing to pay.
fn free_quote(q: Quote) -> Quote {
    Quote {
        lines: vec![PriceLine {
            label: LINE.to_owned(),
            amount: Money::ZERO,
        }],
        total: Money::ZERO,
        ..q
    }
}

impl App {
    /// The original order of a request resolved as a re-service, for its customer (404 for
    /// anyone else, 409 `reservice_not_due` otherwise).
    async fn reservice_due(&self, actor: &Actor, id: AfterSaleId) -> AppResult<OrderRow> {
        let (r, o, side) = self.request_for(actor, id).await?;
        if side != Side::Customer {
            return Err(AppError::NotFound);
        }
        if r.status != "resolved" || r.outcome != "reservice" {
            return Err(not_due());
        }
        Ok(o)
    }

    /// Start times of `date` a re-service of the request can be booked at.
    pub async fn reservice_slots(
        &self,
        actor: &Actor,
        id: AfterSaleId,
        date: &str,
    ) -> AppResult<Slots> {
        let o = self.reservice_due(actor, id).await?;
        let day = Day::parse(date)?;
        let l = self
            .store
            .listing(o.listing_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let q = free_quote(stored_quote(&o));
        let times = if l.status == "published" {
            self.free_starts(&l, day, q.minutes, (o.lat_micro, o.lng_micro), None)
                .await?
        } else {
            Vec::new()
        };
        Ok(Slots {
            date: day.to_string(),
            times,
            served: true,
            quote: quote_view(&q),
        })
    }

    /// Books the re-service of the request at `date` `time`: a ¥0 order for the same service
    /// at the original address, checked and held like any booking, that waits for the
    /// provider's answer (or is accepted at once for an instant-book service).
    pub async fn book_reservice(
        &self,
        actor: &Actor,
        id: AfterSaleId,
        date: &str,
        time: &str,
    ) -> AppResult<OrderView> {
        let o = self.reservice_due(actor, id).await?;
        let start = parse_start(date, time)?;
        if self.store.reservice_order(id).await?.is_some() {
            return Err(slot_error(linli_store::StoreError::Conflict(
                "reservice".into(),
            )));
        }
        let l = self
            .store
            .listing(o.listing_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if l.status != "published" {
            return Err(AppError::Conflict {
                code: "listing_unavailable",
                message: "this service is not offered now; please contact the platform",
            });
        }
        let q = free_quote(stored_quote(&o));
        let now = self.now();
        let instant = l.instant_book;
        let status = OrderStatus::PendingPayment.after(OrderAction::Pay { instant })?;
        let accept_deadline = (!instant).then(|| now.plus_ms(self.config.accept_window_ms));
        let new_id = OrderId::new();
        let row = OrderRow {
            id: new_id,
            listing_title: l.title.clone(),
            quote: serde_json::to_string(&q).map_err(|e| AppError::Internal(e.to_string()))?,
            total_fen: 0,
            start_at: start,
            end_at: start.plus_ms(q.minutes * MINUTE_MS),
            status: status.as_str().to_owned(),
            cancel_policy: l.cancel_policy.clone(),
            instant_book: instant,
            pay_deadline: now,
            accept_deadline,
            times_moved: 0,
            fee_fen: 0,
            refund_fen: 0,
            credit_fen: 0,
            note: format!("售后返工 · 原订单 {}", o.start_at.local_display()),
            paid_fen: 0,
            commission_bps: 0,
            commission_min_fen: 0,
            money_version: 0,
            completed_at: None,
            released_at: None,
            reservice_of: Some(id),
            created_at: now,
            updated_at: now,
            ..o.clone()
        };
        let mut jobs = vec![reminder_job(new_id, start, self.config.reminder_before_ms)];
        if let Some(at) = accept_deadline {
            jobs.push(order_job(JOB_ACCEPT_DEADLINE, new_id, at));
        }
        self.hold(&row, &jobs).await?;
        if let Some(p) = self.store.provider(o.provider_id).await? {
            self.store
                .push_notification(
                    p.user_id,
                    "order",
                    &format!(
                        "售后返工预约：{} {}",
                        row.listing_title,
                        start.local_display()
                    ),
                    None,
                    now,
                )
                .await?;
        }
        Ok(self.placed_view(&row))
    }
}
