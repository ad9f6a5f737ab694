//! Overrun supplements (补款). When the provider checks out of an hourly job whose actual
//! duration (in 15-minute steps) prices it above what was paid, the order does not complete:
//! it waits in [`OrderStatus::AwaitingSupplement`] (待补款) for the customer, who sees the
//! extra with its explanation and either
//!
//! - **pays it** at the payment gateway's cashier like an order payment (a `payments` row with
//!   purpose `supplement`; the signed notification or the query-back captures it once:
//!   psp → the order's escrow, the order's paid amount grows by it, and the order completes
//!   with the auto-confirm job scheduled — release, commission and refund caps all count it);
//! - **declines it** (拒绝补款): the order completes at the amount already paid, the decline
//!   (with the customer's reason) is on the timeline, and the provider is told they may file a
//!   complaint if they disagree;
//! - **does nothing**: after [`crate::money::MoneyConfig::supplement_window_ms`] (48 h by
//!   default) a job completes the order at the amount already paid, like a decline. Money
//!   cannot be taken without the customer's approval, and the provider's earnings for the
//!   booked time should not stay locked in escrow because the customer went quiet.
//!
//! A supplement payment arriving after the order stopped waiting for it is captured and
//! refunded at once, like a late order payment.

use linli_domain::{
    DomainError,
    booking::{OrderAction, OrderStatus},
    ids::OrderId,
    ledger::Entry,
    time::{MINUTE_MS, Timestamp},
    visit,
};
use linli_pay::CreatePayment;
use linli_store::{Capture, OrderEventRow, OrderRow, PaymentRow, VisitRecord};

use crate::{
    Actor, App, AppError, AppResult,
    money::{JOB_AUTO_CONFIRM, PayStart, new_reference, order_commission, pay_error, yuan},
    orders::{Effects, OrderView, Side, order_job},
};

/// Job kind: the customer's window to pay or decline a supplement closed.
pub const JOB_SUPPLEMENT_DEADLINE: &str = "order.supplement_deadline";

/// The payment purpose of a supplement (`payments.purpose`).
pub const PURPOSE: &str = "supplement";

/// An order's supplement as its customer or provider sees it.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SupplementView {
    /// `awaiting` (待补款), `paid`, `declined` or `lapsed` (the window passed).
    pub state: String,
    /// The supplement, `¥…`.
    pub amount: String,
    /// The supplement, 分.
    pub amount_fen: i64,
    /// Minutes booked.
    pub booked_minutes: i64,
    /// Minutes on site.
    pub actual_minutes: i64,
    /// Overtime billed (whole steps).
    pub billed_extra_minutes: i64,
    /// The billing step, minutes.
    pub step_minutes: i64,
    /// The hourly price, `¥…`.
    pub hourly_price: String,
    /// The final price by the actual duration, `¥…`.
    pub final_price: String,
    /// The explanation, zh-CN.
    pub explanation: String,
    /// Pay or decline by (awaiting only), local time.
    pub deadline: Option<String>,
    /// Pay or decline by, unix ms.
    pub deadline_ms: Option<i64>,
}

/// Declining a supplement.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeclineSupplementForm {
    /// Why (optional, up to 200 characters; shown on the timeline and to the provider).
    #[serde(default)]
    pub reason: String,
}

fn not_due() -> AppError {
    AppError::Conflict {
        code: "supplement_not_due",
        message: "this order is not waiting for a supplement",
    }
}

impl App {
    /// Check-out of an overrun: the order waits for the customer's supplement (the visit's
    /// check-out and the deadline job in the same transaction).
    pub(crate) async fn await_supplement(
        &self,
        actor: &Actor,
        o: &OrderRow,
        note: String,
        checkout: VisitRecord<'_>,
        extra_fen: i64,
    ) -> AppResult<OrderView> {
        let extra = yuan(extra_fen);
        let deadline = self.now().plus_ms(self.config.money.supplement_window_ms);
        self.apply(
            o,
            OrderAction::AwaitSupplement,
            "awaiting_supplement",
            "provider",
            &format!("{note} · 待客户补款 {extra}"),
            Effects {
                jobs: vec![order_job(JOB_SUPPLEMENT_DEADLINE, o.id, deadline)],
                visit: Some(checkout),
                ..Effects::default()
            },
        )
        .await?;
        self.store
            .push_notification(
                o.customer_id,
                "order",
                &format!(
                    "服务已结束，超出预约时长需补款 {extra}：请在订单页支付或拒绝（{} 前）：{}",
                    deadline.local_display(),
                    o.listing_title
                ),
                None,
                self.now(),
            )
            .await?;
        self.order_view(actor, o.id).await
    }

