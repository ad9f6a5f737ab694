//! A sandbox payment service provider that behaves like WeChat Pay API v3, in memory.
//!
//! - API (`/v3/…`): every request must carry a valid merchant `Authorization` signature (else 401
//!   `SIGN_ERROR`); every response is signed with the PSP key (`Wechatpay-*` headers).
//! - Cashier (`/cashier/{prepay_id}`): an HTML page with 确认支付 / 支付失败 / 取消支付.
//! - Notifications are signed, their resource AES-256-GCM encrypted, and POSTed to `notify_url`
//!   by background tasks; anything but a 2xx is retried after `retry_base_ms × 2^n` (capped at
//!   5 minutes) up to `max_attempts` times. Retries carry the same body (same `id`) with fresh
//!   `Wechatpay-*` headers.
//! - Refunds and transfers are accepted as `PROCESSING` and settle `settle_delay_ms` later.
//!
//! Test rules: a transfer to an account number ending in `0000` fails (`ACCOUNT_NOT_EXIST`,
//! `TRANSFER.FAIL`); every other transfer succeeds (`TRANSFER.SUCCESS`).
//!
//! Business times (success times, expiry, statement days) come from `SandboxConfig::clock`
//! (wall clock by default); signature timestamps are always wall clock, so a platform should
//! pass wall-clock time to [`crate::verify_notification`].
//!
//! Mounting it inside another axum app (the dev mode):
//!
//! ```text
//! let sandbox = Sandbox::new(SandboxConfig::new(mchid, keys.clone(), "http://127.0.0.1:8080/sandbox-psp"));
//! let app = app.nest("/sandbox-psp", sandbox.router());
//! let gateway = HttpGateway::new(MerchantConfig { mchid, appid, keys: keys.merchant_side(),
//!     base_url: "http://127.0.0.1:8080/sandbox-psp".into() });
//! ```
//!
//! or on its own with [`serve_standalone`] (keys shared through a directory).

mod cashier;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path as FsPath;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{OriginalUri, Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rsa::PublicKey;
use serde::Serialize;

use crate::notify::{
    REFUND_SUCCESS, TRANSACTION_SUCCESS, TRANSFER_FAIL, TRANSFER_SUCCESS, notification_body,
    psp_signature_headers,
};
use crate::sign::{Authorization, fresh};
use crate::util::{from_rfc3339, now_ms, random_alnum, random_hex, shanghai_day, valid_day};
use crate::wire::{
    CNY, CloseOrder, ErrorBody, NativeOrder, NativeOrderCreated, RefundBody, RefundRequestBody,
    StatementBody, TransactionBody, TransferBody, TransferRequestBody,
};
use crate::{
    Fen, Keys, PayError, Refund, RefundStatus, StatementKind, StatementLine, TradeState,
    Transaction, Transfer, TransferStatus,
};

/// A source of "now" in unix ms.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// Longest wait between two notification attempts.
pub const MAX_RETRY_DELAY_MS: u64 = 5 * 60 * 1000;

/// Largest request body the API accepts.
const MAX_BODY: usize = 64 * 1024;

/// How the sandbox is set up.
#[derive(Clone)]
pub struct SandboxConfig {
    /// The one merchant it serves.
    pub mchid: String,
    /// Keys; must include `psp_private` (responses and notifications are signed with it).
    pub keys: Keys,
    /// Public base URL of the sandbox (where its router is served), used for cashier URLs,
    /// e.g. `http://127.0.0.1:8080/sandbox-psp`.
    pub public_base_url: String,
    /// First retry delay of a notification; doubles each attempt (default 1000).
    pub retry_base_ms: u64,
    /// Attempts per notification, including the first (default 15).
    pub max_attempts: u32,
    /// How long refunds and transfers stay `PROCESSING` (default 100).
    pub settle_delay_ms: u64,
    /// Merchant name on the cashier page.
    pub merchant_name: String,
    /// Business clock (success times, expiry, statements); `None` = wall clock.
    pub clock: Option<Clock>,
}

impl std::fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("mchid", &self.mchid)
            .field("keys", &self.keys)
            .field("public_base_url", &self.public_base_url)
            .field("retry_base_ms", &self.retry_base_ms)
            .field("max_attempts", &self.max_attempts)
            .field("settle_delay_ms", &self.settle_delay_ms)
            .field("merchant_name", &self.merchant_name)
            .field("clock", &self.clock.as_ref().map(|_| "custom"))
            .finish()
    }
}

