//! Asynchronous notifications from the PSP: building (sandbox, tests) and verifying (platform).
//!
//! A notification is a JSON body whose `resource` is AES-256-GCM encrypted with the APIv3 key
//! (nonce = the 12 bytes of `resource.nonce`, AAD = `resource.associated_data`), sent with the
//! headers `Wechatpay-Timestamp`, `Wechatpay-Nonce`, `Wechatpay-Signature`, `Wechatpay-Serial`;
//! the signature is SHA256withRSA over `"{timestamp}\n{nonce}\n{body}\n"` by the PSP key.

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use crate::sign::{
    HEADER_NONCE, HEADER_SERIAL, HEADER_SIGNATURE, HEADER_TIMESTAMP, fresh, response_message,
    sign_message, verify_message,
};
use crate::util::{random_alnum, random_hex, to_rfc3339};
use crate::wire::{
    NotificationBody, NotificationResource, RefundBody, TransactionBody, TransferBody,
};
use crate::{Keys, PayError, Refund, Transaction, Transfer};

/// HTTP headers as `(name, value)` pairs.
pub type HeaderPairs = Vec<(String, String)>;

/// The only resource algorithm.
pub const ALGORITHM: &str = "AEAD_AES_256_GCM";

/// Payment succeeded.
pub const TRANSACTION_SUCCESS: &str = "TRANSACTION.SUCCESS";
/// Refund succeeded.
pub const REFUND_SUCCESS: &str = "REFUND.SUCCESS";
/// Refund failed at the bank.
pub const REFUND_ABNORMAL: &str = "REFUND.ABNORMAL";
/// Refund closed.
pub const REFUND_CLOSED: &str = "REFUND.CLOSED";
/// Transfer succeeded.
pub const TRANSFER_SUCCESS: &str = "TRANSFER.SUCCESS";
/// Transfer failed.
pub const TRANSFER_FAIL: &str = "TRANSFER.FAIL";

/// The notification headers as received (empty string = missing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NotificationHeaders<'a> {
    /// `Wechatpay-Timestamp` (unix seconds).
    pub timestamp: &'a str,
    /// `Wechatpay-Nonce`.
    pub nonce: &'a str,
    /// `Wechatpay-Signature`.
    pub signature: &'a str,
    /// `Wechatpay-Serial`.
    pub serial: &'a str,
}

impl<'a> NotificationHeaders<'a> {
    /// Reads the four headers from an HTTP header map (missing or non-ASCII → empty).
    pub fn from_http(headers: &'a axum::http::HeaderMap) -> NotificationHeaders<'a> {
        let get = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
        };
        NotificationHeaders {
            timestamp: get(HEADER_TIMESTAMP),
            nonce: get(HEADER_NONCE),
            signature: get(HEADER_SIGNATURE),
            serial: get(HEADER_SERIAL),
        }
    }

    /// Reads the four headers from `(name, value)` pairs (names compared case-insensitively).
    pub fn from_pairs(pairs: &'a [(String, String)]) -> NotificationHeaders<'a> {
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
                .unwrap_or("")
        };
        NotificationHeaders {
            timestamp: get(HEADER_TIMESTAMP),
            nonce: get(HEADER_NONCE),
            signature: get(HEADER_SIGNATURE),
            serial: get(HEADER_SERIAL),
        }
    }
}

/// The decrypted resource of a notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Notice {
    /// `TRANSACTION.*`.
    Transaction(Transaction),
    /// `REFUND.*`.
    Refund(Refund),
    /// `TRANSFER.*`.
    Transfer(Transfer),
}

/// A notification that passed every check except nonce replay (the caller's job).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedNotification {
    /// Notification id (the same on every retry of one notification).
    pub id: String,
    /// e.g. `TRANSACTION.SUCCESS`.
    pub event_type: String,
    /// `Wechatpay-Nonce`: store it and reject a second use.
    pub nonce: String,
    /// `Wechatpay-Timestamp`.
    pub timestamp_s: i64,
    /// The resource.
    pub notice: Notice,
}

/// Why a notification was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// A required header is missing or empty.
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    /// Signed by a key other than the PSP's current one.
    #[error("unknown Wechatpay-Serial")]
    WrongSerial,
    /// The signature does not match the body.
    #[error("bad signature")]
    BadSignature,
    /// The timestamp is more than 5 minutes from now.
    #[error("stale or future timestamp")]
    Stale,
    /// The body is not a notification.
    #[error("bad notification body: {0}")]
    BadBody(String),
    /// The resource could not be decrypted with the APIv3 key.
    #[error("resource decryption failed")]
    DecryptFailed,
    /// The resource belongs to another merchant.
    #[error("notification for another merchant")]
    WrongMerchant,
}