    /// The supplement of `o` with its explanation, if its check-out found one.
    pub(crate) async fn supplement_of(
        &self,
        o: &OrderRow,
        events: &[OrderEventRow],
    ) -> AppResult<Option<SupplementView>> {
        let Some(v) = self.store.visit(o.id).await? else {
            return Ok(None);
        };
        let (Some(actual), Some(final_fen)) = (v.actual_minutes, v.final_fen) else {
            return Ok(None);
        };
        if v.extra_fen <= 0 {
            return Ok(None);
        }
        let booked = (o.end_at.0 - o.start_at.0) / MINUTE_MS;
        let hourly = crate::visits::hourly_price(o)?;
        let billed = visit::billed_overtime_min(booked, actual);
        let awaiting = OrderStatus::parse(&o.status)? == OrderStatus::AwaitingSupplement;
        let answered = |a: &str| events.iter().any(|e| e.action == a);
        let state = if awaiting {
            "awaiting"
        } else if answered("supplement_paid") {
            "paid"
        } else if answered("supplement_declined") {
            "declined"
        } else {
            "lapsed"
        };
        let deadline = match (awaiting, v.checkout_at) {
            (true, Some(at)) => Some(at.plus_ms(self.config.money.supplement_window_ms)),
            _ => None,
        };
        let explanation = format!(
            "预约 {booked} 分钟，实际 {actual} 分钟；超时按每 {step} 分钟向上取整计 {billed} 分钟，\
             按 {hourly}/小时计价，最终价格 {final_price}，原已付 {paid}，补款 {extra}",
            step = visit::BILLING_STEP_MIN,
            hourly = yuan(hourly.fen()),
            final_price = yuan(final_fen),
            paid = yuan(final_fen - v.extra_fen),
            extra = yuan(v.extra_fen),
        );
        Ok(Some(SupplementView {
            state: state.to_owned(),
            amount: yuan(v.extra_fen),
            amount_fen: v.extra_fen,
            booked_minutes: booked,
            actual_minutes: actual,
            billed_extra_minutes: billed,
            step_minutes: visit::BILLING_STEP_MIN,
            hourly_price: yuan(hourly.fen()),
            final_price: yuan(final_fen),
            explanation,
            deadline: deadline.map(|t| t.local_display()),
            deadline_ms: deadline.map(|t| t.0),
        }))
    }

    /// The caller's own order waiting for a supplement, and the supplement in 分: another
    /// user's order is 404, an order not waiting is 409 `supplement_not_due`.
    async fn awaiting_supplement(&self, actor: &Actor, id: OrderId) -> AppResult<(OrderRow, i64)> {
        let (o, side) = self.order_for(actor, id).await?;
        if side != Side::Customer {
            return Err(AppError::NotFound);
        }
        if OrderStatus::parse(&o.status)? != OrderStatus::AwaitingSupplement {
            return Err(not_due());
        }
        let extra = self
            .store
            .visit(id)
            .await?
            .map_or(0, |v| v.extra_fen)
            .max(0);
        if extra == 0 {
            return Err(not_due());
        }
        Ok((o, extra))
    }

    /// When the customer's window to answer the supplement of `o` closes.
    async fn supplement_deadline_of(&self, o: &OrderRow) -> AppResult<Timestamp> {
        let out = self
            .store
            .visit(o.id)
            .await?
            .and_then(|v| v.checkout_at)
            .unwrap_or(o.updated_at);
        Ok(out.plus_ms(self.config.money.supplement_window_ms))
    }