impl SandboxConfig {
    /// Defaults: retries from 1 s, 15 attempts, settle after 100 ms, wall clock.
    pub fn new(mchid: impl Into<String>, keys: Keys, public_base_url: impl Into<String>) -> Self {
        SandboxConfig {
            mchid: mchid.into(),
            keys,
            public_base_url: public_base_url.into(),
            retry_base_ms: 1000,
            max_attempts: 15,
            settle_delay_ms: 100,
            merchant_name: "邻里 Linli".to_owned(),
            clock: None,
        }
    }
}

/// What became of one notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryRecord {
    /// e.g. `TRANSACTION.SUCCESS`.
    pub event_type: String,
    /// Where it goes.
    pub url: String,
    /// POSTs made so far.
    pub attempts: u32,
    /// A 2xx was received.
    pub acknowledged: bool,
    /// `max_attempts` reached without a 2xx (or no runtime to deliver on).
    pub gave_up: bool,
}

#[derive(Debug, Clone)]
struct Txn {
    tx: Transaction,
    appid: String,
    prepay_id: String,
    description: String,
    notify_url: String,
    return_url: Option<String>,
    expire_at_ms: Option<i64>,
    /// Refunds accepted so far (processing or successful), 分.
    refunded: Fen,
}

impl Txn {
    fn expired(&self, now: i64) -> bool {
        self.expire_at_ms.is_some_and(|e| now > e)
    }
}

#[derive(Debug, Clone)]
struct RefundRec {
    refund: Refund,
    total: Fen,
    transaction_id: Option<String>,
    notify_url: String,
}

#[derive(Debug, Clone)]
struct TransferRec {
    transfer: Transfer,
    request: TransferRequestBody,
}

#[derive(Debug, Default)]
struct Book {
    txns: HashMap<String, Txn>,
    by_prepay: HashMap<String, String>,
    refunds: HashMap<String, RefundRec>,
    transfers: HashMap<String, TransferRec>,
    /// Request nonces seen, with their timestamps (ms), pruned after 10 minutes.
    nonces: HashMap<String, i64>,
}

/// The sandbox PSP. Create with [`Sandbox::new`], serve [`Sandbox::router`].
pub struct Sandbox {
    cfg: SandboxConfig,
    base: String,
    merchant_public: PublicKey,
    state: Mutex<Book>,
    deliveries: Mutex<Vec<DeliveryRecord>>,
    http: reqwest::Client,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("cfg", &self.cfg)
            .finish_non_exhaustive()
    }
}

/// What a cashier action did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CashierOutcome {
    /// Paid now.
    Paid,
    /// It had been paid before; nothing changed.
    AlreadyPaid,
    /// The attempt failed (`PAY_ERROR`).
    Failed,
    /// The payer cancelled; nothing changed.
    Cancelled,
}

/// Why a cashier action could not be done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CashierError {
    /// Unknown prepay id / order number.
    NotFound,
    /// The order was closed.
    Closed,
    /// The order expired.
    Expired,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let body = ErrorBody {
        code: code.to_owned(),
        message: message.into(),
    };
    (status, axum::Json(body)).into_response()
}

fn param_error(message: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, "PARAM_ERROR", message)
}

fn invalid(message: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, "INVALID_REQUEST", message)
}

fn internal(e: &PayError) -> Response {
    tracing::error!(error = %e, "sandbox PSP internal error");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "SYSTEM_ERROR",
        e.to_string(),
    )
}

fn ok_json<T: Serialize>(value: &T) -> Response {
    (StatusCode::OK, axum::Json(value)).into_response()
}

fn valid_no(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.chars().count() <= max
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '|' | '*'))
}

fn valid_url(s: &str) -> bool {
    (s.starts_with("http://") || s.starts_with("https://"))
        && s.len() <= 256
        && s.bytes().all(|b| b.is_ascii_graphic())
}

fn random_digits(n: usize) -> Result<String, PayError> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| PayError::Internal(format!("rng: {e}")))?;
    Ok(bytes.iter().map(|b| char::from(b'0' + b % 10)).collect())
}

