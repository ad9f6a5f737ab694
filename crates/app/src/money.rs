//! Money use cases: paying through the payment gateway into escrow, verified payment
//! notifications, refunds, release on confirmation and settlement, commission rules, provider
//! earnings and withdrawals, and the admin's ledger, trial balance and reconciliation.
//!
//! Every movement is a balanced ledger entry written in the same transaction as the state
//! change it belongs to; calls to the payment provider happen in jobs written in that same
//! transaction (an outbox), so a crash between the two loses nothing.

use std::sync::Arc;

use linli_domain::{
    DomainError,
    booking::{OrderAction, OrderStatus},
    ids::{JobId, OrderId, ProviderId, RuleId, WithdrawalId},
    ledger::{Account, Commission, Entry, EntryKind},
    money::Money,
    permission::Permission,
    time::Clock as _,
    time::{DAY_MS, HOUR_MS, MINUTE_MS, Timestamp},
};
use linli_pay::{
    AccountKind, CreatePayment, Notice, NotificationHeaders, PayError, PaymentGateway,
    RefundRequest, RefundStatus, TradeState, Transaction, TransferRequest, TransferStatus,
};
use linli_store::{
    Capture, CommissionRuleRow, EntryRow, NewJob, OrderRow, PaymentRow, PayoutAccountRow,
    RefundRow, RuleAuditRow, StoreError, WithdrawalChange, WithdrawalRow,
};

use crate::{Actor, App, AppError, AppResult, jobs::JobHandler, orders::Effects};

/// The payment side of the app: the gateway, the keys that verify its notifications, and
/// where it should call back.
#[derive(Clone)]
pub struct Payments {
    /// The payment provider.
    pub gateway: Arc<dyn PaymentGateway>,
    /// Our keys and the provider's public key (verifies notifications).
    pub keys: Arc<linli_pay::Keys>,
    /// Our merchant id.
    pub mchid: String,
    /// The platform's public base URL (notify and return URLs), without a trailing slash.
    pub public_base: String,
    /// The sandbox provider when running against it in-process (dev mode and tests), so the
    /// dev tools can press "pay" without a browser.
    pub sandbox: Option<Arc<linli_pay::sandbox::Sandbox>>,
}

impl std::fmt::Debug for Payments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Payments")
            .field("mchid", &self.mchid)
            .field("public_base", &self.public_base)
            .finish_non_exhaustive()
    }
}

/// Our merchant id at the sandbox provider.
pub const SANDBOX_MCHID: &str = "1900000109";

impl Payments {
    /// Payments through a WeChat Pay v3-style provider at `base_url`. `keys` may hold the
    /// provider's private key (the in-process sandbox); only the merchant side is kept here.
    pub fn over_http(
        base_url: &str,
        keys: &linli_pay::Keys,
        mchid: &str,
        public_base: &str,
        sandbox: Option<Arc<linli_pay::sandbox::Sandbox>>,
    ) -> Self {
        let merchant = keys.merchant_side();
        let gateway = linli_pay::HttpGateway::new(linli_pay::MerchantConfig {
            mchid: mchid.to_owned(),
            appid: "wxlinli0000000001".to_owned(),
            base_url: base_url.to_owned(),
            keys: merchant.clone(),
        });
        Self {
            gateway: Arc::new(gateway),
            keys: Arc::new(merchant),
            mchid: mchid.to_owned(),
            public_base: public_base.trim_end_matches('/').to_owned(),
            sandbox,
        }
    }

    /// The sandbox provider on its own loopback port with the fixed test keys, on `clock`
    /// (tests; `linli` in dev mode serves it beside the platform instead). Notifications go to
    /// `public_base`, tried `attempts` times.
    pub async fn loopback_sandbox(
        public_base: &str,
        clock: Arc<dyn linli_domain::time::Clock>,
        attempts: u32,
    ) -> AppResult<Self> {
        let keys = linli_pay::Keys::for_tests();
        let mut cfg = linli_pay::sandbox::SandboxConfig::new(SANDBOX_MCHID, keys.clone(), "");
        cfg.clock = Some(Arc::new(move || clock.now().0));
        cfg.max_attempts = attempts;
        cfg.retry_base_ms = 50;
        let (sandbox, base) = linli_pay::sandbox::spawn_loopback(cfg)
            .await
            .map_err(|e| AppError::Internal(format!("sandbox: {e}")))?;
        Ok(Self::over_http(
            &base,
            &keys,
            SANDBOX_MCHID,
            public_base,
            Some(sandbox),
        ))
    }
}

/// Money settings.
#[derive(Debug, Clone)]
pub struct MoneyConfig {
    /// Commission when no rule applies.
    pub default_commission: Commission,
    /// Completed orders the customer has not confirmed are confirmed after this.
    pub auto_confirm_ms: i64,
    /// Released earnings become available after this.
    pub settle_delay_ms: i64,
    /// Smallest withdrawal, 分.
    pub withdraw_min_fen: i64,
    /// Withdrawal fee rate, basis points.
    pub withdraw_fee_bps: i64,
    /// Smallest withdrawal fee, 分.
    pub withdraw_fee_min_fen: i64,
    /// An unpaid payment is queried back from the provider after this.
    pub query_after_ms: i64,
    /// The slice of each commission set aside for the 先行赔付 fund, basis points.
    pub guarantee_bps: i64,
    /// The largest 先行赔付 claim, 分.
    pub guarantee_cap_fen: i64,
    /// A 先行赔付 claim must come within this of completion.
    pub guarantee_window_ms: i64,
    /// The customer has this long after an overrun check-out to pay or decline the
    /// supplement (补款); then the order completes at the amount already paid.
    pub supplement_window_ms: i64,
}

impl Default for MoneyConfig {
    fn default() -> Self {
        Self {
            default_commission: Commission {
                bps: 1_000,
                min_fen: 0,
            },
            auto_confirm_ms: 7 * DAY_MS,
            settle_delay_ms: DAY_MS,
            withdraw_min_fen: 1_000,
            withdraw_fee_bps: 10,
            withdraw_fee_min_fen: 100,
            query_after_ms: 2 * MINUTE_MS,
            guarantee_bps: 1_000,
            guarantee_cap_fen: 500_000,
            guarantee_window_ms: 14 * DAY_MS,
            supplement_window_ms: 2 * DAY_MS,
        }
    }
}

/// Job kinds.
pub const JOB_QUERY_PAYMENT: &str = "pay.query";
/// Submits a recorded refund to the provider.
pub const JOB_SUBMIT_REFUND: &str = "pay.refund";
/// Pays an approved withdrawal out through the provider.
pub const JOB_TRANSFER: &str = "pay.transfer";
/// Moves an order's pending earnings to available.
pub const JOB_SETTLE: &str = "ledger.settle";
/// Confirms a completed order the customer did not confirm.
pub const JOB_AUTO_CONFIRM: &str = "order.auto_confirm";
/// Daily reconciliation.
pub const JOB_RECONCILE: &str = "pay.reconcile";

/// Where the payer goes to pay.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayStart {
    /// Our payment reference.
    pub out_trade_no: String,
    /// The cashier page.
    pub cashier_url: String,
    /// Amount, `¥…`.
    pub amount: String,
}

/// A provider's money at a glance.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Earnings {
    /// Inside the settlement delay, 分.
    pub pending_fen: i64,
    /// Withdrawable, 分.
    pub available_fen: i64,
    /// Being paid out, 分.
    pub withdrawing_fen: i64,
    /// Paid out so far, 分 (before fees).
    pub withdrawn_fen: i64,
    /// The entries behind them, newest first.
    pub entries: Vec<EntryView>,
    /// Withdrawals, newest first.
    pub withdrawals: Vec<WithdrawalView>,
    /// Payout account, masked.
    pub payout_account: Option<String>,
    /// Smallest withdrawal, `¥…`.
    pub withdraw_min: String,
    /// Fee rule text.
    pub withdraw_fee: String,
}

/// One ledger line as a page shows it.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PostingView {
    /// Account key.
    pub account: String,
    /// Account label.
    pub label: String,
    /// Signed 分 (debit positive).
    pub amount_fen: i64,
    /// `¥…` as owed/held by the account (positive = more held).
    pub effect: String,
}

/// A journal entry as a page shows it.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntryView {
    /// Id.
    pub id: String,
    /// Kind.
    pub kind: String,
    /// Kind label.
    pub label: String,
    /// Order, if any.
    pub order_id: Option<String>,
    /// Memo.
    pub memo: String,
    /// Local time.
    pub at: String,
    /// Lines.
    pub postings: Vec<PostingView>,
    /// For account views: what the entry did to that account (positive = more held), 分.
    pub change_fen: i64,
}