impl VerifyError {
    /// Stable code for logs and responses.
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::MissingHeader(_) => "missing_header",
            VerifyError::WrongSerial => "wrong_serial",
            VerifyError::BadSignature => "bad_signature",
            VerifyError::Stale => "stale_timestamp",
            VerifyError::BadBody(_) => "bad_body",
            VerifyError::DecryptFailed => "decrypt_failed",
            VerifyError::WrongMerchant => "wrong_merchant",
        }
    }
}

/// AES-256-GCM encryption of a resource; `nonce` must be 12 bytes.
pub(crate) fn encrypt_resource(
    api_v3_key: &[u8; 32],
    associated_data: &str,
    nonce: &str,
    plaintext: &[u8],
) -> Result<NotificationResource, PayError> {
    let nonce_bytes: [u8; 12] = nonce
        .as_bytes()
        .try_into()
        .map_err(|_| PayError::Internal("resource nonce must be 12 bytes".into()))?;
    let cipher = Aes256Gcm::new_from_slice(api_v3_key)
        .map_err(|e| PayError::Internal(format!("aes key: {e}")))?;
    let ct = cipher
        .encrypt(
            &aes_gcm::Nonce::from(nonce_bytes),
            Payload {
                msg: plaintext,
                aad: associated_data.as_bytes(),
            },
        )
        .map_err(|e| PayError::Internal(format!("aes encrypt: {e}")))?;
    Ok(NotificationResource {
        algorithm: ALGORITHM.to_owned(),
        ciphertext: B64.encode(ct),
        associated_data: associated_data.to_owned(),
        original_type: associated_data.to_owned(),
        nonce: nonce.to_owned(),
    })
}

/// Decrypts a resource with the APIv3 key.
pub fn decrypt_resource(
    api_v3_key: &[u8; 32],
    resource: &NotificationResource,
) -> Result<Vec<u8>, VerifyError> {
    if resource.algorithm != ALGORITHM {
        return Err(VerifyError::BadBody(format!(
            "unsupported algorithm {:?}",
            resource.algorithm
        )));
    }
    let nonce: [u8; 12] = resource
        .nonce
        .as_bytes()
        .try_into()
        .map_err(|_| VerifyError::DecryptFailed)?;
    let ct = B64
        .decode(&resource.ciphertext)
        .map_err(|_| VerifyError::DecryptFailed)?;
    let cipher = Aes256Gcm::new_from_slice(api_v3_key).map_err(|_| VerifyError::DecryptFailed)?;
    cipher
        .decrypt(
            &aes_gcm::Nonce::from(nonce),
            Payload {
                msg: &ct,
                aad: resource.associated_data.as_bytes(),
            },
        )
        .map_err(|_| VerifyError::DecryptFailed)
}

/// The AAD / original type of a notice, and its resource JSON.
pub(crate) fn resource_of(notice: &Notice) -> Result<(&'static str, Vec<u8>), PayError> {
    let json = match notice {
        Notice::Transaction(t) => serde_json::to_vec(&TransactionBody::from_transaction(t, "")),
        Notice::Refund(r) => serde_json::to_vec(&RefundBody::from_refund(r, None, None, None)),
        Notice::Transfer(t) => serde_json::to_vec(&TransferBody::from_transfer(t, None)),
    }
    .map_err(|e| PayError::Internal(format!("json: {e}")))?;
    Ok((kind_of(notice), json))
}

fn kind_of(notice: &Notice) -> &'static str {
    match notice {
        Notice::Transaction(_) => "transaction",
        Notice::Refund(_) => "refund",
        Notice::Transfer(_) => "transfer",
    }
}

fn summary_of(event_type: &str) -> &'static str {
    match event_type {
        TRANSACTION_SUCCESS => "支付成功",
        REFUND_SUCCESS => "退款成功",
        REFUND_ABNORMAL => "退款异常",
        REFUND_CLOSED => "退款关闭",
        TRANSFER_SUCCESS => "转账成功",
        TRANSFER_FAIL => "转账失败",
        _ => "通知",
    }
}

/// Builds a notification body: a fresh id and resource nonce, the resource encrypted.
pub(crate) fn notification_body(
    api_v3_key: &[u8; 32],
    event_type: &str,
    kind: &str,
    resource_json: &[u8],
    now_ms: i64,
) -> Result<Vec<u8>, PayError> {
    let resource = encrypt_resource(api_v3_key, kind, &random_alnum(12)?, resource_json)?;
    let body = NotificationBody {
        id: random_hex(16)?,
        create_time: to_rfc3339(now_ms),
        event_type: event_type.to_owned(),
        resource_type: "encrypt-resource".to_owned(),
        summary: summary_of(event_type).to_owned(),
        resource,
    };
    serde_json::to_vec(&body).map_err(|e| PayError::Internal(format!("json: {e}")))
}