impl Sandbox {
    /// A sandbox with empty state. Delivery tasks are spawned on the current tokio runtime
    /// when a notification is due.
    pub fn new(cfg: SandboxConfig) -> Arc<Sandbox> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .user_agent("linli-sandbox-psp/0.1")
            .build()
            .unwrap_or_default();
        if cfg.keys.psp_private.is_none() {
            tracing::error!("sandbox PSP keys lack psp_private: responses cannot be signed");
        }
        Arc::new(Sandbox {
            base: cfg.public_base_url.trim_end_matches('/').to_owned(),
            merchant_public: cfg.keys.merchant_public(),
            cfg,
            state: Mutex::new(Book::default()),
            deliveries: Mutex::new(Vec::new()),
            http,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &SandboxConfig {
        &self.cfg
    }

    fn now(&self) -> i64 {
        match &self.cfg.clock {
            Some(c) => c(),
            None => now_ms(),
        }
    }

    /// Now, truncated to the second: v3 times on the wire have second precision, so stored
    /// success times do too (a query and the statement then report the same instant).
    fn stamp(&self) -> i64 {
        self.now().div_euclid(1000) * 1000
    }

    /// The cashier URL of a prepay id.
    pub fn cashier_url(&self, prepay_id: &str) -> String {
        format!("{}/cashier/{prepay_id}", self.base)
    }

    /// The routes, relative (serve at the root or `nest` under a prefix matching
    /// `public_base_url`).
    pub fn router(self: &Arc<Self>) -> Router {
        let api = Router::new()
            .route("/v3/pay/transactions/native", post(create_order))
            .route("/v3/pay/transactions/out-trade-no/{no}", get(query_order))
            .route(
                "/v3/pay/transactions/out-trade-no/{no}/close",
                post(close_order),
            )
            .route("/v3/refund/domestic/refunds", post(create_refund))
            .route("/v3/refund/domestic/refunds/{no}", get(query_refund))
            .route("/v3/transfer/single-transfers", post(create_transfer))
            .route(
                "/v3/transfer/single-transfers/out-transfer-no/{no}",
                get(query_transfer),
            )
            .route("/v3/bill/statement", get(statement))
            .layer(from_fn_with_state(Arc::clone(self), authenticate))
            .layer(from_fn_with_state(Arc::clone(self), sign_response))
            .with_state(Arc::clone(self));
        let cashier = Router::new()
            .route("/cashier/{prepay_id}", get(cashier::page))
            .route("/cashier/{prepay_id}/{action}", post(cashier::act))
            .with_state(Arc::clone(self));
        api.merge(cashier)
    }

    /// A transaction by order number.
    pub fn transaction(&self, out_trade_no: &str) -> Option<Transaction> {
        lock(&self.state)
            .txns
            .get(out_trade_no)
            .map(|t| t.tx.clone())
    }

    /// A refund by refund number.
    pub fn refund(&self, out_refund_no: &str) -> Option<Refund> {
        lock(&self.state)
            .refunds
            .get(out_refund_no)
            .map(|r| r.refund.clone())
    }

    /// A transfer by transfer number.
    pub fn transfer(&self, out_transfer_no: &str) -> Option<Transfer> {
        lock(&self.state)
            .transfers
            .get(out_transfer_no)
            .map(|t| t.transfer.clone())
    }

    /// Notifications acknowledged so far.
    pub fn deliveries(&self) -> usize {
        lock(&self.deliveries)
            .iter()
            .filter(|d| d.acknowledged)
            .count()
    }

    /// Notification POSTs made so far (all attempts).
    pub fn delivery_attempts(&self) -> usize {
        lock(&self.deliveries)
            .iter()
            .map(|d| d.attempts as usize)
            .sum()
    }

    /// Every notification queued so far, in order.
    pub fn delivery_log(&self) -> Vec<DeliveryRecord> {
        lock(&self.deliveries).clone()
    }

    /// Waits until every queued notification is acknowledged or given up, or `timeout` passes;
    /// returns whether all settled.
    pub async fn wait_deliveries(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let pending = lock(&self.deliveries)
                .iter()
                .any(|d| !d.acknowledged && !d.gave_up);
            if !pending {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Test hook: the same as pressing 确认支付 on the cashier page of `prepay_id_or_out_trade_no`.
    pub fn pay_now(
        self: &Arc<Self>,
        prepay_id_or_out_trade_no: &str,
    ) -> Result<Transaction, PayError> {
        match self.cashier_action(prepay_id_or_out_trade_no, cashier::Action::Pay) {
            Ok((t, _, _)) => Ok(t),
            Err(CashierError::NotFound) => Err(PayError::NotFound),
            Err(CashierError::Closed) => Err(PayError::Rejected {
                code: "ORDER_CLOSED".into(),
                message: "the order is closed".into(),
            }),
            Err(CashierError::Expired) => Err(PayError::Rejected {
                code: "ORDER_CLOSED".into(),
                message: "the order has expired".into(),
            }),
        }
    }

    /// Applies a cashier action; returns the transaction, its return URL and what happened.
    fn cashier_action(
        self: &Arc<Self>,
        id: &str,
        action: cashier::Action,
    ) -> Result<(Transaction, Option<String>, CashierOutcome), CashierError> {
        let now = self.now();
        let mut st = lock(&self.state);
        let no = match st.by_prepay.get(id) {
            Some(no) => no.clone(),
            None => id.to_owned(),
        };
        let txn = st.txns.get_mut(&no).ok_or(CashierError::NotFound)?;
        if txn.tx.trade_state.is_paid() {
            return Ok((
                txn.tx.clone(),
                txn.return_url.clone(),
                CashierOutcome::AlreadyPaid,
            ));
        }
        if action == cashier::Action::Cancel {
            return Ok((
                txn.tx.clone(),
                txn.return_url.clone(),
                CashierOutcome::Cancelled,
            ));
        }
        if txn.tx.trade_state == TradeState::Closed {
            return Err(CashierError::Closed);
        }
        if txn.expired(now) {
            return Err(CashierError::Expired);
        }
        let outcome = match action {
            cashier::Action::Fail => {
                txn.tx.trade_state = TradeState::PayError;
                CashierOutcome::Failed
            }
            _ => {
                // An RNG failure is next to impossible; the time keeps the id well-formed.
                let digits = random_digits(24).unwrap_or_else(|_| format!("{now:024}"));
                let transaction_id = format!("4200{digits}");
                txn.tx.trade_state = TradeState::Success;
                txn.tx.transaction_id = Some(transaction_id);
                txn.tx.payer_total = txn.tx.amount;
                txn.tx.success_time_ms = Some(now.div_euclid(1000) * 1000);
                CashierOutcome::Paid
            }
        };
        let result = (txn.tx.clone(), txn.return_url.clone(), outcome);
        let notify = (outcome == CashierOutcome::Paid).then(|| {
            (
                txn.notify_url.clone(),
                serde_json::to_vec(&TransactionBody::from_transaction(&txn.tx, &txn.appid)),
            )
        });
        drop(st);
        if let Some((url, json)) = notify {
            match json {
                Ok(json) => self.enqueue(url, TRANSACTION_SUCCESS, "transaction", json),
                Err(e) => tracing::error!(error = %e, "sandbox: cannot encode transaction"),
            }
        }
        Ok(result)
    }

    /// Queues a notification for delivery by a background task.
    fn enqueue(
        self: &Arc<Self>,
        url: String,
        event_type: &str,
        kind: &str,
        resource_json: Vec<u8>,
    ) {
        let index = {
            let mut d = lock(&self.deliveries);
            d.push(DeliveryRecord {
                event_type: event_type.to_owned(),
                url: url.clone(),
                attempts: 0,
                acknowledged: false,
                gave_up: false,
            });
            d.len() - 1
        };
        let body = notification_body(
            &self.cfg.keys.api_v3_key,
            event_type,
            kind,
            &resource_json,
            self.now(),
        );
        let give_up = |why: &str| {
            tracing::error!(event_type, why, "sandbox: notification not delivered");
            if let Some(r) = lock(&self.deliveries).get_mut(index) {
                r.gave_up = true;
            }
        };
        let body = match body {
            Ok(b) => b,
            Err(e) => return give_up(&e.to_string()),
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(Arc::clone(self).deliver(index, url, body));
            }
            Err(_) => give_up("no tokio runtime"),
        }
    }

    async fn deliver(self: Arc<Self>, index: usize, url: String, body: Vec<u8>) {
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let acknowledged = self.post_notification(&url, &body).await;
            let done = acknowledged || attempt >= self.cfg.max_attempts.max(1);
            if let Some(r) = lock(&self.deliveries).get_mut(index) {
                r.attempts = attempt;
                r.acknowledged = acknowledged;
                r.gave_up = done && !acknowledged;
            }
            if done {
                return;
            }
            let factor = 1u64 << (attempt - 1).min(32);
            let delay = self
                .cfg
                .retry_base_ms
                .saturating_mul(factor)
                .min(MAX_RETRY_DELAY_MS);
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
    }

    async fn post_notification(&self, url: &str, body: &[u8]) -> bool {
        let headers = match random_alnum(32)
            .and_then(|nonce| psp_signature_headers(&self.cfg.keys, body, now_ms(), &nonce))
        {
            Ok(h) => h,
            Err(e) => {
                tracing::error!(error = %e, "sandbox: cannot sign notification");
                return false;
            }
        };
        let mut req = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_vec());
        for (k, v) in headers {
            req = req.header(k, v);
        }
        match req.send().await {
            Ok(resp) => {
                let ok = resp.status().is_success();
                if !ok {
                    tracing::debug!(url, status = %resp.status(), "sandbox: notification refused");
                }
                ok
            }
            Err(e) => {
                tracing::debug!(url, error = %e, "sandbox: notification failed");
                false
            }
        }
    }

    /// Checks a request's merchant signature and records its nonce.
    fn check_request(
        &self,
        method: &str,
        path_and_query: &str,
        authorization: Option<&str>,
        body: &[u8],
    ) -> Result<(), String> {
        let auth = authorization
            .and_then(Authorization::parse)
            .ok_or("missing or malformed Authorization header")?;
        if auth.mchid != self.cfg.mchid {
            return Err(format!("unknown mchid {}", auth.mchid));
        }
        if auth.serial_no != self.cfg.keys.merchant_serial {
            return Err(format!("unknown serial_no {}", auth.serial_no));
        }
        let now = now_ms();
        if !fresh(&auth.timestamp, now) {
            return Err("timestamp out of range".into());
        }
        if !auth.verify(&self.merchant_public, method, path_and_query, body) {
            return Err("signature does not verify".into());
        }
        let mut st = lock(&self.state);
        if st.nonces.len() > 10_000 {
            st.nonces.retain(|_, at| now - *at < 10 * 60 * 1000);
        }
        if st.nonces.insert(auth.nonce_str.clone(), now).is_some() {
            return Err("nonce_str already used".into());
        }
        Ok(())
    }
}

/// Middleware: verifies the merchant's `Authorization` over method, path, query and body.
async fn authenticate(
    State(sb): State<Arc<Sandbox>>,
    OriginalUri(uri): OriginalUri,
    req: Request,
    next: Next,
) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return param_error("request body too large or unreadable"),
    };
    let path_and_query = uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| uri.path().to_owned());
    let authorization = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if let Err(why) = sb.check_request(
        parts.method.as_str(),
        &path_and_query,
        authorization,
        &bytes,
    ) {
        return error(StatusCode::UNAUTHORIZED, "SIGN_ERROR", why);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Middleware: signs every API response with the PSP key.
async fn sign_response(State(sb): State<Arc<Sandbox>>, req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let (mut parts, body) = resp.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => return internal(&PayError::Internal(format!("response body: {e}"))),
    };
    let headers = match random_alnum(32)
        .and_then(|nonce| psp_signature_headers(&sb.cfg.keys, &bytes, now_ms(), &nonce))
    {
        Ok(h) => h,
        Err(e) => return internal(&e),
    };
    for (k, v) in headers {
        if let (Ok(name), Ok(value)) = (
            header::HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(&v),
        ) {
            parts.headers.insert(name, value);
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn parse<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| format!("invalid JSON body: {e}"))
}

async fn create_order(State(sb): State<Arc<Sandbox>>, body: Bytes) -> Response {
    let order: NativeOrder = match parse(&body) {
        Ok(o) => o,
        Err(e) => return param_error(e),
    };
    if order.mchid != sb.cfg.mchid {
        return invalid("mchid does not match the signing merchant");
    }
    if !valid_no(&order.out_trade_no, 32) {
        return param_error("out_trade_no must be 1-32 characters of [A-Za-z0-9_-|*]");
    }
    let desc_len = order.description.chars().count();
    if desc_len == 0 || desc_len > 127 {
        return param_error("description must be 1-127 characters");
    }
    if order.amount.total <= 0 {
        return param_error("amount.total must be > 0");
    }
    if order.amount.currency != CNY {
        return param_error("amount.currency must be CNY");
    }
    if !valid_url(&order.notify_url) {
        return param_error("notify_url must be an http(s) URL");
    }
    if order.return_url.as_deref().is_some_and(|u| !valid_url(u)) {
        return param_error("return_url must be an http(s) URL");
    }
    let expire_at_ms = match order.time_expire.as_deref().map(from_rfc3339) {
        None => None,
        Some(Some(ms)) => Some(ms),
        Some(None) => return param_error("time_expire must be RFC 3339"),
    };
    let prepay_id = match random_hex(14) {
        Ok(h) => format!("wx{h}"),
        Err(e) => return internal(&e),
    };
    let mut st = lock(&sb.state);
    if let Some(existing) = st.txns.get(&order.out_trade_no) {
        return match existing.tx.trade_state {
            TradeState::Success | TradeState::Refund => {
                error(StatusCode::BAD_REQUEST, "ORDERPAID", "该订单已支付")
            }
            TradeState::Closed => error(StatusCode::BAD_REQUEST, "ORDER_CLOSED", "该订单已关闭"),
            _ if existing.tx.amount == order.amount.total
                && existing.description == order.description
                && existing.notify_url == order.notify_url =>
            {
                ok_json(&NativeOrderCreated {
                    prepay_id: existing.prepay_id.clone(),
                    code_url: sb.cashier_url(&existing.prepay_id),
                })
            }
            _ => invalid("out_trade_no already used with different parameters"),
        };
    }
    let txn = Txn {
        tx: Transaction {
            mchid: sb.cfg.mchid.clone(),
            out_trade_no: order.out_trade_no.clone(),
            transaction_id: None,
            trade_state: TradeState::NotPay,
            amount: order.amount.total,
            payer_total: 0,
            success_time_ms: None,
        },
        appid: order.appid,
        prepay_id: prepay_id.clone(),
        description: order.description,
        notify_url: order.notify_url,
        return_url: order.return_url,
        expire_at_ms,
        refunded: 0,
    };
    st.by_prepay
        .insert(prepay_id.clone(), order.out_trade_no.clone());
    st.txns.insert(order.out_trade_no, txn);
    drop(st);
    ok_json(&NativeOrderCreated {
        code_url: sb.cashier_url(&prepay_id),
        prepay_id,
    })
}

fn order_not_found() -> Response {
    error(StatusCode::NOT_FOUND, "ORDER_NOT_EXIST", "订单不存在")
}

async fn query_order(
    State(sb): State<Arc<Sandbox>>,
    Path(no): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if q.get("mchid") != Some(&sb.cfg.mchid) {
        return param_error("mchid query parameter missing or wrong");
    }
    let st = lock(&sb.state);
    match st.txns.get(&no) {
        Some(t) => ok_json(&TransactionBody::from_transaction(&t.tx, &t.appid)),
        None => order_not_found(),
    }
}

async fn close_order(
    State(sb): State<Arc<Sandbox>>,
    Path(no): Path<String>,
    body: Bytes,
) -> Response {
    let req: CloseOrder = match parse(&body) {
        Ok(r) => r,
        Err(e) => return param_error(e),
    };
    if req.mchid != sb.cfg.mchid {
        return invalid("mchid does not match the signing merchant");
    }
    let mut st = lock(&sb.state);
    let Some(t) = st.txns.get_mut(&no) else {
        return order_not_found();
    };
    match t.tx.trade_state {
        TradeState::Success | TradeState::Refund => {
            error(StatusCode::BAD_REQUEST, "ORDERPAID", "该订单已支付")
        }
        _ => {
            t.tx.trade_state = TradeState::Closed;
            StatusCode::NO_CONTENT.into_response()
        }
    }
}

fn refund_body(sb: &Sandbox, r: &RefundRec) -> RefundBody {
    RefundBody::from_refund(
        &r.refund,
        Some(&sb.cfg.mchid),
        Some(r.total),
        r.transaction_id.as_deref(),
    )
}

async fn create_refund(State(sb): State<Arc<Sandbox>>, body: Bytes) -> Response {
    let req: RefundRequestBody = match parse(&body) {
        Ok(r) => r,
        Err(e) => return param_error(e),
    };
    if !valid_no(&req.out_refund_no, 64) {
        return param_error("out_refund_no must be 1-64 characters of [A-Za-z0-9_-|*]");
    }
    if !valid_url(&req.notify_url) {
        return param_error("notify_url must be an http(s) URL");
    }
    if req.amount.currency != CNY {
        return param_error("amount.currency must be CNY");
    }
    let refund_id = match random_digits(29) {
        Ok(d) => format!("50{d}"),
        Err(e) => return internal(&e),
    };
    let mut st = lock(&sb.state);
    if let Some(existing) = st.refunds.get(&req.out_refund_no) {
        return if existing.refund.out_trade_no == req.out_trade_no
            && existing.refund.refund == req.amount.refund
        {
            ok_json(&refund_body(&sb, existing))
        } else {
            invalid("out_refund_no already used with different parameters")
        };
    }
    let Some(txn) = st.txns.get_mut(&req.out_trade_no) else {
        return error(StatusCode::NOT_FOUND, "RESOURCE_NOT_EXISTS", "订单不存在");
    };
    if !txn.tx.trade_state.is_paid() {
        return invalid("the order is not paid");
    }
    if req.amount.total != txn.tx.amount {
        return invalid("amount.total does not match the order total");
    }
    if req.amount.refund <= 0 {
        return invalid("amount.refund must be > 0");
    }
    if txn.refunded.saturating_add(req.amount.refund) > txn.tx.amount {
        return error(
            StatusCode::BAD_REQUEST,
            "NOT_ENOUGH",
            format!("refundable amount is {} 分", txn.tx.amount - txn.refunded),
        );
    }
    txn.refunded += req.amount.refund;
    txn.tx.trade_state = TradeState::Refund;
    let rec = RefundRec {
        refund: Refund {
            out_refund_no: req.out_refund_no.clone(),
            refund_id,
            out_trade_no: req.out_trade_no,
            refund: req.amount.refund,
            status: RefundStatus::Processing,
            success_time_ms: None,
        },
        total: txn.tx.amount,
        transaction_id: txn.tx.transaction_id.clone(),
        notify_url: req.notify_url,
    };
    let resp = ok_json(&refund_body(&sb, &rec));
    st.refunds.insert(req.out_refund_no.clone(), rec);
    drop(st);
    let sb2 = Arc::clone(&sb);
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(sb2.cfg.settle_delay_ms)).await;
        sb2.settle_refund(&req.out_refund_no);
    });
    resp
}