/// A withdrawal as pages show it.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WithdrawalView {
    /// Id.
    pub id: String,
    /// Provider id.
    pub provider_id: String,
    /// Amount, `¥…`.
    pub amount: String,
    /// Amount in 分.
    pub amount_fen: i64,
    /// Fee, `¥…`.
    pub fee: String,
    /// Paid out, `¥…`.
    pub payout: String,
    /// Status.
    pub status: String,
    /// Account, masked.
    pub account: String,
    /// Holder.
    pub holder_name: String,
    /// Note.
    pub note: String,
    /// Requested, local.
    pub created: String,
}

/// One account's balance.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BalanceLine {
    /// Key.
    pub account: String,
    /// Label.
    pub label: String,
    /// Sum of postings, 分.
    pub balance_fen: i64,
    /// Held/owed, `¥…`.
    pub owed: String,
}

/// The trial balance.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrialBalance {
    /// Every account with postings.
    pub lines: Vec<BalanceLine>,
    /// Sum of all balances, 分 (always 0).
    pub total_fen: i64,
}

/// The payout account form.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PayoutAccountForm {
    /// `bank_card` or `alipay`.
    pub kind: String,
    /// Card number (16–19 digits) or Alipay account (phone or e-mail).
    pub account_no: String,
    /// Holder's name.
    pub holder_name: String,
}

/// A withdrawal request. The amount is what leaves the balance; the fee is computed here.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WithdrawForm {
    /// Amount in yuan (`100`, `100.50`).
    pub amount: String,
}

/// An admin refund.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AdminRefundForm {
    /// Amount in yuan.
    pub amount: String,
    /// Why.
    pub reason: String,
}

/// A commission rule as submitted.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RuleForm {
    /// Rule to change; absent to create.
    #[serde(default)]
    pub id: Option<String>,
    /// `default`, `category` or `provider`.
    pub scope: String,
    /// Category slug or provider id.
    #[serde(default)]
    pub scope_id: String,
    /// Rate in percent (`10`, `12.5`).
    pub rate_percent: String,
    /// Minimum fee in yuan.
    #[serde(default)]
    pub min_fee: String,
    /// From (local `YYYY-MM-DD`).
    #[serde(default)]
    pub starts_on: String,
    /// Until, exclusive (local `YYYY-MM-DD`).
    #[serde(default)]
    pub ends_on: String,
    /// Only a provider's first N days.
    #[serde(default)]
    pub new_provider_days: Option<i64>,
    /// Only a provider's first N paid orders.
    #[serde(default)]
    pub new_provider_orders: Option<i64>,
    /// Switched on.
    #[serde(default = "yes")]
    pub active: bool,
    /// Note.
    #[serde(default)]
    pub note: String,
}

fn yes() -> bool {
    true
}

/// A reconciliation difference.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Difference {
    /// `missing_at_provider`, `missing_in_ledger` or `amount_differs`.
    pub kind: String,
    /// `payment`, `refund` or `transfer`.
    pub item: String,
    /// Our reference.
    pub reference: String,
    /// Our amount, 分.
    pub ours_fen: Option<i64>,
    /// The provider's amount, 分.
    pub theirs_fen: Option<i64>,
}

/// A day's reconciliation.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReconciliationView {
    /// Day.
    pub day: String,
    /// Lines that matched.
    pub matched: i64,
    /// Differences.
    pub differences: Vec<Difference>,
}

pub(crate) fn yuan(fen: i64) -> String {
    format!("¥{}", Money::from_fen(fen).yuan_string())
}

pub(crate) fn pay_error(e: PayError) -> AppError {
    match e {
        PayError::Rejected { code, message } => {
            tracing::warn!(%code, %message, "payment provider refused a request");
            AppError::Payment {
                code: "payment_refused",
                message: format!("{code}: {message}"),
            }
        }
        other => AppError::Internal(other.to_string()),
    }
}

fn job(kind: &str, payload: String, at: Timestamp, dedupe: String) -> NewJob {
    NewJob {
        id: JobId::new(),
        kind: kind.to_owned(),
        payload,
        run_at: at,
        dedupe_key: Some(dedupe),
    }
}

/// A new reference for the payment provider: 32 hex digits (v3 allows 6–32).
pub(crate) fn new_reference() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

fn entry_view(e: &EntryRow, focus: Option<&str>) -> EntryView {
    let postings = e
        .postings
        .iter()
        .map(|(account, amount)| {
            let parsed = Account::parse(account).ok();
            PostingView {
                account: account.clone(),
                label: parsed.map_or("?", |a| a.label()).to_owned(),
                amount_fen: *amount,
                effect: yuan(parsed.map_or(*amount, |a| a.owed(*amount))),
            }
        })
        .collect();
    let change_fen = focus.map_or(0, |f| {
        let a = Account::parse(f).ok();
        e.postings
            .iter()
            .filter(|(k, _)| k == f)
            .map(|(_, v)| a.map_or(*v, |a| a.owed(*v)))
            .sum()
    });
    EntryView {
        id: e.id.clone(),
        kind: e.kind.clone(),
        label: EntryKind::parse(&e.kind)
            .map_or("?", |k| k.label())
            .to_owned(),
        order_id: e.order_id.map(|o| o.to_string()),
        memo: e.memo.clone(),
        at: e.created_at.local_display(),
        postings,
        change_fen,
    }
}

fn withdrawal_view(w: &WithdrawalRow) -> WithdrawalView {
    WithdrawalView {
        id: w.id.to_string(),
        provider_id: w.provider_id.to_string(),
        amount: yuan(w.amount_fen),
        amount_fen: w.amount_fen,
        fee: yuan(w.fee_fen),
        payout: yuan(w.amount_fen - w.fee_fen),
        status: w.status.clone(),
        account: w.account_masked.clone(),
        holder_name: w.holder_name.clone(),
        note: w.note.clone(),
        created: w.created_at.local_display(),
    }
}

/// The commission captured on an order.
pub fn order_commission(o: &OrderRow) -> Commission {
    Commission {
        bps: o.commission_bps,
        min_fen: o.commission_min_fen,
    }
}

/// Masks an account number: the last four characters stay.
fn mask_account(no: &str) -> String {
    let chars: Vec<char> = no.chars().collect();
    let keep = chars.len().min(4);
    let tail: String = chars[chars.len() - keep..].iter().collect();
    format!("****{tail}")
}

impl App {
    pub(crate) fn payments(&self) -> AppResult<&Payments> {
        self.payments.as_ref().ok_or(AppError::NotFound)
    }

    pub(crate) fn notify_url(&self) -> AppResult<String> {
        Ok(format!(
            "{}/api/v1/pay/notify",
            self.payments()?.public_base
        ))
    }

    // ----- paying -----------------------------------------------------------------------

    /// The customer starts paying an order: a payment at the provider (reused while it is
    /// pending) and the cashier to send the payer to.
    pub async fn pay_order(&self, actor: &Actor, id: OrderId) -> AppResult<PayStart> {
        let me = actor.member()?;
        let o = self.store.order(id).await?.ok_or(AppError::NotFound)?;
        if o.customer_id != me.id {
            return Err(AppError::NotFound);
        }
        let p = self.start_payment(&o).await?;
        Ok(PayStart {
            out_trade_no: p.out_trade_no,
            cashier_url: p.cashier_url,
            amount: yuan(p.amount_fen),
        })
    }

    async fn start_payment(&self, o: &OrderRow) -> AppResult<PaymentRow> {
        if OrderStatus::parse(&o.status)? != OrderStatus::PendingPayment
            || self.now() > o.pay_deadline
        {
            return Err(DomainError::InvalidTransition.into());
        }
        if let Some(p) = self
            .store
            .order_payments(o.id)
            .await?
            .into_iter()
            .find(|p| p.status == "pending" && p.purpose == "order")
        {
            return Ok(p);
        }
        let pay = self.payments()?;
        let out_trade_no = new_reference();
        let created = pay
            .gateway
            .create(&CreatePayment {
                out_trade_no: out_trade_no.clone(),
                description: o.listing_title.chars().take(60).collect(),
                amount: o.total_fen,
                notify_url: self.notify_url()?,
                return_url: Some(format!("{}/orders/{}", pay.public_base, o.id)),
                expire_at_ms: Some(o.pay_deadline.0),
            })
            .await
            .map_err(pay_error)?;
        let row = PaymentRow {
            out_trade_no: out_trade_no.clone(),
            order_id: o.id,
            amount_fen: o.total_fen,
            status: "pending".into(),
            prepay_id: created.prepay_id,
            cashier_url: created.cashier_url,
            transaction_id: None,
            created_at: self.now(),
            paid_at: None,
            purpose: "order".into(),
        };
        self.store.create_payment(&row).await?;
        self.schedule_queries(&out_trade_no, o.pay_deadline).await?;
        Ok(row)
    }

