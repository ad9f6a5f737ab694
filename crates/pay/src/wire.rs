//! JSON shapes on the wire, modelled on WeChat Pay API v3, and their conversions to the
//! crate's types. Times are RFC 3339 in +08:00; amounts are integer 分 with `currency: "CNY"`.

use serde::{Deserialize, Serialize};

use crate::util::{from_rfc3339, to_rfc3339};
use crate::{
    AccountKind, Fen, Refund, RefundStatus, StatementLine, TradeState, Transaction, Transfer,
    TransferStatus,
};

/// The only currency.
pub const CNY: &str = "CNY";

fn cny() -> String {
    CNY.to_owned()
}

fn native() -> String {
    "NATIVE".to_owned()
}

/// v3 error body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable code, e.g. `PARAM_ERROR`, `SIGN_ERROR`, `ORDERPAID`, `NOT_ENOUGH`.
    pub code: String,
    /// Explanation.
    pub message: String,
}

/// `amount` of an order request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderAmount {
    /// Total, 分.
    pub total: Fen,
    /// Always `CNY`.
    #[serde(default = "cny")]
    pub currency: String,
}

/// `POST /v3/pay/transactions/native` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NativeOrder {
    /// App id of the merchant.
    pub appid: String,
    /// Merchant id.
    pub mchid: String,
    /// Shown to the payer.
    pub description: String,
    /// Merchant's order number.
    pub out_trade_no: String,
    /// Expiry, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_expire: Option<String>,
    /// Notification URL.
    pub notify_url: String,
    /// Sandbox extension: where the cashier sends the browser afterwards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    /// Amount.
    pub amount: OrderAmount,
}

/// `POST /v3/pay/transactions/native` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NativeOrderCreated {
    /// The PSP's handle.
    pub prepay_id: String,
    /// URL the payer opens (the sandbox cashier page).
    pub code_url: String,
}

/// `POST …/close` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloseOrder {
    /// Merchant id.
    pub mchid: String,
}

/// `amount` of a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionAmount {
    /// Order total, 分.
    pub total: Fen,
    /// What the payer paid (absent until paid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_total: Option<Fen>,
    /// Always `CNY`.
    #[serde(default = "cny")]
    pub currency: String,
    /// Always `CNY`.
    #[serde(default = "cny")]
    pub payer_currency: String,
}

/// A transaction (query response and `TRANSACTION.*` notification resource).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionBody {
    /// App id.
    #[serde(default)]
    pub appid: String,
    /// Merchant id.
    pub mchid: String,
    /// Merchant's order number.
    pub out_trade_no: String,
    /// PSP id (once paid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// Always `NATIVE`.
    #[serde(default = "native")]
    pub trade_type: String,
    /// State.
    pub trade_state: TradeState,
    /// State in words.
    #[serde(default)]
    pub trade_state_desc: String,
    /// When paid, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_time: Option<String>,
    /// Amount.
    pub amount: TransactionAmount,
}

impl TransactionBody {
    /// The wire shape of a transaction.
    pub fn from_transaction(t: &Transaction, appid: &str) -> TransactionBody {
        let paid = t.transaction_id.is_some() || t.trade_state.is_paid();
        TransactionBody {
            appid: appid.to_owned(),
            mchid: t.mchid.clone(),
            out_trade_no: t.out_trade_no.clone(),
            transaction_id: t.transaction_id.clone(),
            trade_type: native(),
            trade_state: t.trade_state,
            trade_state_desc: trade_state_desc(t.trade_state).to_owned(),
            success_time: t.success_time_ms.map(to_rfc3339),
            amount: TransactionAmount {
                total: t.amount,
                payer_total: paid.then_some(t.payer_total),
                currency: cny(),
                payer_currency: cny(),
            },
        }
    }

    /// The crate's view of it.
    pub fn into_transaction(self) -> Result<Transaction, String> {
        Ok(Transaction {
            mchid: self.mchid,
            out_trade_no: self.out_trade_no,
            transaction_id: self.transaction_id,
            trade_state: self.trade_state,
            amount: self.amount.total,
            payer_total: self.amount.payer_total.unwrap_or(0),
            success_time_ms: parse_time(self.success_time.as_deref())?,
        })
    }
}

fn trade_state_desc(s: TradeState) -> &'static str {
    match s {
        TradeState::NotPay => "未支付",
        TradeState::Success => "支付成功",
        TradeState::Closed => "已关闭",
        TradeState::PayError => "支付失败",
        TradeState::Refund => "转入退款",
    }
}