impl Sandbox {
    fn settle_refund(self: &Arc<Self>, out_refund_no: &str) {
        let now = self.stamp();
        let mut st = lock(&self.state);
        let Some(rec) = st.refunds.get_mut(out_refund_no) else {
            return;
        };
        if rec.refund.status != RefundStatus::Processing {
            return;
        }
        rec.refund.status = RefundStatus::Success;
        rec.refund.success_time_ms = Some(now);
        let url = rec.notify_url.clone();
        let json = serde_json::to_vec(&refund_body(self, rec));
        drop(st);
        match json {
            Ok(json) => self.enqueue(url, REFUND_SUCCESS, "refund", json),
            Err(e) => tracing::error!(error = %e, "sandbox: cannot encode refund"),
        }
    }

    fn settle_transfer(self: &Arc<Self>, out_transfer_no: &str) {
        let now = self.stamp();
        let mut st = lock(&self.state);
        let Some(rec) = st.transfers.get_mut(out_transfer_no) else {
            return;
        };
        if rec.transfer.status != TransferStatus::Processing {
            return;
        }
        let fails = rec.request.account_no.ends_with("0000");
        rec.transfer.status = if fails {
            TransferStatus::Failed
        } else {
            TransferStatus::Success
        };
        rec.transfer.fail_reason = fails.then(|| "ACCOUNT_NOT_EXIST".to_owned());
        rec.transfer.success_time_ms = Some(now);
        let url = rec.request.notify_url.clone();
        let json = serde_json::to_vec(&TransferBody::from_transfer(
            &rec.transfer,
            Some(&self.cfg.mchid),
        ));
        drop(st);
        let event = if fails {
            TRANSFER_FAIL
        } else {
            TRANSFER_SUCCESS
        };
        match json {
            Ok(json) => self.enqueue(url, event, "transfer", json),
            Err(e) => tracing::error!(error = %e, "sandbox: cannot encode transfer"),
        }
    }
}

