//! "SHA256withRSA" signatures as WeChat Pay API v3 uses them.
//!
//! - request message: `"{METHOD}\n{path_with_query}\n{timestamp}\n{nonce}\n{body}\n"`;
//! - response / notification message: `"{timestamp}\n{nonce}\n{body}\n"`;
//! - signature: base64(RSASSA-PKCS1-v1_5 over SHA-256); timestamps are unix seconds.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use rsa::{PrivateKey, PublicKey};
use sha2::Sha256;

use crate::PayError;

/// Scheme of the merchant's `Authorization` header.
pub const AUTH_SCHEME: &str = "WECHATPAY2-SHA256-RSA2048";
/// Response / notification header: unix seconds.
pub const HEADER_TIMESTAMP: &str = "Wechatpay-Timestamp";
/// Response / notification header: random string.
pub const HEADER_NONCE: &str = "Wechatpay-Nonce";
/// Response / notification header: base64 signature.
pub const HEADER_SIGNATURE: &str = "Wechatpay-Signature";
/// Response / notification header: serial of the PSP key that signed.
pub const HEADER_SERIAL: &str = "Wechatpay-Serial";
/// How far a signed timestamp may be from now, either way.
pub const MAX_CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;

/// The message a merchant signs for a request.
pub fn request_message(
    method: &str,
    path_with_query: &str,
    timestamp_s: &str,
    nonce: &str,
    body: &[u8],
) -> Vec<u8> {
    let mut m = Vec::with_capacity(body.len() + 128);
    for part in [
        method.as_bytes(),
        path_with_query.as_bytes(),
        timestamp_s.as_bytes(),
        nonce.as_bytes(),
        body,
    ] {
        m.extend_from_slice(part);
        m.push(b'\n');
    }
    m
}

/// The message the PSP signs for a response or notification.
pub fn response_message(timestamp_s: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(body.len() + 64);
    for part in [timestamp_s.as_bytes(), nonce.as_bytes(), body] {
        m.extend_from_slice(part);
        m.push(b'\n');
    }
    m
}

/// base64(SHA256withRSA(message)).
pub fn sign_message(key: &PrivateKey, message: &[u8]) -> Result<String, PayError> {
    key.pkcs1v15_sign::<Sha256>(message)
        .map(|sig| B64.encode(sig))
        .map_err(|e| PayError::Internal(format!("rsa sign: {e}")))
}

/// Whether `signature_b64` is a valid SHA256withRSA signature of `message` under `key`.
pub fn verify_message(key: &PublicKey, message: &[u8], signature_b64: &str) -> bool {
    match B64.decode(signature_b64.trim()) {
        Ok(sig) => key.pkcs1v15_verify::<Sha256>(message, &sig).is_ok(),
        Err(_) => false,
    }
}

/// Whether a unix-seconds timestamp string is within [`MAX_CLOCK_SKEW_MS`] of `now_ms`.
pub fn fresh(timestamp_s: &str, now_ms: i64) -> bool {
    match timestamp_s.trim().parse::<i64>() {
        Ok(ts) => ts
            .checked_mul(1000)
            .is_some_and(|ts_ms| (ts_ms - now_ms).abs() <= MAX_CLOCK_SKEW_MS),
        Err(_) => false,
    }
}

/// The parts of a merchant `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// Merchant id.
    pub mchid: String,
    /// Random string, unique per request.
    pub nonce_str: String,
    /// base64 signature of the request message.
    pub signature: String,
    /// Unix seconds.
    pub timestamp: String,
    /// Serial of the merchant key.
    pub serial_no: String,
}

impl Authorization {
    /// Signs a request and returns the header parts.
    #[allow(clippy::too_many_arguments)]
    pub fn sign(
        key: &PrivateKey,
        mchid: &str,
        serial_no: &str,
        method: &str,
        path_with_query: &str,
        timestamp_s: i64,
        nonce: &str,
        body: &[u8],
    ) -> Result<Authorization, PayError> {
        let timestamp = timestamp_s.to_string();
        let msg = request_message(method, path_with_query, &timestamp, nonce, body);
        Ok(Authorization {
            mchid: mchid.to_owned(),
            nonce_str: nonce.to_owned(),
            signature: sign_message(key, &msg)?,
            timestamp,
            serial_no: serial_no.to_owned(),
        })
    }

    /// The header value.
    pub fn header_value(&self) -> String {
        format!(
            r#"{AUTH_SCHEME} mchid="{}",nonce_str="{}",signature="{}",timestamp="{}",serial_no="{}""#,
            self.mchid, self.nonce_str, self.signature, self.timestamp, self.serial_no
        )
    }

    /// Parses a header value; `None` if the scheme or a field is missing.
    pub fn parse(value: &str) -> Option<Authorization> {
        let rest = value.trim().strip_prefix(AUTH_SCHEME)?;
        if !rest.starts_with(' ') {
            return None;
        }
        let (mut mchid, mut nonce, mut sig, mut ts, mut serial) = (None, None, None, None, None);
        for pair in rest.split(',') {
            let (k, v) = pair.trim().split_once('=')?;
            let v = v.trim().strip_prefix('"')?.strip_suffix('"')?.to_owned();
            match k.trim() {
                "mchid" => mchid = Some(v),
                "nonce_str" => nonce = Some(v),
                "signature" => sig = Some(v),
                "timestamp" => ts = Some(v),
                "serial_no" => serial = Some(v),
                _ => {}
            }
        }
        Some(Authorization {
            mchid: mchid?,
            nonce_str: nonce?,
            signature: sig?,
            timestamp: ts?,
            serial_no: serial?,
        })
    }

    /// Whether the signature is valid for this request under `key`.
    pub fn verify(
        &self,
        key: &PublicKey,
        method: &str,
        path_with_query: &str,
        body: &[u8],
    ) -> bool {
        let msg = request_message(
            method,
            path_with_query,
            &self.timestamp,
            &self.nonce_str,
            body,
        );
        verify_message(key, &msg, &self.signature)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::Keys;

    #[test]
    fn authorization_round_trip_and_tamper() {
        let k = Keys::for_tests();
        let a = Authorization::sign(
            &k.merchant_private,
            "1900000001",
            &k.merchant_serial,
            "POST",
            "/v3/pay/transactions/native",
            1_700_000_000,
            "NONCE123",
            b"{\"a\":1}",
        )
        .unwrap();
        let parsed = Authorization::parse(&a.header_value()).unwrap();
        assert_eq!(parsed, a);
        let public = k.merchant_public();
        assert!(parsed.verify(&public, "POST", "/v3/pay/transactions/native", b"{\"a\":1}"));
        assert!(!parsed.verify(&public, "POST", "/v3/pay/transactions/native", b"{\"a\":2}"));
        assert!(!parsed.verify(&public, "GET", "/v3/pay/transactions/native", b"{\"a\":1}"));
        assert!(!parsed.verify(
            &k.psp_public,
            "POST",
            "/v3/pay/transactions/native",
            b"{\"a\":1}"
        ));
        assert!(Authorization::parse("Bearer x").is_none());
        assert!(Authorization::parse(r#"WECHATPAY2-SHA256-RSA2048 mchid="1""#).is_none());
    }

    #[test]
    fn freshness_window() {
        let now = 1_700_000_000_000;
        assert!(fresh("1700000000", now));
        assert!(fresh("1700000299", now));
        assert!(!fresh("1700000360", now));
        assert!(!fresh("1699999640", now));
        assert!(!fresh("abc", now));
    }
}