fn parse_time(s: Option<&str>) -> Result<Option<i64>, String> {
    match s {
        None => Ok(None),
        Some(s) => from_rfc3339(s)
            .map(Some)
            .ok_or_else(|| format!("bad time {s:?}")),
    }
}

/// `amount` of a refund request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRequestAmount {
    /// Amount to refund, 分.
    pub refund: Fen,
    /// Original order total, 分.
    pub total: Fen,
    /// Always `CNY`.
    #[serde(default = "cny")]
    pub currency: String,
}

/// `POST /v3/refund/domestic/refunds` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRequestBody {
    /// The paid order.
    pub out_trade_no: String,
    /// Merchant's refund number.
    pub out_refund_no: String,
    /// Reason.
    #[serde(default)]
    pub reason: String,
    /// Notification URL.
    pub notify_url: String,
    /// Amounts.
    pub amount: RefundRequestAmount,
}

/// `amount` of a refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundAmount {
    /// Order total, 分 (absent when unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<Fen>,
    /// Refunded, 分.
    pub refund: Fen,
    /// What the payer gets back, 分.
    #[serde(default)]
    pub payer_refund: Fen,
    /// Always `CNY`.
    #[serde(default = "cny")]
    pub currency: String,
}

/// A refund (response and `REFUND.*` notification resource).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundBody {
    /// Merchant id (present in notifications).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mchid: Option<String>,
    /// PSP refund id.
    pub refund_id: String,
    /// Merchant's refund number.
    pub out_refund_no: String,
    /// PSP id of the refunded payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// The refunded order.
    pub out_trade_no: String,
    /// Always `ORIGINAL` (back to where the money came from).
    #[serde(default)]
    pub channel: String,
    /// Where the money goes, in words.
    #[serde(default)]
    pub user_received_account: String,
    /// When settled, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_time: Option<String>,
    /// State (`refund_status` in v3 notifications).
    #[serde(alias = "refund_status")]
    pub status: RefundStatus,
    /// Amounts.
    pub amount: RefundAmount,
}

impl RefundBody {
    /// The wire shape of a refund.
    pub fn from_refund(
        r: &Refund,
        mchid: Option<&str>,
        total: Option<Fen>,
        transaction_id: Option<&str>,
    ) -> RefundBody {
        RefundBody {
            mchid: mchid.map(str::to_owned),
            refund_id: r.refund_id.clone(),
            out_refund_no: r.out_refund_no.clone(),
            transaction_id: transaction_id.map(str::to_owned),
            out_trade_no: r.out_trade_no.clone(),
            channel: "ORIGINAL".to_owned(),
            user_received_account: "支付用户零钱".to_owned(),
            success_time: r.success_time_ms.map(to_rfc3339),
            status: r.status,
            amount: RefundAmount {
                total,
                refund: r.refund,
                payer_refund: r.refund,
                currency: cny(),
            },
        }
    }

    /// The crate's view of it.
    pub fn into_refund(self) -> Result<Refund, String> {
        Ok(Refund {
            out_refund_no: self.out_refund_no,
            refund_id: self.refund_id,
            out_trade_no: self.out_trade_no,
            refund: self.amount.refund,
            status: self.status,
            success_time_ms: parse_time(self.success_time.as_deref())?,
        })
    }
}

/// Single-transfer request (`POST /v3/transfer/single-transfers`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferRequestBody {
    /// App id.
    pub appid: String,
    /// Merchant id.
    pub mchid: String,
    /// Merchant's transfer number.
    pub out_transfer_no: String,
    /// Amount, 分.
    pub transfer_amount: Fen,
    /// Receiving account kind.
    pub account_kind: AccountKind,
    /// Receiving account number.
    pub account_no: String,
    /// Account holder's name.
    pub account_name: String,
    /// Remark.
    #[serde(default)]
    pub transfer_remark: String,
    /// Notification URL.
    pub notify_url: String,
}

/// A transfer (response and `TRANSFER.*` notification resource).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferBody {
    /// Merchant id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mchid: Option<String>,
    /// Merchant's transfer number.
    pub out_transfer_no: String,
    /// PSP transfer id.
    pub transfer_id: String,
    /// Amount, 分.
    pub transfer_amount: Fen,
    /// State.
    pub state: TransferStatus,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_reason: Option<String>,
    /// When it settled, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_time: Option<String>,
}