    /// Asks the payment provider about `out_trade_no` if no notification arrives soon, and
    /// once more a minute after its window (`closes`) has closed.
    pub(crate) async fn schedule_queries(
        &self,
        out_trade_no: &str,
        closes: Timestamp,
    ) -> AppResult<()> {
        for at in [
            self.now().plus_ms(self.config.money.query_after_ms),
            closes.plus_ms(MINUTE_MS),
        ] {
            self.schedule_job(
                JOB_QUERY_PAYMENT,
                out_trade_no,
                at,
                Some(format!("{JOB_QUERY_PAYMENT}:{out_trade_no}:{}", at.0)),
            )
            .await?;
        }
        Ok(())
    }

    /// Dev mode and tests: pays the order at the sandbox provider (as if the payer pressed
    /// 确认支付) and records it through the same query-back path a lost notification takes.
    pub async fn mark_paid(&self, id: OrderId) -> AppResult<OrderRow> {
        let o = self.store.order(id).await?.ok_or(AppError::NotFound)?;
        let p = self.start_payment(&o).await?;
        let sandbox = self.payments()?.sandbox.clone().ok_or(AppError::NotFound)?;
        sandbox
            .pay_now(&p.prepay_id)
            .map_err(|e| AppError::Internal(format!("sandbox: {e}")))?;
        self.query_payment(&p.out_trade_no).await?;
        self.store.order(id).await?.ok_or(AppError::NotFound)
    }