/// The four `Wechatpay-*` headers signing `body` with the PSP private key (needs
/// `keys.psp_private`); `now_ms` gives the timestamp, `nonce` the `Wechatpay-Nonce`.
pub fn psp_signature_headers(
    keys: &Keys,
    body: &[u8],
    now_ms: i64,
    nonce: &str,
) -> Result<HeaderPairs, PayError> {
    let psp = keys
        .psp_private
        .as_ref()
        .ok_or_else(|| PayError::Internal("these keys have no PSP private key".into()))?;
    let ts = now_ms.div_euclid(1000).to_string();
    let signature = sign_message(psp, &response_message(&ts, nonce, body))?;
    Ok(vec![
        (HEADER_TIMESTAMP.to_owned(), ts),
        (HEADER_NONCE.to_owned(), nonce.to_owned()),
        (HEADER_SIGNATURE.to_owned(), signature),
        (HEADER_SERIAL.to_owned(), keys.psp_serial.clone()),
    ])
}

/// Builds and signs a notification as the PSP would (needs `keys.psp_private`). Public so
/// tests can forge, duplicate and tamper with notifications. `nonce` is the `Wechatpay-Nonce`.
pub fn sign_notification(
    keys: &Keys,
    event_type: &str,
    notice: &Notice,
    now_ms: i64,
    nonce: &str,
) -> Result<(HeaderPairs, Vec<u8>), PayError> {
    let (kind, json) = resource_of(notice)?;
    let body = notification_body(&keys.api_v3_key, event_type, kind, &json, now_ms)?;
    let headers = psp_signature_headers(keys, &body, now_ms, nonce)?;
    Ok((headers, body))
}

/// Verifies a notification: headers present, serial is the PSP's, signature over the raw body
/// valid under the PSP public key, timestamp within 5 minutes of `now_ms` (wall clock), resource
/// decrypts with the APIv3 key and parses, and it belongs to `mchid`. Nonce replay is left to
/// the caller (store [`VerifiedNotification::nonce`]).
pub fn verify_notification(
    keys: &Keys,
    mchid: &str,
    headers: &NotificationHeaders<'_>,
    body: &[u8],
    now_ms: i64,
) -> Result<VerifiedNotification, VerifyError> {
    let required = [
        (HEADER_TIMESTAMP, headers.timestamp),
        (HEADER_NONCE, headers.nonce),
        (HEADER_SIGNATURE, headers.signature),
        (HEADER_SERIAL, headers.serial),
    ];
    for (name, value) in required {
        if value.trim().is_empty() {
            return Err(VerifyError::MissingHeader(name));
        }
    }
    if headers.serial.trim() != keys.psp_serial {
        return Err(VerifyError::WrongSerial);
    }
    let message = response_message(headers.timestamp, headers.nonce, body);
    if !verify_message(&keys.psp_public, &message, headers.signature) {
        return Err(VerifyError::BadSignature);
    }
    if !fresh(headers.timestamp, now_ms) {
        return Err(VerifyError::Stale);
    }
    let timestamp_s = headers
        .timestamp
        .trim()
        .parse::<i64>()
        .map_err(|_| VerifyError::Stale)?;
    let parsed: NotificationBody =
        serde_json::from_slice(body).map_err(|e| VerifyError::BadBody(e.to_string()))?;
    let plain = decrypt_resource(&keys.api_v3_key, &parsed.resource)?;
    let bad = |e: String| VerifyError::BadBody(format!("resource: {e}"));
    let family = parsed.event_type.split('.').next().unwrap_or("");
    let expected_kind = match family {
        "TRANSACTION" => "transaction",
        "REFUND" => "refund",
        "TRANSFER" => "transfer",
        _ => {
            return Err(VerifyError::BadBody(format!(
                "unknown event type {:?}",
                parsed.event_type
            )));
        }
    };
    if parsed.resource.associated_data != expected_kind {
        return Err(VerifyError::BadBody(format!(
            "{} resource in a {} notification",
            parsed.resource.associated_data, parsed.event_type
        )));
    }
    let (notice, resource_mchid) = match expected_kind {
        "transaction" => {
            let t: TransactionBody =
                serde_json::from_slice(&plain).map_err(|e| bad(e.to_string()))?;
            let t = t.into_transaction().map_err(bad)?;
            let m = Some(t.mchid.clone());
            (Notice::Transaction(t), m)
        }
        "refund" => {
            let r: RefundBody = serde_json::from_slice(&plain).map_err(|e| bad(e.to_string()))?;
            let m = r.mchid.clone();
            (Notice::Refund(r.into_refund().map_err(bad)?), m)
        }
        _ => {
            let t: TransferBody = serde_json::from_slice(&plain).map_err(|e| bad(e.to_string()))?;
            let m = t.mchid.clone();
            (Notice::Transfer(t.into_transfer().map_err(bad)?), m)
        }
    };
    if resource_mchid.is_some_and(|m| m != mchid) {
        return Err(VerifyError::WrongMerchant);
    }
    Ok(VerifiedNotification {
        id: parsed.id,
        event_type: parsed.event_type,
        nonce: headers.nonce.to_owned(),
        timestamp_s,
        notice,
    })
}