impl TransferBody {
    /// The wire shape of a transfer.
    pub fn from_transfer(t: &Transfer, mchid: Option<&str>) -> TransferBody {
        TransferBody {
            mchid: mchid.map(str::to_owned),
            out_transfer_no: t.out_transfer_no.clone(),
            transfer_id: t.transfer_id.clone(),
            transfer_amount: t.amount,
            state: t.status,
            fail_reason: t.fail_reason.clone(),
            update_time: t.success_time_ms.map(to_rfc3339),
        }
    }

    /// The crate's view of it.
    pub fn into_transfer(self) -> Result<Transfer, String> {
        Ok(Transfer {
            out_transfer_no: self.out_transfer_no,
            transfer_id: self.transfer_id,
            amount: self.transfer_amount,
            status: self.state,
            fail_reason: self.fail_reason,
            success_time_ms: parse_time(self.update_time.as_deref())?,
        })
    }
}

/// `GET /v3/bill/statement?bill_date=…` response (a JSON statement instead of v3's CSV bill).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementBody {
    /// The day, `YYYY-MM-DD` (Asia/Shanghai).
    pub bill_date: String,
    /// The lines, by time.
    pub lines: Vec<StatementLine>,
}

/// `resource` of a notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationResource {
    /// Always `AEAD_AES_256_GCM`.
    pub algorithm: String,
    /// base64(AES-256-GCM ciphertext ‖ tag).
    pub ciphertext: String,
    /// `transaction` / `refund` / `transfer` (the AAD).
    #[serde(default)]
    pub associated_data: String,
    /// Same as `associated_data`.
    #[serde(default)]
    pub original_type: String,
    /// 12-character nonce (its bytes are the GCM nonce).
    pub nonce: String,
}

/// A notification body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationBody {
    /// Notification id (the same on every retry).
    pub id: String,
    /// RFC 3339.
    pub create_time: String,
    /// e.g. `TRANSACTION.SUCCESS`.
    pub event_type: String,
    /// Always `encrypt-resource`.
    pub resource_type: String,
    /// In words.
    #[serde(default)]
    pub summary: String,
    /// The encrypted resource.
    pub resource: NotificationResource,
}

/// What a notification receiver answers (v3: 200/204; a body is optional).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationAck {
    /// `SUCCESS` or `FAIL`.
    pub code: String,
    /// Explanation.
    pub message: String,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn transaction_round_trips_and_accepts_v3_state_spelling() {
        let t = Transaction {
            mchid: "1900000001".into(),
            out_trade_no: "T1".into(),
            transaction_id: Some("4200001".into()),
            trade_state: TradeState::Success,
            amount: 12_345,
            payer_total: 12_345,
            success_time_ms: Some(1_714_494_600_000),
        };
        let json = serde_json::to_value(TransactionBody::from_transaction(&t, "wx1")).unwrap();
        assert_eq!(json["amount"]["total"], 12_345);
        assert_eq!(json["amount"]["currency"], "CNY");
        assert_eq!(json["success_time"], "2024-05-01T00:30:00+08:00");
        assert_eq!(json["trade_state"], "SUCCESS");
        let back: TransactionBody = serde_json::from_value(json).unwrap();
        assert_eq!(back.into_transaction().unwrap(), t);

        let unpaid: TransactionBody = serde_json::from_str(
            r#"{"mchid":"1","out_trade_no":"T2","trade_state":"NOTPAY","amount":{"total":5}}"#,
        )
        .unwrap();
        let unpaid = unpaid.into_transaction().unwrap();
        assert_eq!(unpaid.trade_state, TradeState::NotPay);
        assert_eq!(unpaid.payer_total, 0);
    }

    #[test]
    fn refund_accepts_refund_status_alias() {
        let r: RefundBody = serde_json::from_str(
            r#"{"refund_id":"R","out_refund_no":"OR","out_trade_no":"T","refund_status":"SUCCESS",
                "success_time":"2024-05-01T00:30:00+08:00","amount":{"refund":100,"total":200}}"#,
        )
        .unwrap();
        let r = r.into_refund().unwrap();
        assert_eq!(r.status, RefundStatus::Success);
        assert_eq!(r.refund, 100);
        assert_eq!(r.success_time_ms, Some(1_714_494_600_000));
    }
}