    /// Asks the provider about a pending payment (of an order or of a deposit): a paid one is
    /// captured; one still unpaid after its order can no longer be paid is closed.
    pub async fn query_payment(&self, out_trade_no: &str) -> AppResult<()> {
        let Some(p) = self.store.payment(out_trade_no).await? else {
            return self.query_deposit_payment(out_trade_no).await;
        };
        if p.status != "pending" {
            return Ok(());
        }
        let pay = self.payments()?;
        let t = match pay.gateway.query(out_trade_no).await {
            Ok(t) => t,
            Err(PayError::NotFound) => return Ok(()),
            Err(e) => return Err(pay_error(e)),
        };
        if t.trade_state.is_paid() {
            return self.capture(&t).await;
        }
        let o = self
            .store
            .order(p.order_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let status = OrderStatus::parse(&o.status)?;
        let payable = if p.purpose == crate::supplements::PURPOSE {
            status == OrderStatus::AwaitingSupplement
        } else {
            status == OrderStatus::PendingPayment && self.now() <= o.pay_deadline
        };
        if !payable && t.trade_state == TradeState::NotPay {
            match pay.gateway.close(out_trade_no).await {
                Ok(()) => {
                    self.store.close_payment(out_trade_no).await?;
                }
                // Paid at the last moment: the next query or the notification captures it.
                Err(e) => tracing::info!(error = %e, out_trade_no, "close refused"),
            }
        }
        Ok(())
    }

    /// A notification from the payment provider, as received: verified over the raw body,
    /// fresh, not replayed, ours; then applied once. Anything else changes nothing.
    pub async fn payment_notification(
        &self,
        headers: &NotificationHeaders<'_>,
        body: &[u8],
    ) -> AppResult<()> {
        let pay = self.payments()?;
        // Transport freshness is real time (the business clock may be a test's or dev's).
        let wall = linli_domain::time::SystemClock.now().0;
        let n = linli_pay::verify_notification(&pay.keys, &pay.mchid, headers, body, wall)
            .map_err(|e| {
                tracing::warn!(code = e.code(), "payment notification refused");
                AppError::Payment {
                    code: e.code(),
                    message: e.to_string(),
                }
            })?;
        if self.store.nonce_seen(&n.nonce).await? {
            tracing::warn!(nonce = %n.nonce, "replayed payment notification refused");
            return Err(AppError::Payment {
                code: "replayed_nonce",
                message: "this notification was already received".into(),
            });
        }
        match &n.notice {
            Notice::Transaction(t) if t.trade_state.is_paid() => self.capture(t).await?,
            Notice::Transaction(_) => {}
            Notice::Refund(r) => self.refund_finished(r).await?,
            Notice::Transfer(t) => self.transfer_finished(t).await?,
        }
        // Remembered only once applied: a failure above leaves the retry welcome.
        self.store.remember_nonce(&n.nonce, self.now()).await?;
        Ok(())
    }

    /// Records a successful payment once: into escrow and the order moves on; a payment for an
    /// order that can no longer take it is captured and refunded at once.
    async fn capture(&self, t: &Transaction) -> AppResult<()> {
        let pay = self.payments()?;
        let Some(p) = self.store.payment(&t.out_trade_no).await? else {
            if let Some(d) = self.store.deposit_payment(&t.out_trade_no).await? {
                return self.capture_deposit(t, &d).await;
            }
            tracing::warn!(out_trade_no = %t.out_trade_no, "payment for an unknown order");
            return Err(AppError::Payment {
                code: "unknown_order",
                message: "no such payment".into(),
            });
        };
        if t.mchid != pay.mchid || t.amount != p.amount_fen || t.payer_total != p.amount_fen {
            tracing::warn!(out_trade_no = %t.out_trade_no, amount = t.amount, expected = p.amount_fen, "payment amount differs");
            return Err(AppError::Payment {
                code: "amount_mismatch",
                message: "the amount does not match the order".into(),
            });
        }
        if p.status == "success" {
            return Ok(());
        }
        let o = self
            .store
            .order(p.order_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let transaction_id = t.transaction_id.clone().unwrap_or_default();
        let amount = Money::from_fen(p.amount_fen);
        let supplement = p.purpose == crate::supplements::PURPOSE;
        let capture_entry = Entry::builder(EntryKind::Capture)
            .order(o.id)
            .reference(format!("capture:{}", p.out_trade_no))
            .memo(format!(
                "{} {}",
                if supplement { "补款" } else { "支付" },
                p.out_trade_no
            ))
            .debit(Account::Psp, amount)
            .credit(Account::Escrow(o.id), amount)
            .build()?;
        if supplement {
            return self
                .capture_supplement(&p, &o, &transaction_id, capture_entry)
                .await;
        }
        let commission = self.commission_for(&o).await?;
        let instant = o.instant_book;
        // Paid in time (a notification may arrive after the window; the payment itself may
        // not) for an order still waiting for it.
        let paid_at = t.success_time_ms.unwrap_or(self.now().0);
        let payable = OrderStatus::parse(&o.status)? == OrderStatus::PendingPayment
            && paid_at <= o.pay_deadline.0 + MINUTE_MS;
        let result = if payable {
            self.paid(
                &o,
                &p.out_trade_no,
                &transaction_id,
                commission,
                capture_entry.clone(),
                instant,
            )
            .await
        } else {
            Err(AppError::Invalid(DomainError::InvalidTransition))
        };
        match result {
            Ok(()) => Ok(()),
            Err(AppError::Invalid(DomainError::InvalidTransition)) => {
                self.late_capture(&p, &transaction_id, commission, capture_entry)
                    .await
            }
            Err(AppError::Conflict { .. }) => Ok(()), // captured by a concurrent delivery
            Err(e) => Err(e),
        }
    }

    async fn paid(
        &self,
        o: &OrderRow,
        out_trade_no: &str,
        transaction_id: &str,
        commission: Commission,
        capture_entry: Entry,
        instant: bool,
    ) -> AppResult<()> {
        let deadline = self.now().plus_ms(self.config.accept_window_ms);
        let mut jobs = vec![crate::orders::reminder_job(
            o.id,
            o.start_at,
            self.config.reminder_before_ms,
        )];
        if !instant {
            jobs.push(crate::orders::order_job(
                crate::orders::JOB_ACCEPT_DEADLINE,
                o.id,
                deadline,
            ));
        }
        self.apply(
            o,
            OrderAction::Pay { instant },
            "paid",
            "customer",
            "",
            Effects {
                accept_deadline: (!instant).then_some(deadline),
                jobs,
                entries: vec![capture_entry],
                capture: Some(Capture {
                    out_trade_no,
                    transaction_id,
                    commission,
                    to_order: true,
                }),
                ..Effects::default()
            },
        )
        .await?;
        if let Some(pr) = self.store.provider(o.provider_id).await? {
            let body = format!("新订单：{} {}", o.listing_title, o.start_at.local_display());
            self.store
                .push_notification(pr.user_id, "order", &body, None, self.now())
                .await?;
        }
        Ok(())
    }

    /// Money arrived for an order that expired or was cancelled meanwhile: captured into
    /// escrow and refunded in full at once.
    pub(crate) async fn late_capture(
        &self,
        p: &PaymentRow,
        transaction_id: &str,
        commission: Commission,
        capture_entry: Entry,
    ) -> AppResult<()> {
        let o = self
            .store
            .order(p.order_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let amount = Money::from_fen(p.amount_fen);
        let refund_no = new_reference();
        let (memo, reason) = if p.purpose == crate::supplements::PURPOSE {
            ("订单已不再等待补款，补款原路退回", "补款已关闭")
        } else {
            ("订单已失效，支付原路退回", "订单已失效")
        };
        let refund_entry = Entry::builder(EntryKind::RefundDecided)
            .order(o.id)
            .reference(format!("refund:{refund_no}"))
            .memo(memo)
            .debit(Account::Escrow(o.id), amount)
            .credit(Account::RefundPayable, amount)
            .build()?;
        let status = o.status.clone();
        let change = linli_store::OrderChange {
            id: o.id,
            from: &status,
            to: &status,
            action: "late_payment_refunded",
            actor: "system",
            note: "",
            accept_deadline: None,
            amounts: None,
            reliability: None,
            jobs: &[job(
                JOB_SUBMIT_REFUND,
                refund_no.clone(),
                self.now(),
                format!("{JOB_SUBMIT_REFUND}:{refund_no}"),
            )],
            entries: &[capture_entry, refund_entry],
            refunds: &[RefundRow {
                out_refund_no: refund_no.clone(),
                order_id: o.id,
                out_trade_no: p.out_trade_no.clone(),
                amount_fen: p.amount_fen,
                status: "processing".into(),
                reason: reason.into(),
                refund_id: None,
                created_at: self.now(),
                finished_at: None,
            }],
            capture: Some(Capture {
                out_trade_no: &p.out_trade_no,
                transaction_id,
                commission,
                to_order: false,
            }),
            money_version: Some(o.money_version),
            now: self.now(),
            visit: None,
            after_sale: None,
        };
        match self.store.change_order(&change).await {
            Ok(_) => Ok(()),
            Err(StoreError::Conflict(_)) => Ok(()),
            Err(StoreError::Rule(DomainError::InvalidTransition)) => {
                // The order changed meanwhile; the next delivery or query tries again.
                Err(AppError::Internal(
                    "order changed during a late capture".into(),
                ))
            }
            Err(e) => Err(e.into()),
        }
    }

    // ----- commission ---------------------------------------------------------------------

    /// The commission in force now for an order: among the active rules whose window covers
    /// now, promotional ones (with a date window or a new-provider condition) come first, then
    /// the most specific scope (provider, category, default); the configured default last.
    pub async fn commission_for(&self, o: &OrderRow) -> AppResult<Commission> {
        let rules = self.store.commission_rules().await?;
        let now = self.now();
        let listing = self.store.listing(o.listing_id).await?;
        let category = listing.map(|l| l.category).unwrap_or_default();
        let provider = self.store.provider(o.provider_id).await?;
        let mut paid_orders = None;
        let mut best: Option<((bool, u8), &CommissionRuleRow)> = None;
        for r in rules.iter().filter(|r| r.active) {
            if r.starts_at.is_some_and(|s| now < s) || r.ends_at.is_some_and(|e| now >= e) {
                continue;
            }
            let scope_rank = match r.scope.as_str() {
                "provider" if r.scope_id == o.provider_id.to_string() => 0,
                "category" if r.scope_id == category => 1,
                "default" => 2,
                _ => continue,
            };
            if let Some(days) = r.new_provider_days {
                let since = provider.as_ref().and_then(|p| p.approved_at).unwrap_or(now);
                if now.0 - since.0 >= days * DAY_MS {
                    continue;
                }
            }
            if let Some(n) = r.new_provider_orders {
                let count = match paid_orders {
                    Some(c) => c,
                    None => {
                        let c = self.store.provider_paid_orders(o.provider_id).await?;
                        paid_orders = Some(c);
                        c
                    }
                };
                if count >= n {
                    continue;
                }
            }
            let promotional = r.starts_at.is_some()
                || r.ends_at.is_some()
                || r.new_provider_days.is_some()
                || r.new_provider_orders.is_some();
            let key = (!promotional, scope_rank);
            if best.as_ref().is_none_or(|(k, _)| key < *k) {
                best = Some((key, r));
            }
        }
        Ok(
            best.map_or(self.config.money.default_commission, |(_, r)| Commission {
                bps: r.bps,
                min_fen: r.min_fen,
            }),
        )
    }

    /// Creates or changes a commission rule (audited). Money already captured keeps the rate
    /// it was captured at.
    pub async fn save_commission_rule(
        &self,
        actor: &Actor,
        f: &RuleForm,
    ) -> AppResult<CommissionRuleRow> {
        let me = actor.require(Permission::FinanceManage)?;
        let bps = parse_percent_bps(&f.rate_percent)?;
        let min_fen = if f.min_fee.trim().is_empty() {
            0
        } else {
            Money::parse_yuan(&f.min_fee)?.fen()
        };
        Commission::new(bps, min_fen)?;
        let scope_id = f.scope_id.trim().to_owned();
        match f.scope.as_str() {
            "default" if scope_id.is_empty() => {}
            "category" if !scope_id.is_empty() && scope_id.len() <= 40 => {}
            "provider" => {
                let pid: ProviderId = scope_id.parse()?;
                self.store.provider(pid).await?.ok_or(AppError::NotFound)?;
            }
            _ => return Err(DomainError::Invalid("scope").into()),
        }
        let day = |s: &str| -> AppResult<Option<Timestamp>> {
            let s = s.trim();
            if s.is_empty() {
                return Ok(None);
            }
            Ok(Some(Timestamp(
                linli_domain::time::Day::parse(s)?.start_ms(),
            )))
        };
        let starts_at = day(&f.starts_on)?;
        let ends_at = day(&f.ends_on)?;
        if let (Some(s), Some(e)) = (starts_at, ends_at)
            && e <= s
        {
            return Err(DomainError::Invalid("window").into());
        }
        for n in [f.new_provider_days, f.new_provider_orders]
            .into_iter()
            .flatten()
        {
            if !(1..=3650).contains(&n) {
                return Err(DomainError::Invalid("new provider window").into());
            }
        }
        let note: String = f.note.trim().chars().take(200).collect();
        let (id, before) = match &f.id {
            Some(id) if !id.is_empty() => {
                let id: RuleId = id.parse()?;
                let old = self
                    .store
                    .commission_rules()
                    .await?
                    .into_iter()
                    .find(|r| r.id == id)
                    .ok_or(AppError::NotFound)?;
                (id, serde_json::to_string(&old).unwrap_or_default())
            }
            _ => (RuleId::new(), String::new()),
        };
        let row = CommissionRuleRow {
            id,
            scope: f.scope.clone(),
            scope_id,
            bps,
            min_fen,
            starts_at,
            ends_at,
            new_provider_days: f.new_provider_days,
            new_provider_orders: f.new_provider_orders,
            active: f.active,
            note,
            updated_at: self.now(),
        };
        let audit = RuleAuditRow {
            rule_id: id,
            actor_id: me.id,
            action: if before.is_empty() {
                "created"
            } else {
                "updated"
            }
            .into(),
            before,
            after: serde_json::to_string(&row).unwrap_or_default(),
            at: self.now(),
        };
        self.store.save_commission_rule(&row, &audit).await?;
        Ok(row)
    }

    /// The rules and their audit trail.
    pub async fn commission_rules(
        &self,
        actor: &Actor,
    ) -> AppResult<(Vec<CommissionRuleRow>, Vec<RuleAuditRow>)> {
        actor.require(Permission::FinanceManage)?;
        Ok((
            self.store.commission_rules().await?,
            self.store.rule_audit(100).await?,
        ))
    }

    // ----- refunds, release, settlement --------------------------------------------------

    /// The money side of a cancellation-like transition of a paid order: what escrow holds
    /// goes back to the customer except the fee, which is the provider's (less commission at
    /// the captured rate); a credit the provider owes; and the refund submitted by a job.
    pub(crate) async fn cancel_money(
        &self,
        o: &OrderRow,
        (fee, refund, credit): (i64, i64, i64),
        fx: &mut Effects<'_>,
    ) -> AppResult<()> {
        let held = Account::Escrow(o.id).owed(
            self.store
                .account_balance(&Account::Escrow(o.id).key())
                .await?,
        );
        if held <= 0 {
            return Ok(());
        }
        let refund = refund.clamp(0, held);
        let fee = (held - refund).min(fee.max(0));
        let refund = held - fee;
        // The order keeps what actually happened (an earlier partial refund leaves less).
        fx.amounts = Some((fee, refund, credit));
        let (share, commission) = order_commission(o).split(Money::from_fen(fee));
        let mut refund_no = None;
        let mut b = Entry::builder(EntryKind::RefundDecided)
            .order(o.id)
            .memo(format!("退款 {}，违约金 {}", yuan(refund), yuan(fee)))
            .debit(Account::Escrow(o.id), Money::from_fen(held))
            .credit(Account::RefundPayable, Money::from_fen(refund))
            .credit(Account::ProviderPending(o.provider_id), share)
            .credit(Account::CommissionRevenue, commission);
        if refund > 0 {
            let no = new_reference();
            b = b.reference(format!("refund:{no}"));
            refund_no = Some(no);
        }
        fx.entries.push(b.build()?);
        if let Some(no) = refund_no {
            self.add_refund(o, &no, refund, "订单取消退款", fx).await?;
        }
        if share.fen() > 0 {
            fx.jobs.push(self.settle_job(o.id));
        }
        if credit > 0 {
            fx.entries.push(
                Entry::builder(EntryKind::Credit)
                    .order(o.id)
                    .memo("服务商违约补偿")
                    .debit(
                        Account::ProviderAvailable(o.provider_id),
                        Money::from_fen(credit),
                    )
                    .credit(
                        Account::CustomerCredit(o.customer_id),
                        Money::from_fen(credit),
                    )
                    .build()?,
            );
        }
        Ok(())
    }

    /// Records a refund of `amount` 分 of `o` (number `no`) and the job submitting it. An
    /// order paid in more than one payment (an overrun's supplement) is refunded against its
    /// payments in the order they were made, each up to what it still holds; a part beyond
    /// the first gets its own refund number.
    async fn add_refund(
        &self,
        o: &OrderRow,
        no: &str,
        amount: i64,
        reason: &str,
        fx: &mut Effects<'_>,
    ) -> AppResult<()> {
        let mut payments: Vec<PaymentRow> = self
            .store
            .order_payments(o.id)
            .await?
            .into_iter()
            .filter(|p| p.status == "success")
            .collect();
        payments.reverse(); // oldest first: the booking's own payment before a supplement
        let earlier = self.store.order_refunds(o.id).await?;
        let mut left = amount;
        for p in &payments {
            if left <= 0 {
                break;
            }
            let used: i64 = earlier
                .iter()
                .chain(fx.refunds.iter())
                .filter(|r| r.out_trade_no == p.out_trade_no && r.status != "failed")
                .map(|r| r.amount_fen)
                .sum();
            let part = (p.amount_fen - used).max(0).min(left);
            if part == 0 {
                continue;
            }
            let number = if left == amount {
                no.to_owned()
            } else {
                new_reference()
            };
            fx.refunds.push(RefundRow {
                out_refund_no: number.clone(),
                order_id: o.id,
                out_trade_no: p.out_trade_no.clone(),
                amount_fen: part,
                status: "processing".into(),
                reason: reason.to_owned(),
                refund_id: None,
                created_at: self.now(),
                finished_at: None,
            });
            fx.jobs.push(job(
                JOB_SUBMIT_REFUND,
                number.clone(),
                self.now(),
                format!("{JOB_SUBMIT_REFUND}:{number}"),
            ));
            left -= part;
        }
        if left > 0 {
            // Refunded meanwhile (a concurrent refund was recorded after escrow was read).
            return Err(AppError::Conflict {
                code: "amount_too_large",
                message: "the refund is more than the order still holds",
            });
        }
        Ok(())
    }

    fn settle_job(&self, o: OrderId) -> NewJob {
        job(
            JOB_SETTLE,
            o.to_string(),
            self.now().plus_ms(self.config.money.settle_delay_ms),
            format!("{JOB_SETTLE}:{o}"),
        )
    }

    /// The money side of confirming: escrow is released, the provider's share to pending and
    /// the commission (at the captured rate) to revenue; settlement is scheduled.
    pub(crate) async fn release_money(&self, o: &OrderRow, fx: &mut Effects<'_>) -> AppResult<()> {
        let held = Account::Escrow(o.id).owed(
            self.store
                .account_balance(&Account::Escrow(o.id).key())
                .await?,
        );
        if held <= 0 {
            return Ok(());
        }
        let (share, commission) = order_commission(o).split(Money::from_fen(held));
        let fund = Commission::fund_slice(commission, self.config.money.guarantee_bps);
        fx.entries.push(
            Entry::builder(EntryKind::Release)
                .order(o.id)
                .reference(format!("release:{}", o.id))
                .memo(format!("佣金 {}", order_commission(o).label()))
                .debit(Account::Escrow(o.id), Money::from_fen(held))
                .credit(Account::ProviderPending(o.provider_id), share)
                .credit(
                    Account::CommissionRevenue,
                    Money::from_fen(commission.fen() - fund.fen()),
                )
                .credit(Account::GuaranteeFund, fund)
                .build()?,
        );
        fx.jobs.push(self.settle_job(o.id));
        Ok(())
    }

    /// Job: an order's pending earnings become available (once).
    pub async fn settle_order(&self, id: OrderId) -> AppResult<()> {
        let Some(o) = self.store.order(id).await? else {
            return Ok(());
        };
        let pending = Account::ProviderPending(o.provider_id);
        let key = pending.key();
        let net: i64 = self
            .store
            .order_entries(id)
            .await?
            .iter()
            .flat_map(|e| e.postings.iter())
            .filter(|(a, _)| *a == key)
            .map(|(_, v)| pending.owed(*v))
            .sum();
        if net <= 0 {
            return Ok(());
        }
        let e = Entry::builder(EntryKind::Settle)
            .order(id)
            .reference(format!("settle:{id}"))
            .memo("结算周期已过")
            .debit(pending, Money::from_fen(net))
            .credit(
                Account::ProviderAvailable(o.provider_id),
                Money::from_fen(net),
            )
            .build()?;
        match self.store.post_entries(&[e], self.now()).await {
            Ok(()) | Err(StoreError::Conflict(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Job: hands a recorded refund to the provider; a refund it reports done is finished now,
    /// otherwise its notification finishes it.
    pub async fn submit_refund(&self, no: &str) -> AppResult<()> {
        let Some(r) = self.store.refund(no).await? else {
            return Ok(());
        };
        if r.status != "processing" {
            return Ok(());
        }
        let payment = self
            .store
            .payment(&r.out_trade_no)
            .await?
            .ok_or(AppError::NotFound)?;
        let pay = self.payments()?;
        let done = pay
            .gateway
            .refund(&RefundRequest {
                out_trade_no: r.out_trade_no.clone(),
                out_refund_no: r.out_refund_no.clone(),
                refund: r.amount_fen,
                total: payment.amount_fen,
                reason: r.reason.clone(),
                notify_url: self.notify_url()?,
            })
            .await
            .map_err(pay_error)?;
        if done.status == RefundStatus::Processing {
            // Asked again in a minute (idempotent on the refund number) until it settles;
            // its notification may finish it first.
            return self.follow_up(JOB_SUBMIT_REFUND, no).await;
        }
        self.refund_finished(&done).await
    }

    async fn follow_up(&self, kind: &str, payload: &str) -> AppResult<()> {
        let at = self.now().plus_ms(MINUTE_MS);
        self.schedule_job(
            kind,
            payload,
            at,
            Some(format!("{kind}:{payload}:{}", at.0)),
        )
        .await?;
        Ok(())
    }

    async fn refund_finished(&self, r: &linli_pay::Refund) -> AppResult<()> {
        let Some(row) = self.store.refund(&r.out_refund_no).await? else {
            return Err(AppError::Payment {
                code: "unknown_refund",
                message: "no such refund".into(),
            });
        };
        if r.refund != row.amount_fen {
            return Err(AppError::Payment {
                code: "amount_mismatch",
                message: "the refund amount does not match".into(),
            });
        }
        let (status, entries) = match r.status {
            RefundStatus::Success => (
                "success",
                vec![
                    Entry::builder(EntryKind::RefundPaid)
                        .order(row.order_id)
                        .reference(format!("refund_paid:{}", row.out_refund_no))
                        .memo(format!("退款到账 {}", row.out_refund_no))
                        .debit(Account::RefundPayable, Money::from_fen(row.amount_fen))
                        .credit(Account::Psp, Money::from_fen(row.amount_fen))
                        .build()?,
                ],
            ),
            RefundStatus::Processing => return Ok(()),
            // Money stays owed (refund payable) and the row shows the failure for the admin.
            RefundStatus::Closed | RefundStatus::Abnormal => ("failed", Vec::new()),
        };
        match self
            .store
            .finish_refund(
                &row.out_refund_no,
                status,
                Some(&r.refund_id),
                &entries,
                self.now(),
            )
            .await
        {
            Ok(_) | Err(StoreError::Conflict(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// An operator refunds part or all of a paid order. Before release it comes out of
    /// escrow; after release it is taken back from the provider and from the commission at the
    /// rate captured with the payment, not today's.
    pub async fn admin_refund(
        &self,
        actor: &Actor,
        id: OrderId,
        f: &AdminRefundForm,
    ) -> AppResult<()> {
        actor.require(Permission::FinanceManage)?;
        let o = self.store.order(id).await?.ok_or(AppError::NotFound)?;
        let amount = Money::parse_yuan(&f.amount)?.fen();
        let reason: String = f.reason.trim().chars().take(200).collect();
        if reason.is_empty() {
            return Err(DomainError::TextLength {
                field: "reason",
                min: 1,
                max: 200,
            }
            .into());
        }
        self.refund_order(&o, amount, &reason, "operator").await
    }

    /// Refunds `amount_fen` of the paid order `o`: from escrow before release; after release
    /// taken back from the provider and from the commission at the captured rate. The refund
    /// itself is submitted by a job; `actor` names who did it on the order's timeline.
    pub(crate) async fn refund_order(
        &self,
        o: &OrderRow,
        amount_fen: i64,
        reason: &str,
        actor: &str,
    ) -> AppResult<()> {
        self.refund_order_settling(o, amount_fen, reason, actor, None)
            .await
    }

    /// [`App::refund_order`], settling an after-sale request (its new state, and the status it
    /// must still be in) in the same transaction: both happen or neither
    /// (`after_sale_changed` when the request moved on meanwhile).
    pub(crate) async fn refund_order_settling(
        &self,
        o: &OrderRow,
        amount_fen: i64,
        reason: &str,
        actor: &str,
        after_sale: Option<(&linli_store::AfterSaleRow, &str)>,
    ) -> AppResult<()> {
        let amount = amount_fen;
        let reason = reason.to_owned();
        if amount <= 0 || o.paid_fen <= 0 {
            return Err(DomainError::InvalidPrice.into());
        }
        let held = Account::Escrow(o.id).owed(
            self.store
                .account_balance(&Account::Escrow(o.id).key())
                .await?,
        );
        let no = new_reference();
        let mut fx = Effects {
            money_version: Some(o.money_version),
            ..Effects::default()
        };
        let entry = if o.released_at.is_none() {
            if amount > held {
                return Err(AppError::Conflict {
                    code: "amount_too_large",
                    message: "the refund is more than the order still holds",
                });
            }
            Entry::builder(EntryKind::RefundDecided)
                .order(o.id)
                .reference(format!("refund:{no}"))
                .memo(reason.clone())
                .debit(Account::Escrow(o.id), Money::from_fen(amount))
                .credit(Account::RefundPayable, Money::from_fen(amount))
                .build()?
        } else {
            let entries = self.store.order_entries(o.id).await?;
            let released: i64 = entries
                .iter()
                .filter(|e| e.kind == EntryKind::Release.as_str())
                .flat_map(|e| e.postings.iter())
                .filter(|(a, _)| *a == Account::Escrow(o.id).key())
                .map(|(_, v)| *v)
                .sum();
            let clawed: i64 = entries
                .iter()
                .filter(|e| e.kind == EntryKind::Clawback.as_str())
                .flat_map(|e| e.postings.iter())
                .filter(|(a, _)| *a == Account::RefundPayable.key())
                .map(|(_, v)| -*v)
                .sum();
            let kept = released - clawed;
            if amount > kept {
                return Err(AppError::Conflict {
                    code: "amount_too_large",
                    message: "the refund is more than the order still holds",
                });
            }
            let c = order_commission(o);
            let back = c.given_back(Money::from_fen(kept), Money::from_fen(kept - amount));
            // The fund gives back its slice of the commission given back, so refunding
            // everything in pieces returns exactly what release set aside.
            let bps = self.config.money.guarantee_bps;
            let fund_back = Money::from_fen(
                Commission::fund_slice(c.on(Money::from_fen(kept)), bps).fen()
                    - Commission::fund_slice(c.on(Money::from_fen(kept - amount)), bps).fen(),
            );
            let settled = entries.iter().any(|e| e.kind == EntryKind::Settle.as_str());
            let provider_account = if settled {
                Account::ProviderAvailable(o.provider_id)
            } else {
                Account::ProviderPending(o.provider_id)
            };
            Entry::builder(EntryKind::Clawback)
                .order(o.id)
                .reference(format!("refund:{no}"))
                .memo(format!("{reason}（佣金按 {} 退回）", c.label()))
                .debit(
                    Account::CommissionRevenue,
                    Money::from_fen(back.fen() - fund_back.fen()),
                )
                .debit(Account::GuaranteeFund, fund_back)
                .debit(provider_account, Money::from_fen(amount - back.fen()))
                .credit(Account::RefundPayable, Money::from_fen(amount))
                .build()?
        };
        fx.entries.push(entry);
        self.add_refund(o, &no, amount, &reason, &mut fx).await?;
        let status = o.status.clone();
        let change = linli_store::OrderChange {
            id: o.id,
            from: &status,
            to: &status,
            action: "refunded",
            actor,
            note: &format!("{} {}", yuan(amount), reason),
            accept_deadline: None,
            amounts: None,
            reliability: None,
            jobs: &fx.jobs,
            entries: &fx.entries,
            refunds: &fx.refunds,
            capture: None,
            money_version: fx.money_version,
            now: self.now(),
            visit: None,
            after_sale,
        };
        self.store
            .change_order(&change)
            .await
            .map_err(|e| match e {
                StoreError::Rule(DomainError::InvalidTransition) => AppError::Conflict {
                    code: "order_changed",
                    message: "the order changed meanwhile; please reload",
                },
                StoreError::Conflict(c) if c == "after_sale" => AppError::Conflict {
                    code: "after_sale_changed",
                    message: "the request changed meanwhile; please reload",
                },
                other => other.into(),
            })?;
        Ok(())
    }

    // ----- provider earnings and withdrawals -------------------------------------------

    pub(crate) async fn my_provider(&self, actor: &Actor) -> AppResult<linli_store::ProviderRow> {
        let me = actor.member()?;
        self.store
            .provider_by_user(me.id)
            .await?
            .filter(|p| p.status == "approved")
            .ok_or(AppError::Forbidden)
    }

    /// The provider's balances, the entries behind them and their withdrawals.
    pub async fn earnings(&self, actor: &Actor) -> AppResult<Earnings> {
        let p = self.my_provider(actor).await?;
        self.earnings_of(p.id).await
    }

    /// Any provider's earnings (the provider's own page and the admin's view).
    pub async fn earnings_of(&self, pid: ProviderId) -> AppResult<Earnings> {
        let mut held = [0; 3];
        for (slot, a) in held.iter_mut().zip([
            Account::ProviderPending(pid),
            Account::ProviderAvailable(pid),
            Account::ProviderWithdrawing(pid),
        ]) {
            *slot = a.owed(self.store.account_balance(&a.key()).await?);
        }
        let [pending, available, withdrawing] = held;
        let withdrawals = self.store.provider_withdrawals(pid).await?;
        let withdrawn_fen = withdrawals
            .iter()
            .filter(|w| w.status == "paid")
            .map(|w| w.amount_fen)
            .sum();
        let mut entries = Vec::new();
        for a in [
            Account::ProviderAvailable(pid),
            Account::ProviderPending(pid),
            Account::ProviderWithdrawing(pid),
        ] {
            let key = a.key();
            for e in self.store.account_entries(&key, 100).await? {
                if !entries.iter().any(|x: &EntryView| x.id == e.id) {
                    entries.push(entry_view(&e, Some(&key)));
                }
            }
        }
        entries.sort_by(|a, b| b.id.cmp(&a.id));
        let account = self.store.payout_account(pid).await?;
        let c = &self.config.money;
        Ok(Earnings {
            pending_fen: pending,
            available_fen: available,
            withdrawing_fen: withdrawing,
            withdrawn_fen,
            entries,
            withdrawals: withdrawals.iter().map(withdrawal_view).collect(),
            payout_account: account.map(|a| {
                let kind = if a.kind == "alipay" {
                    "支付宝"
                } else {
                    "银行卡"
                };
                format!("{kind} {} {}", a.account_masked, a.holder_name)
            }),
            withdraw_min: yuan(c.withdraw_min_fen),
            withdraw_fee: format!(
                "{}，最低 {}",
                Commission {
                    bps: c.withdraw_fee_bps,
                    min_fen: 0
                }
                .label(),
                yuan(c.withdraw_fee_min_fen)
            ),
        })
    }

    /// Sets where withdrawals are paid (stored encrypted, shown masked).
    pub async fn save_payout_account(&self, actor: &Actor, f: &PayoutAccountForm) -> AppResult<()> {
        let p = self.my_provider(actor).await?;
        let no: String = f
            .account_no
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let valid = match f.kind.as_str() {
            "bank_card" => (16..=19).contains(&no.len()) && no.bytes().all(|b| b.is_ascii_digit()),
            "alipay" => {
                linli_domain::phone::Phone::parse(&no).is_ok()
                    || (no.len() <= 64 && no.contains('@') && !no.starts_with('@'))
            }
            _ => return Err(DomainError::Invalid("kind").into()),
        };
        if !valid {
            return Err(DomainError::Invalid("account number").into());
        }
        let holder = f.holder_name.trim();
        if holder.is_empty() || holder.chars().count() > 30 {
            return Err(DomainError::TextLength {
                field: "holder_name",
                min: 1,
                max: 30,
            }
            .into());
        }
        let enc = crate::crypto::seal(self.config.secret_key.expose(), &no)?;
        self.store
            .put_payout_account(&PayoutAccountRow {
                provider_id: p.id,
                kind: f.kind.clone(),
                account_masked: mask_account(&no),
                account_enc: enc,
                holder_name: holder.to_owned(),
                updated_at: self.now(),
            })
            .await?;
        Ok(())
    }

    /// The provider asks to withdraw: the amount is held from the available balance under the
    /// provider's wallet lock, so concurrent requests can never take more than there is.
    pub async fn request_withdrawal(
        &self,
        actor: &Actor,
        f: &WithdrawForm,
    ) -> AppResult<WithdrawalView> {
        let p = self.my_provider(actor).await?;
        let amount = Money::parse_yuan(&f.amount)?;
        let c = &self.config.money;
        if amount.fen() < c.withdraw_min_fen {
            return Err(DomainError::Invalid("amount below the minimum").into());
        }
        let account = self
            .store
            .payout_account(p.id)
            .await?
            .ok_or(AppError::Conflict {
                code: "no_payout_account",
                message: "add a bank card or Alipay account first",
            })?;
        let fee = linli_domain::ledger::withdrawal_fee(
            amount,
            c.withdraw_fee_bps,
            Money::from_fen(c.withdraw_fee_min_fen),
        );
        let w = WithdrawalRow {
            id: WithdrawalId::new(),
            provider_id: p.id,
            amount_fen: amount.fen(),
            fee_fen: fee.fen(),
            status: "requested".into(),
            account_kind: account.kind.clone(),
            account_masked: account.account_masked.clone(),
            account_enc: account.account_enc.clone(),
            holder_name: account.holder_name.clone(),
            note: String::new(),
            transfer_id: None,
            decided_by: None,
            created_at: self.now(),
            decided_at: None,
            finished_at: None,
        };
        let hold = Entry::builder(EntryKind::WithdrawRequested)
            .reference(format!("withdraw:{}", w.id))
            .memo(format!("提现申请 {}", w.id))
            .debit(Account::ProviderAvailable(p.id), amount)
            .credit(Account::ProviderWithdrawing(p.id), amount)
            .build()?;
        if let Err(e) = self
            .store
            .request_withdrawal(&w, &Account::ProviderAvailable(p.id).key(), &[hold])
            .await
        {
            tracing::info!(provider = %p.id, amount = amount.fen(), error = %e, "withdrawal refused");
            return Err(e.into());
        }
        Ok(withdrawal_view(&w))
    }

    /// The withdrawal queue (admin).
    pub async fn withdrawal_queue(
        &self,
        actor: &Actor,
        status: &str,
    ) -> AppResult<Vec<WithdrawalView>> {
        actor.require(Permission::FinanceManage)?;
        let status = match status {
            "" => "requested",
            s @ ("requested" | "approved" | "paid" | "rejected" | "failed") => s,
            _ => return Err(DomainError::Invalid("status").into()),
        };
        Ok(self
            .store
            .withdrawals_in(status, 200)
            .await?
            .iter()
            .map(withdrawal_view)
            .collect())
    }

    /// An operator approves (paid out by a job through the provider's transfer) or rejects
    /// (the hold returns to the available balance) a withdrawal.
    pub async fn decide_withdrawal(
        &self,
        actor: &Actor,
        id: WithdrawalId,
        approve: bool,
        note: &str,
    ) -> AppResult<WithdrawalView> {
        let me = actor.require(Permission::FinanceManage)?;
        let w = self.store.withdrawal(id).await?.ok_or(AppError::NotFound)?;
        let note: String = note.trim().chars().take(200).collect();
        let (to, entries, jobs) = if approve {
            (
                "approved",
                Vec::new(),
                vec![job(
                    JOB_TRANSFER,
                    id.to_string(),
                    self.now(),
                    format!("{JOB_TRANSFER}:{id}"),
                )],
            )
        } else {
            (
                "rejected",
                vec![return_entry(&w, "提现被驳回")?],
                Vec::new(),
            )
        };
        let row = self
            .store
            .change_withdrawal(&WithdrawalChange {
                id,
                from: "requested",
                to,
                decided_by: Some(me.id),
                note: Some(&note),
                transfer_id: None,
                entries: &entries,
                jobs: &jobs,
                now: self.now(),
            })
            .await?;
        Ok(withdrawal_view(&row))
    }

    /// Job: pays an approved withdrawal through the provider's transfer.
    pub async fn pay_withdrawal(&self, id: WithdrawalId) -> AppResult<()> {
        let Some(w) = self.store.withdrawal(id).await? else {
            return Ok(());
        };
        if w.status != "approved" {
            return Ok(());
        }
        let account_no = crate::crypto::open(self.config.secret_key.expose(), &w.account_enc)?;
        let pay = self.payments()?;
        let t = pay
            .gateway
            .transfer(&TransferRequest {
                out_transfer_no: w.id.as_uuid().simple().to_string(),
                amount: w.amount_fen - w.fee_fen,
                account_kind: if w.account_kind == "alipay" {
                    AccountKind::Alipay
                } else {
                    AccountKind::BankCard
                },
                account_no,
                account_name: w.holder_name.clone(),
                remark: "邻里服务收益提现".into(),
                notify_url: self.notify_url()?,
            })
            .await
            .map_err(pay_error)?;
        if t.status == TransferStatus::Processing {
            return self.follow_up(JOB_TRANSFER, &id.to_string()).await;
        }
        self.transfer_finished(&t).await
    }

    async fn transfer_finished(&self, t: &linli_pay::Transfer) -> AppResult<()> {
        let id = uuid::Uuid::try_parse(&t.out_transfer_no)
            .ok()
            .and_then(|u| u.as_hyphenated().to_string().parse::<WithdrawalId>().ok());
        let Some(w) = (match id {
            Some(id) => self.store.withdrawal(id).await?,
            None => None,
        }) else {
            return Err(AppError::Payment {
                code: "unknown_transfer",
                message: "no such withdrawal".into(),
            });
        };
        if t.amount != w.amount_fen - w.fee_fen {
            return Err(AppError::Payment {
                code: "amount_mismatch",
                message: "the transfer amount does not match".into(),
            });
        }
        let (to, entries, note) = match t.status {
            TransferStatus::Processing => return Ok(()),
            TransferStatus::Success => {
                let e = Entry::builder(EntryKind::WithdrawPaid)
                    .reference(format!("withdraw_paid:{}", w.id))
                    .memo(format!("提现到账 {}", w.account_masked))
                    .debit(
                        Account::ProviderWithdrawing(w.provider_id),
                        Money::from_fen(w.amount_fen),
                    )
                    .credit(Account::Psp, Money::from_fen(w.amount_fen - w.fee_fen))
                    .credit(Account::FeeRevenue, Money::from_fen(w.fee_fen))
                    .build()?;
                ("paid", vec![e], None)
            }
            TransferStatus::Failed => (
                "failed",
                vec![return_entry(&w, "提现打款失败，已退回余额")?],
                Some(t.fail_reason.clone().unwrap_or_else(|| "打款失败".into())),
            ),
        };
        match self
            .store
            .change_withdrawal(&WithdrawalChange {
                id: w.id,
                from: "approved",
                to,
                decided_by: None,
                note: note.as_deref(),
                transfer_id: Some(&t.transfer_id),
                entries: &entries,
                jobs: &[],
                now: self.now(),
            })
            .await
        {
            // Finished by the other path (the job's answer or the notification) first.
            Ok(_) | Err(StoreError::Rule(DomainError::InvalidTransition)) => Ok(()),
            Err(StoreError::Conflict(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    // ----- admin finance -----------------------------------------------------------------

    /// Every account's balance; their sum is zero.
    pub async fn trial_balance(&self, actor: &Actor) -> AppResult<TrialBalance> {
        actor.require(Permission::FinanceManage)?;
        self.trial_balance_unchecked().await
    }

    /// The trial balance without a permission check (invariant tests).
    pub async fn trial_balance_unchecked(&self) -> AppResult<TrialBalance> {
        let rows = self.store.balances("").await?;
        let total_fen = rows.iter().map(|(_, b)| *b).sum();
        Ok(TrialBalance {
            lines: rows
                .into_iter()
                .map(|(account, b)| {
                    let a = Account::parse(&account).ok();
                    BalanceLine {
                        label: a.map_or("?", |a| a.label()).to_owned(),
                        owed: yuan(a.map_or(b, |a| a.owed(b))),
                        account,
                        balance_fen: b,
                    }
                })
                .collect(),
            total_fen,
        })
    }

    /// The entries of one order (admin), oldest first.
    pub async fn order_ledger(&self, actor: &Actor, id: OrderId) -> AppResult<Vec<EntryView>> {
        actor.require(Permission::FinanceManage)?;
        Ok(self
            .store
            .order_entries(id)
            .await?
            .iter()
            .map(|e| entry_view(e, None))
            .collect())
    }

    /// The entries touching one account (admin), newest first, and its balance.
    pub async fn account_ledger(
        &self,
        actor: &Actor,
        account: &str,
    ) -> AppResult<(BalanceLine, Vec<EntryView>)> {
        actor.require(Permission::FinanceManage)?;
        let a = Account::parse(account)?;
        let key = a.key();
        let b = self.store.account_balance(&key).await?;
        let entries = self.store.account_entries(&key, 200).await?;
        Ok((
            BalanceLine {
                account: key.clone(),
                label: a.label().to_owned(),
                balance_fen: b,
                owed: yuan(a.owed(b)),
            },
            entries.iter().map(|e| entry_view(e, Some(&key))).collect(),
        ))
    }

    /// Compares the provider's statement for `day` with the platform's records and keeps the
    /// report; every difference is listed.
    pub async fn reconcile(&self, day: &str) -> AppResult<ReconciliationView> {
        let d = linli_domain::time::Day::parse(day)?;
        let pay = self.payments()?;
        let theirs = pay.gateway.statement(day).await.map_err(pay_error)?;
        let from = Timestamp(d.start_ms());
        let ours = self.store.money_events(from, from.plus_ms(DAY_MS)).await?;
        let mut differences = Vec::new();
        let mut matched = 0;
        let item = |k: linli_pay::StatementKind| match k {
            linli_pay::StatementKind::Payment => "payment",
            linli_pay::StatementKind::Refund => "refund",
            linli_pay::StatementKind::Transfer => "transfer",
        };
        // Our transfer reference is the withdrawal id; the provider knows its simple form.
        let our_ref = |e: &linli_store::MoneyEvent| {
            if e.kind == "transfer" {
                uuid::Uuid::try_parse(&e.our_ref)
                    .map(|u| u.simple().to_string())
                    .unwrap_or_else(|_| e.our_ref.clone())
            } else {
                e.our_ref.clone()
            }
        };
        for e in &ours {
            let r = our_ref(e);
            match theirs
                .iter()
                .find(|t| item(t.kind) == e.kind && t.our_ref == r)
            {
                Some(t) if t.amount == e.amount_fen => matched += 1,
                Some(t) => differences.push(Difference {
                    kind: "amount_differs".into(),
                    item: e.kind.clone(),
                    reference: r,
                    ours_fen: Some(e.amount_fen),
                    theirs_fen: Some(t.amount),
                }),
                None => differences.push(Difference {
                    kind: "missing_at_provider".into(),
                    item: e.kind.clone(),
                    reference: r,
                    ours_fen: Some(e.amount_fen),
                    theirs_fen: None,
                }),
            }
        }
        for t in &theirs {
            if !ours
                .iter()
                .any(|e| e.kind == item(t.kind) && our_ref(e) == t.our_ref)
            {
                differences.push(Difference {
                    kind: "missing_in_ledger".into(),
                    item: item(t.kind).into(),
                    reference: t.our_ref.clone(),
                    ours_fen: None,
                    theirs_fen: Some(t.amount),
                });
            }
        }
        self.store
            .save_reconciliation(&linli_store::ReconciliationRow {
                day: day.to_owned(),
                matched,
                differences: serde_json::to_string(&differences).unwrap_or_default(),
                created_at: self.now(),
            })
            .await?;
        Ok(ReconciliationView {
            day: day.to_owned(),
            matched,
            differences,
        })
    }

    /// Recent reconciliation reports (admin).
    pub async fn reconciliations(&self, actor: &Actor) -> AppResult<Vec<ReconciliationView>> {
        actor.require(Permission::FinanceManage)?;
        Ok(self
            .store
            .reconciliations(30)
            .await?
            .into_iter()
            .map(|r| ReconciliationView {
                differences: serde_json::from_str(&r.differences).unwrap_or_default(),
                day: r.day,
                matched: r.matched,
            })
            .collect())
    }
}

fn return_entry(w: &WithdrawalRow, memo: &str) -> AppResult<Entry> {
    Ok(Entry::builder(EntryKind::WithdrawReturned)
        .reference(format!("withdraw_returned:{}", w.id))
        .memo(memo)
        .debit(
            Account::ProviderWithdrawing(w.provider_id),
            Money::from_fen(w.amount_fen),
        )
        .credit(
            Account::ProviderAvailable(w.provider_id),
            Money::from_fen(w.amount_fen),
        )
        .build()?)
}

/// `10`, `12.5`, `0.35` percent → basis points.
fn parse_percent_bps(s: &str) -> AppResult<i64> {
    let s = s.trim().trim_end_matches('%');
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let ok = !int.is_empty()
        && int.len() <= 3
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.len() <= 2
        && frac.bytes().all(|b| b.is_ascii_digit());
    if !ok {
        return Err(DomainError::Invalid("rate").into());
    }
    let whole: i64 = int.parse().map_err(|_| DomainError::Invalid("rate"))?;
    let cents: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}")
            .parse()
            .map_err(|_| DomainError::Invalid("rate"))?
    };
    let bps = whole * 100 + cents;
    if bps > 10_000 {
        return Err(DomainError::Invalid("rate").into());
    }
    Ok(bps)
}

fn payload_id<T: std::str::FromStr>(payload: &str) -> Result<T, String> {
    payload
        .trim()
        .parse()
        .map_err(|_| format!("bad payload {payload}"))
}

macro_rules! money_job {
    ($name:ident, $kind:expr, |$app:ident, $payload:ident| $body:expr) => {
        /// A money job handler.
        pub struct $name;

        #[async_trait::async_trait]
        impl JobHandler for $name {
            fn kind(&self) -> &'static str {
                $kind
            }
            async fn run(&self, $app: &App, $payload: &str) -> Result<(), String> {
                $body.await.map_err(|e: AppError| e.to_string())
            }
        }
    };
}

/// Daily at 02:00 Shanghai time: reconciles the previous day and schedules the next run.
pub struct Reconcile;

impl Reconcile {
    /// Schedules the next run (idempotent).
    pub async fn schedule_next(app: &App) -> AppResult<()> {
        // 02:00 in Shanghai is 18:00 UTC the day before.
        let now = app.now().0;
        let next = (now - 18 * HOUR_MS).div_euclid(DAY_MS) * DAY_MS + DAY_MS + 18 * HOUR_MS;
        app.schedule_job(
            JOB_RECONCILE,
            "{}",
            Timestamp(next),
            Some(format!("{JOB_RECONCILE}:{next}")),
        )
        .await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl JobHandler for Reconcile {
    fn kind(&self) -> &'static str {
        JOB_RECONCILE
    }
    async fn run(&self, app: &App, _payload: &str) -> Result<(), String> {
        let yesterday = linli_domain::time::Day::of(app.now())
            .plus_days(-1)
            .to_string();
        if app.payments.is_some() {
            let report = app.reconcile(&yesterday).await.map_err(|e| e.to_string())?;
            if !report.differences.is_empty() {
                tracing::warn!(day = %yesterday, differences = report.differences.len(), "reconciliation found differences");
            }
        }
        Self::schedule_next(app).await.map_err(|e| e.to_string())
    }
}

money_job!(QueryPayment, JOB_QUERY_PAYMENT, |app, payload| app
    .query_payment(payload));
money_job!(SubmitRefund, JOB_SUBMIT_REFUND, |app, payload| app
    .submit_refund(payload));
money_job!(SettleOrder, JOB_SETTLE, |app, payload| async move {
    app.settle_order(payload_id(payload).map_err(AppError::Internal)?)
        .await
});
money_job!(PayWithdrawal, JOB_TRANSFER, |app, payload| async move {
    app.pay_withdrawal(payload_id(payload).map_err(AppError::Internal)?)
        .await
});
money_job!(AutoConfirm, JOB_AUTO_CONFIRM, |app, payload| async move {
    app.auto_confirm(
        crate::orders::payload_order(payload)
            .map_err(AppError::Internal)?
            .0,
    )
    .await
    .map(|_| ())
});

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn percent_parses_to_basis_points() {
        assert_eq!(parse_percent_bps("10").unwrap(), 1_000);
        assert_eq!(parse_percent_bps("12.5").unwrap(), 1_250);
        assert_eq!(parse_percent_bps("0.35%").unwrap(), 35);
        assert!(parse_percent_bps("100.01").is_err());
        assert!(parse_percent_bps("-1").is_err());
        assert!(parse_percent_bps("abc").is_err());
        assert!(parse_percent_bps("1.234").is_err());
    }

    #[test]
    fn account_numbers_are_masked_to_the_last_four() {
        assert_eq!(mask_account("6222020202020202"), "****0202");
        assert_eq!(mask_account("ab"), "****ab");
    }
}
