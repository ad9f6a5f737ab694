//! [`HttpGateway`]: the [`PaymentGateway`] over a WeChat Pay API v3-style HTTP API.

use std::time::Duration;

use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::sign::{
    Authorization, HEADER_NONCE, HEADER_SERIAL, HEADER_SIGNATURE, HEADER_TIMESTAMP, fresh,
    response_message, verify_message,
};
use crate::util::{encode_segment, now_ms, random_alnum, to_rfc3339, valid_day};
use crate::wire::{
    CNY, CloseOrder, ErrorBody, NativeOrder, NativeOrderCreated, OrderAmount, RefundBody,
    RefundRequestAmount, RefundRequestBody, StatementBody, TransactionBody, TransferBody,
    TransferRequestBody,
};
use crate::{
    CreatePayment, CreatedPayment, Keys, PayError, PaymentGateway, Refund, RefundRequest,
    StatementLine, Transaction, Transfer, TransferRequest,
};

/// The merchant's side of the relationship with a PSP.
#[derive(Debug, Clone)]
pub struct MerchantConfig {
    /// Merchant id at the PSP.
    pub mchid: String,
    /// App id at the PSP.
    pub appid: String,
    /// Base URL of the PSP API, e.g. `http://127.0.0.1:8080/sandbox-psp` (no trailing slash
    /// needed); request paths are appended to it.
    pub base_url: String,
    /// Merchant key (signs requests) and PSP key (verifies responses); `psp_private` unused.
    pub keys: Keys,
}

/// A [`PaymentGateway`] speaking HTTP to a WeChat Pay v3-style PSP (the sandbox).
///
/// Every request carries `Authorization: WECHATPAY2-SHA256-RSA2048 …` signed with the merchant
/// key; every response must carry a valid `Wechatpay-Signature` by the PSP key over the raw
/// body, or the call fails with [`PayError::BadSignature`].
#[derive(Debug, Clone)]
pub struct HttpGateway {
    cfg: MerchantConfig,
    base: String,
    http: reqwest::Client,
}

/// Per-request timeout.
const TIMEOUT: Duration = Duration::from_secs(15);

impl HttpGateway {
    /// A client for `cfg` (plain HTTP; no TLS backend is compiled in).
    pub fn new(cfg: MerchantConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .user_agent("linli-pay/0.1")
            .build()
            .unwrap_or_default();
        let base = cfg.base_url.trim_end_matches('/').to_owned();
        HttpGateway { cfg, base, http }
    }

    /// The configuration.
    pub fn config(&self) -> &MerchantConfig {
        &self.cfg
    }