async fn query_refund(State(sb): State<Arc<Sandbox>>, Path(no): Path<String>) -> Response {
    let st = lock(&sb.state);
    match st.refunds.get(&no) {
        Some(r) => ok_json(&refund_body(&sb, r)),
        None => error(StatusCode::NOT_FOUND, "RESOURCE_NOT_EXISTS", "退款单不存在"),
    }
}

async fn create_transfer(State(sb): State<Arc<Sandbox>>, body: Bytes) -> Response {
    let req: TransferRequestBody = match parse(&body) {
        Ok(r) => r,
        Err(e) => return param_error(e),
    };
    if req.mchid != sb.cfg.mchid {
        return invalid("mchid does not match the signing merchant");
    }
    if !valid_no(&req.out_transfer_no, 32) {
        return param_error("out_transfer_no must be 1-32 characters of [A-Za-z0-9_-|*]");
    }
    if req.transfer_amount <= 0 {
        return param_error("transfer_amount must be > 0");
    }
    if req.account_no.trim().is_empty() || req.account_name.trim().is_empty() {
        return param_error("account_no and account_name are required");
    }
    if !valid_url(&req.notify_url) {
        return param_error("notify_url must be an http(s) URL");
    }
    let transfer_id = match random_digits(26) {
        Ok(d) => format!("1330{d}"),
        Err(e) => return internal(&e),
    };
    let mut st = lock(&sb.state);
    if let Some(existing) = st.transfers.get(&req.out_transfer_no) {
        let same = existing.request.transfer_amount == req.transfer_amount
            && existing.request.account_no == req.account_no
            && existing.request.account_kind == req.account_kind;
        return if same {
            ok_json(&TransferBody::from_transfer(
                &existing.transfer,
                Some(&sb.cfg.mchid),
            ))
        } else {
            invalid("out_transfer_no already used with different parameters")
        };
    }
    let rec = TransferRec {
        transfer: Transfer {
            out_transfer_no: req.out_transfer_no.clone(),
            transfer_id,
            amount: req.transfer_amount,
            status: TransferStatus::Processing,
            fail_reason: None,
            success_time_ms: None,
        },
        request: req,
    };
    let resp = ok_json(&TransferBody::from_transfer(
        &rec.transfer,
        Some(&sb.cfg.mchid),
    ));
    let no = rec.transfer.out_transfer_no.clone();
    st.transfers.insert(no.clone(), rec);
    drop(st);
    let sb2 = Arc::clone(&sb);
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(sb2.cfg.settle_delay_ms)).await;
        sb2.settle_transfer(&no);
    });
    resp
}