    /// The customer starts paying the supplement: a payment at the provider (the pending one
    /// is reused) and the cashier to go to, which brings them back to the order.
    pub async fn pay_supplement(&self, actor: &Actor, id: OrderId) -> AppResult<PayStart> {
        let (o, extra) = self.awaiting_supplement(actor, id).await?;
        let now = self.now();
        let deadline = self.supplement_deadline_of(&o).await?;
        if let Some(p) = self
            .store
            .order_payments(id)
            .await?
            .into_iter()
            .find(|p| p.purpose == PURPOSE && p.status == "pending" && p.amount_fen == extra)
        {
            return Ok(PayStart {
                out_trade_no: p.out_trade_no,
                cashier_url: p.cashier_url,
                amount: yuan(p.amount_fen),
            });
        }
        let pay = self.payments()?;
        let out_trade_no = new_reference();
        let title: String = o.listing_title.chars().take(50).collect();
        let created = pay
            .gateway
            .create(&CreatePayment {
                out_trade_no: out_trade_no.clone(),
                description: format!("补款：{title}"),
                amount: extra,
                notify_url: self.notify_url()?,
                return_url: Some(format!("{}/orders/{}", pay.public_base, o.id)),
                expire_at_ms: Some(deadline.0.max(now.0 + MINUTE_MS)),
            })
            .await
            .map_err(pay_error)?;
        let row = PaymentRow {
            out_trade_no: out_trade_no.clone(),
            order_id: o.id,
            amount_fen: extra,
            status: "pending".into(),
            prepay_id: created.prepay_id,
            cashier_url: created.cashier_url,
            transaction_id: None,
            created_at: now,
            paid_at: None,
            purpose: PURPOSE.into(),
        };
        self.store.create_payment(&row).await?;
        self.schedule_queries(&out_trade_no, deadline).await?;
        Ok(PayStart {
            out_trade_no,
            cashier_url: row.cashier_url,
            amount: yuan(extra),
        })
    }

    /// The customer declines the supplement: the order completes at the amount already paid
    /// and the provider is told (and may complain).
    pub async fn decline_supplement(
        &self,
        actor: &Actor,
        id: OrderId,
        form: &DeclineSupplementForm,
    ) -> AppResult<OrderView> {
        let reason = form.reason.trim();
        if reason.chars().count() > 200 {
            return Err(DomainError::TextLength {
                field: "reason",
                min: 0,
                max: 200,
            }
            .into());
        }
        let (o, extra) = self.awaiting_supplement(actor, id).await?;
        let mut note = format!("拒绝补款 {}，按已付 {} 完成", yuan(extra), yuan(o.paid_fen));
        if !reason.is_empty() {
            note.push_str(&format!(" · 原因：{reason}"));
        }
        self.complete_without_supplement(
            &o,
            OrderAction::SupplementDeclined,
            "supplement_declined",
            "customer",
            &note,
            &format!(
                "客户拒绝补款 {}，订单已按已付金额完成{}；如有异议可在「投诉」中提出：{}",
                yuan(extra),
                if reason.is_empty() {
                    String::new()
                } else {
                    format!("（原因：{reason}）")
                },
                o.listing_title
            ),
        )
        .await
        .map_err(|e| match e {
            AppError::Invalid(DomainError::InvalidTransition) => not_due(),
            other => other,
        })?;
        self.order_view(actor, id).await
    }

    /// Completes `o` at the amount already paid (declined or lapsed), with the auto-confirm
    /// job, and tells the provider.
    async fn complete_without_supplement(
        &self,
        o: &OrderRow,
        action: OrderAction,
        name: &str,
        actor: &str,
        note: &str,
        to_provider: &str,
    ) -> AppResult<()> {
        let confirm_at = self.now().plus_ms(self.config.money.auto_confirm_ms);
        self.apply(
            o,
            action,
            name,
            actor,
            note,
            Effects {
                jobs: vec![order_job(JOB_AUTO_CONFIRM, o.id, confirm_at)],
                ..Effects::default()
            },
        )
        .await?;
        if let Some(p) = self.store.provider(o.provider_id).await? {
            self.store
                .push_notification(p.user_id, "order", to_provider, None, self.now())
                .await?;
        }
        Ok(())
    }