    /// Sends a signed request and returns the status and the verified raw body.
    async fn call(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<Vec<u8>>,
    ) -> Result<(reqwest::StatusCode, Vec<u8>), PayError> {
        let url = reqwest::Url::parse(&format!("{}{}", self.base, path_and_query))
            .map_err(|e| PayError::Internal(format!("bad PSP URL: {e}")))?;
        // The signed path is exactly what goes on the request line.
        let signed_path = match url.query() {
            Some(q) => format!("{}?{}", url.path(), q),
            None => url.path().to_owned(),
        };
        let body = body.unwrap_or_default();
        let auth = Authorization::sign(
            &self.cfg.keys.merchant_private,
            &self.cfg.mchid,
            &self.cfg.keys.merchant_serial,
            method.as_str(),
            &signed_path,
            now_ms().div_euclid(1000),
            &random_alnum(32)?,
            &body,
        )?;
        let mut req = self
            .http
            .request(method.clone(), url)
            .header(reqwest::header::AUTHORIZATION, auth.header_value())
            .header(reqwest::header::ACCEPT, "application/json");
        if method != Method::GET {
            req = req
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| PayError::Unavailable(e.to_string()))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| PayError::Unavailable(e.to_string()))?
            .to_vec();
        if status.is_server_error() {
            return Err(PayError::Unavailable(format!(
                "HTTP {status}: {}",
                String::from_utf8_lossy(&bytes)
                    .chars()
                    .take(200)
                    .collect::<String>()
            )));
        }
        self.verify_response(&headers, &bytes)?;
        Ok((status, bytes))
    }

    fn verify_response(
        &self,
        headers: &reqwest::header::HeaderMap,
        body: &[u8],
    ) -> Result<(), PayError> {
        let get = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
        };
        let (ts, nonce, sig, serial) = (
            get(HEADER_TIMESTAMP),
            get(HEADER_NONCE),
            get(HEADER_SIGNATURE),
            get(HEADER_SERIAL),
        );
        if ts.is_empty() || nonce.is_empty() || sig.is_empty() || serial.is_empty() {
            return Err(PayError::BadSignature(
                "response has no Wechatpay-* signature headers".into(),
            ));
        }
        if serial != self.cfg.keys.psp_serial {
            return Err(PayError::BadSignature(format!(
                "unknown Wechatpay-Serial {serial}"
            )));
        }
        if !verify_message(
            &self.cfg.keys.psp_public,
            &response_message(ts, nonce, body),
            sig,
        ) {
            return Err(PayError::BadSignature(
                "Wechatpay-Signature does not match".into(),
            ));
        }
        if !fresh(ts, now_ms()) {
            return Err(PayError::BadSignature(
                "Wechatpay-Timestamp out of range".into(),
            ));
        }
        Ok(())
    }

    /// Sends a request and decodes a 2xx JSON body, mapping errors.
    async fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<Vec<u8>>,
    ) -> Result<T, PayError> {
        let (status, bytes) = self.call(method, path_and_query, body).await?;
        check_status(status, &bytes)?;
        serde_json::from_slice(&bytes)
            .map_err(|e| PayError::Unavailable(format!("unreadable PSP response: {e}")))
    }
}

fn to_body<T: Serialize>(value: &T) -> Result<Option<Vec<u8>>, PayError> {
    serde_json::to_vec(value)
        .map(Some)
        .map_err(|e| PayError::Internal(format!("json: {e}")))
}

fn check_status(status: reqwest::StatusCode, bytes: &[u8]) -> Result<(), PayError> {
    if status.is_success() {
        return Ok(());
    }
    if status == reqwest::StatusCode::NOT_FOUND {
        return Err(PayError::NotFound);
    }
    if status.is_client_error() {
        let (code, message) = match serde_json::from_slice::<ErrorBody>(bytes) {
            Ok(e) => (e.code, e.message),
            Err(_) => (
                format!("HTTP_{}", status.as_u16()),
                String::from_utf8_lossy(bytes).chars().take(200).collect(),
            ),
        };
        return Err(PayError::Rejected { code, message });
    }
    Err(PayError::Unavailable(format!("unexpected HTTP {status}")))
}

fn mismatch(what: &str) -> PayError {
    PayError::Unavailable(format!("PSP answered about a different {what}"))
}

fn unreadable(e: String) -> PayError {
    PayError::Unavailable(format!("unreadable PSP response: {e}"))
}

#[async_trait::async_trait]
impl PaymentGateway for HttpGateway {
    async fn create(&self, req: &CreatePayment) -> Result<CreatedPayment, PayError> {
        let order = NativeOrder {
            appid: self.cfg.appid.clone(),
            mchid: self.cfg.mchid.clone(),
            description: req.description.clone(),
            out_trade_no: req.out_trade_no.clone(),
            time_expire: req.expire_at_ms.map(to_rfc3339),
            notify_url: req.notify_url.clone(),
            return_url: req.return_url.clone(),
            amount: OrderAmount {
                total: req.amount,
                currency: CNY.to_owned(),
            },
        };
        let created: NativeOrderCreated = self
            .json(
                Method::POST,
                "/v3/pay/transactions/native",
                to_body(&order)?,
            )
            .await?;
        Ok(CreatedPayment {
            prepay_id: created.prepay_id,
            cashier_url: created.code_url,
        })
    }