async fn query_transfer(State(sb): State<Arc<Sandbox>>, Path(no): Path<String>) -> Response {
    let st = lock(&sb.state);
    match st.transfers.get(&no) {
        Some(t) => ok_json(&TransferBody::from_transfer(
            &t.transfer,
            Some(&sb.cfg.mchid),
        )),
        None => error(StatusCode::NOT_FOUND, "RESOURCE_NOT_EXISTS", "转账单不存在"),
    }
}

async fn statement(
    State(sb): State<Arc<Sandbox>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(day) = q.get("bill_date").filter(|d| valid_day(d)) else {
        return param_error("bill_date must be YYYY-MM-DD");
    };
    let on_day = |ms: Option<i64>| ms.filter(|ms| shanghai_day(*ms) == *day);
    let st = lock(&sb.state);
    let mut lines = Vec::new();
    for t in st.txns.values() {
        if let (Some(at), Some(id)) = (on_day(t.tx.success_time_ms), &t.tx.transaction_id) {
            lines.push(StatementLine {
                kind: StatementKind::Payment,
                our_ref: t.tx.out_trade_no.clone(),
                psp_ref: id.clone(),
                out_trade_no: Some(t.tx.out_trade_no.clone()),
                amount: t.tx.amount,
                at_ms: at,
            });
        }
    }
    for r in st.refunds.values() {
        if r.refund.status != RefundStatus::Success {
            continue;
        }
        if let Some(at) = on_day(r.refund.success_time_ms) {
            lines.push(StatementLine {
                kind: StatementKind::Refund,
                our_ref: r.refund.out_refund_no.clone(),
                psp_ref: r.refund.refund_id.clone(),
                out_trade_no: Some(r.refund.out_trade_no.clone()),
                amount: r.refund.refund,
                at_ms: at,
            });
        }
    }
    for t in st.transfers.values() {
        if t.transfer.status != TransferStatus::Success {
            continue;
        }
        if let Some(at) = on_day(t.transfer.success_time_ms) {
            lines.push(StatementLine {
                kind: StatementKind::Transfer,
                our_ref: t.transfer.out_transfer_no.clone(),
                psp_ref: t.transfer.transfer_id.clone(),
                out_trade_no: None,
                amount: t.transfer.amount,
                at_ms: at,
            });
        }
    }
    drop(st);
    lines.sort_by(|a, b| {
        a.at_ms
            .cmp(&b.at_ms)
            .then_with(|| a.our_ref.cmp(&b.our_ref))
    });
    ok_json(&StatementBody {
        bill_date: day.clone(),
        lines,
    })
}