    /// Job: the customer neither paid nor declined the supplement in time — a payment that
    /// did go through is captured first; otherwise the order completes at the amount already
    /// paid. Idempotent: an order no longer waiting (or not yet due) is left alone.
    pub async fn supplement_deadline(&self, id: OrderId) -> AppResult<bool> {
        let Some(o) = self.store.order(id).await? else {
            return Ok(false);
        };
        if OrderStatus::parse(&o.status)? != OrderStatus::AwaitingSupplement
            || self.now() < self.supplement_deadline_of(&o).await?
        {
            return Ok(false);
        }
        for p in self.store.order_payments(id).await? {
            if p.purpose == PURPOSE && p.status == "pending" {
                self.query_payment(&p.out_trade_no).await?;
            }
        }
        let Some(o) = self.store.order(id).await? else {
            return Ok(false);
        };
        if OrderStatus::parse(&o.status)? != OrderStatus::AwaitingSupplement {
            return Ok(false);
        }
        let extra = self.store.visit(id).await?.map_or(0, |v| v.extra_fen);
        match self
            .complete_without_supplement(
                &o,
                OrderAction::SupplementLapsed,
                "supplement_lapsed",
                "system",
                &format!("补款 {} 逾期未支付，按已付 {} 完成", yuan(extra), yuan(o.paid_fen)),
                &format!(
                    "客户未在期限内支付补款 {}，订单已按已付金额完成；如有异议可在「投诉」中提出：{}",
                    yuan(extra),
                    o.listing_title
                ),
            )
            .await
        {
            Ok(()) => {
                self.store
                    .push_notification(
                        o.customer_id,
                        "order",
                        &format!("补款期限已过，订单已按已付金额完成：{}", o.listing_title),
                        None,
                        self.now(),
                    )
                    .await?;
                Ok(true)
            }
            // Answered meanwhile (paid or declined at the last second): nothing to do.
            Err(AppError::Invalid(DomainError::InvalidTransition)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// A supplement payment succeeded (its amount already checked): into the order's escrow
    /// and the order completes — once, whichever delivery comes first. Money for an order no
    /// longer waiting for it is refunded at once.
    pub(crate) async fn capture_supplement(
        &self,
        p: &PaymentRow,
        o: &OrderRow,
        transaction_id: &str,
        capture_entry: Entry,
    ) -> AppResult<()> {
        let commission = order_commission(o);
        let result = if OrderStatus::parse(&o.status)? == OrderStatus::AwaitingSupplement {
            let confirm_at = self.now().plus_ms(self.config.money.auto_confirm_ms);
            self.apply(
                o,
                OrderAction::SupplementPaid,
                "supplement_paid",
                "customer",
                &format!("补款 {} 已支付", yuan(p.amount_fen)),
                Effects {
                    jobs: vec![order_job(JOB_AUTO_CONFIRM, o.id, confirm_at)],
                    entries: vec![capture_entry.clone()],
                    capture: Some(Capture {
                        out_trade_no: &p.out_trade_no,
                        transaction_id,
                        // The order keeps the rate captured with its first payment.
                        commission,
                        to_order: true,
                    }),
                    ..Effects::default()
                },
            )
            .await
            .map(|_| ())
        } else {
            Err(AppError::Invalid(DomainError::InvalidTransition))
        };
        match result {
            Ok(()) => {
                if let Some(pr) = self.store.provider(o.provider_id).await? {
                    self.store
                        .push_notification(
                            pr.user_id,
                            "order",
                            &format!("客户已支付补款 {}：{}", yuan(p.amount_fen), o.listing_title),
                            None,
                            self.now(),
                        )
                        .await?;
                }
                Ok(())
            }
            Err(AppError::Invalid(DomainError::InvalidTransition)) => {
                self.late_capture(p, transaction_id, commission, capture_entry)
                    .await
            }
            Err(AppError::Conflict { .. }) => Ok(()), // captured by a concurrent delivery
            Err(e) => Err(e),
        }
    }
}

/// Runs [`JOB_SUPPLEMENT_DEADLINE`].
pub struct SupplementDeadline;

#[async_trait::async_trait]
impl crate::jobs::JobHandler for SupplementDeadline {
    fn kind(&self) -> &'static str {
        JOB_SUPPLEMENT_DEADLINE
    }
    async fn run(&self, app: &App, payload: &str) -> Result<(), String> {
        let (id, _) = crate::orders::payload_order(payload)?;
        app.supplement_deadline(id)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}