    async fn query(&self, out_trade_no: &str) -> Result<Transaction, PayError> {
        let path = format!(
            "/v3/pay/transactions/out-trade-no/{}?mchid={}",
            encode_segment(out_trade_no),
            encode_segment(&self.cfg.mchid)
        );
        let body: TransactionBody = self.json(Method::GET, &path, None).await?;
        let t = body.into_transaction().map_err(unreadable)?;
        if t.out_trade_no != out_trade_no || t.mchid != self.cfg.mchid {
            return Err(mismatch("order"));
        }
        Ok(t)
    }

    async fn close(&self, out_trade_no: &str) -> Result<(), PayError> {
        let path = format!(
            "/v3/pay/transactions/out-trade-no/{}/close",
            encode_segment(out_trade_no)
        );
        let body = to_body(&CloseOrder {
            mchid: self.cfg.mchid.clone(),
        })?;
        let (status, bytes) = self.call(Method::POST, &path, body).await?;
        check_status(status, &bytes)
    }

    async fn refund(&self, req: &RefundRequest) -> Result<Refund, PayError> {
        let body = RefundRequestBody {
            out_trade_no: req.out_trade_no.clone(),
            out_refund_no: req.out_refund_no.clone(),
            reason: req.reason.clone(),
            notify_url: req.notify_url.clone(),
            amount: RefundRequestAmount {
                refund: req.refund,
                total: req.total,
                currency: CNY.to_owned(),
            },
        };
        let r: RefundBody = self
            .json(Method::POST, "/v3/refund/domestic/refunds", to_body(&body)?)
            .await?;
        let r = r.into_refund().map_err(unreadable)?;
        if r.out_refund_no != req.out_refund_no {
            return Err(mismatch("refund"));
        }
        Ok(r)
    }

    async fn query_refund(&self, out_refund_no: &str) -> Result<Refund, PayError> {
        let path = format!(
            "/v3/refund/domestic/refunds/{}",
            encode_segment(out_refund_no)
        );
        let r: RefundBody = self.json(Method::GET, &path, None).await?;
        let r = r.into_refund().map_err(unreadable)?;
        if r.out_refund_no != out_refund_no {
            return Err(mismatch("refund"));
        }
        Ok(r)
    }

    async fn transfer(&self, req: &TransferRequest) -> Result<Transfer, PayError> {
        let body = TransferRequestBody {
            appid: self.cfg.appid.clone(),
            mchid: self.cfg.mchid.clone(),
            out_transfer_no: req.out_transfer_no.clone(),
            transfer_amount: req.amount,
            account_kind: req.account_kind,
            account_no: req.account_no.clone(),
            account_name: req.account_name.clone(),
            transfer_remark: req.remark.clone(),
            notify_url: req.notify_url.clone(),
        };
        let t: TransferBody = self
            .json(
                Method::POST,
                "/v3/transfer/single-transfers",
                to_body(&body)?,
            )
            .await?;
        let t = t.into_transfer().map_err(unreadable)?;
        if t.out_transfer_no != req.out_transfer_no {
            return Err(mismatch("transfer"));
        }
        Ok(t)
    }

    async fn query_transfer(&self, out_transfer_no: &str) -> Result<Transfer, PayError> {
        let path = format!(
            "/v3/transfer/single-transfers/out-transfer-no/{}",
            encode_segment(out_transfer_no)
        );
        let t: TransferBody = self.json(Method::GET, &path, None).await?;
        let t = t.into_transfer().map_err(unreadable)?;
        if t.out_transfer_no != out_transfer_no {
            return Err(mismatch("transfer"));
        }
        Ok(t)
    }

    async fn statement(&self, day: &str) -> Result<Vec<StatementLine>, PayError> {
        if !valid_day(day) {
            return Err(PayError::Rejected {
                code: "PARAM_ERROR".into(),
                message: format!("bill_date must be YYYY-MM-DD, got {day:?}"),
            });
        }
        let path = format!("/v3/bill/statement?bill_date={day}");
        let s: StatementBody = self.json(Method::GET, &path, None).await?;
        if s.bill_date != day {
            return Err(mismatch("day"));
        }
        Ok(s.lines)
    }
}