/// Serves a sandbox on a fresh loopback port (tests and tools): returns it and its base URL.
/// `cfg.public_base_url` is replaced by that URL. The server runs until the runtime stops.
pub async fn spawn_loopback(mut cfg: SandboxConfig) -> std::io::Result<(Arc<Sandbox>, String)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    cfg.public_base_url = base.clone();
    let sandbox = Sandbox::new(cfg);
    let router = sandbox.router();
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::warn!(error = %e, "loopback sandbox stopped");
        }
    });
    Ok((sandbox, base))
}

/// Runs the sandbox PSP on its own: keys shared with the platform through `keys_dir`
/// (created if missing), router served at the root of `listen`. `public_base_url` is how
/// browsers reach it (for cashier URLs). Stops on Ctrl-C.
pub async fn serve_standalone(
    listen: SocketAddr,
    keys_dir: &FsPath,
    mchid: String,
    public_base_url: String,
) -> anyhow::Result<()> {
    let dir = keys_dir.to_path_buf();
    let keys = tokio::task::spawn_blocking(move || Keys::load_or_create(&dir)).await??;
    let sandbox = Sandbox::new(SandboxConfig::new(mchid, keys, public_base_url));
    let listener = tokio::net::TcpListener::bind(listen).await?;
    tracing::info!(addr = %listener.local_addr()?, "sandbox PSP listening");
    axum::serve(listener, sandbox.router())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
