//! Notification signing and verification: the round trip, and every way a forged, tampered,
//! replayed-late or foreign notification is refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use linli_pay::notify::psp_signature_headers;
use linli_pay::wire::NotificationBody;
use linli_pay::{
    Keys, Notice, NotificationHeaders, Refund, RefundStatus, TradeState, Transaction, Transfer,
    TransferStatus, VerifyError, sign_notification, verify_notification,
};

const MCHID: &str = "1900000001";
const NOW: i64 = 1_714_494_600_000; // 2024-05-01T00:30:00+08:00
const MINUTE: i64 = 60_000;

fn paid() -> Transaction {
    Transaction {
        mchid: MCHID.into(),
        out_trade_no: "ORD20240501001".into(),
        transaction_id: Some("4200000000000000000000000001".into()),
        trade_state: TradeState::Success,
        amount: 12_345,
        payer_total: 12_345,
        success_time_ms: Some(NOW - 2_000),
    }
}

fn verify(
    keys: &Keys,
    headers: &[(String, String)],
    body: &[u8],
    now: i64,
) -> Result<linli_pay::VerifiedNotification, VerifyError> {
    verify_notification(
        keys,
        MCHID,
        &NotificationHeaders::from_pairs(headers),
        body,
        now,
    )
}

fn set_header(headers: &mut [(String, String)], name: &str, value: &str) {
    for (k, v) in headers.iter_mut() {
        if k.eq_ignore_ascii_case(name) {
            *v = value.to_owned();
        }
    }
}

#[test]
fn round_trip_for_every_kind_of_notice() {
    let keys = Keys::for_tests();
    let merchant = keys.merchant_side();
    let notices = [
        ("TRANSACTION.SUCCESS", Notice::Transaction(paid())),
        (
            "REFUND.SUCCESS",
            Notice::Refund(Refund {
                out_refund_no: "RF1".into(),
                refund_id: "5000001".into(),
                out_trade_no: "ORD20240501001".into(),
                refund: 345,
                status: RefundStatus::Success,
                success_time_ms: Some(NOW - 1_000),
            }),
        ),
        (
            "TRANSFER.FAIL",
            Notice::Transfer(Transfer {
                out_transfer_no: "TR1".into(),
                transfer_id: "1330001".into(),
                amount: 5_000,
                status: TransferStatus::Failed,
                fail_reason: Some("ACCOUNT_NOT_EXIST".into()),
                success_time_ms: Some(NOW - 1_000),
            }),
        ),
    ];
    for (event, notice) in notices {
        let (headers, body) = sign_notification(&keys, event, &notice, NOW, "nonceABC").unwrap();
        let v = verify(&merchant, &headers, &body, NOW + 1_000).unwrap();
        assert_eq!(v.event_type, event);
        assert_eq!(v.notice, notice);
        assert_eq!(v.nonce, "nonceABC");
        assert_eq!(v.timestamp_s, NOW / 1000);
        // The resource travels encrypted: the order number is not readable in the body.
        let text = String::from_utf8(body.clone()).unwrap();
        assert!(!text.contains("ORD20240501001") && !text.contains("TR1\""));
        let parsed: NotificationBody = serde_json::from_slice(&body).unwrap();
        assert_eq!(parsed.resource.algorithm, "AEAD_AES_256_GCM");
        assert_eq!(parsed.resource.nonce.len(), 12);
        assert_eq!(parsed.resource_type, "encrypt-resource");
    }
}

#[test]
fn signed_with_another_key_is_rejected() {
    let keys = Keys::for_tests();
    let forger = Keys {
        psp_private: Some(Keys::foreign_test_key()),
        ..keys.clone()
    };
    let (headers, body) = sign_notification(
        &forger,
        "TRANSACTION.SUCCESS",
        &Notice::Transaction(paid()),
        NOW,
        "n1",
    )
    .unwrap();
    let err = verify(&keys, &headers, &body, NOW).unwrap_err();
    assert_eq!(err, VerifyError::BadSignature);
    assert_eq!(err.code(), "bad_signature");
}

#[test]
fn any_changed_body_byte_is_rejected() {
    let keys = Keys::for_tests();
    let (headers, body) = sign_notification(
        &keys,
        "TRANSACTION.SUCCESS",
        &Notice::Transaction(paid()),
        NOW,
        "n1",
    )
    .unwrap();
    assert!(verify(&keys, &headers, &body, NOW).is_ok());
    // Swap one character of the ciphertext (where the amount is), then one of the event type.
    let text = String::from_utf8(body.clone()).unwrap();
    let at = text.find("\"ciphertext\":\"").unwrap() + 20;
    let mut tampered = body.clone();
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    assert_eq!(
        verify(&keys, &headers, &tampered, NOW).unwrap_err(),
        VerifyError::BadSignature
    );
    let upgraded = text.replace("TRANSACTION.SUCCESS", "TRANSACTION.SUCCESz");
    assert_eq!(
        verify(&keys, &headers, upgraded.as_bytes(), NOW).unwrap_err(),
        VerifyError::BadSignature
    );
    // A different timestamp header with the old signature fails too.
    let mut later = headers.clone();
    set_header(
        &mut later,
        "Wechatpay-Timestamp",
        &((NOW / 1000) + 1).to_string(),
    );
    assert_eq!(
        verify(&keys, &later, &body, NOW).unwrap_err(),
        VerifyError::BadSignature
    );
}

#[test]
fn stale_and_future_timestamps_are_rejected() {
    let keys = Keys::for_tests();
    let notice = Notice::Transaction(paid());
    let (old_h, old_b) = sign_notification(
        &keys,
        "TRANSACTION.SUCCESS",
        &notice,
        NOW - 6 * MINUTE,
        "n1",
    )
    .unwrap();
    let err = verify(&keys, &old_h, &old_b, NOW).unwrap_err();
    assert_eq!(err, VerifyError::Stale);
    assert_eq!(err.code(), "stale_timestamp");
    let (new_h, new_b) = sign_notification(
        &keys,
        "TRANSACTION.SUCCESS",
        &notice,
        NOW + 6 * MINUTE,
        "n2",
    )
    .unwrap();
    assert_eq!(
        verify(&keys, &new_h, &new_b, NOW).unwrap_err(),
        VerifyError::Stale
    );
    // Within five minutes either way is fine.
    let (h, b) = sign_notification(
        &keys,
        "TRANSACTION.SUCCESS",
        &notice,
        NOW - 4 * MINUTE,
        "n3",
    )
    .unwrap();
    assert!(verify(&keys, &h, &b, NOW).is_ok());
    let (h, b) = sign_notification(
        &keys,
        "TRANSACTION.SUCCESS",
        &notice,
        NOW + 4 * MINUTE,
        "n4",
    )
    .unwrap();
    assert!(verify(&keys, &h, &b, NOW).is_ok());
}

#[test]
fn wrong_serial_and_missing_headers_are_rejected() {
    let keys = Keys::for_tests();
    let (headers, body) = sign_notification(
        &keys,
        "TRANSACTION.SUCCESS",
        &Notice::Transaction(paid()),
        NOW,
        "n1",
    )
    .unwrap();
    let mut wrong = headers.clone();
    set_header(&mut wrong, "Wechatpay-Serial", &keys.merchant_serial);
    let err = verify(&keys, &wrong, &body, NOW).unwrap_err();
    assert_eq!(err, VerifyError::WrongSerial);
    assert_eq!(err.code(), "wrong_serial");

    let without: Vec<_> = headers
        .iter()
        .filter(|(k, _)| k != "Wechatpay-Signature")
        .cloned()
        .collect();
    let err = verify(&keys, &without, &body, NOW).unwrap_err();
    assert_eq!(err, VerifyError::MissingHeader("Wechatpay-Signature"));
    assert_eq!(err.code(), "missing_header");
    assert_eq!(
        verify(&keys, &[], &body, NOW).unwrap_err(),
        VerifyError::MissingHeader("Wechatpay-Timestamp")
    );
}

#[test]
fn bad_ciphertext_or_wrong_api_key_fails_decryption() {
    let keys = Keys::for_tests();
    let (_, body) = sign_notification(
        &keys,
        "TRANSACTION.SUCCESS",
        &Notice::Transaction(paid()),
        NOW,
        "n1",
    )
    .unwrap();
    // A correctly signed body whose ciphertext was altered (e.g. by a buggy PSP).
    let mut parsed: NotificationBody = serde_json::from_slice(&body).unwrap();
    let mut ct = B64.decode(&parsed.resource.ciphertext).unwrap();
    ct[3] ^= 0x01;
    parsed.resource.ciphertext = B64.encode(ct);
    let forged = serde_json::to_vec(&parsed).unwrap();
    let headers = psp_signature_headers(&keys, &forged, NOW, "n2").unwrap();
    let err = verify(&keys, &headers, &forged, NOW).unwrap_err();
    assert_eq!(err, VerifyError::DecryptFailed);
    assert_eq!(err.code(), "decrypt_failed");

    // The untouched notification under a different APIv3 key.
    let headers = psp_signature_headers(&keys, &body, NOW, "n3").unwrap();
    let other = Keys {
        api_v3_key: [7u8; 32],
        ..keys.clone()
    };
    assert_eq!(
        verify(&other, &headers, &body, NOW).unwrap_err(),
        VerifyError::DecryptFailed
    );

    // Garbage that is signed is a bad body, not a crash.
    let headers = psp_signature_headers(&keys, b"not json", NOW, "n4").unwrap();
    let err = verify(&keys, &headers, b"not json", NOW).unwrap_err();
    assert!(matches!(err, VerifyError::BadBody(_)));
    assert_eq!(err.code(), "bad_body");
}

#[test]
fn resource_kind_must_match_the_event_type() {
    let keys = Keys::for_tests();
    let (_, body) = sign_notification(
        &keys,
        "TRANSACTION.SUCCESS",
        &Notice::Transaction(paid()),
        NOW,
        "n1",
    )
    .unwrap();
    let mut parsed: NotificationBody = serde_json::from_slice(&body).unwrap();
    parsed.event_type = "REFUND.SUCCESS".into();
    let forged = serde_json::to_vec(&parsed).unwrap();
    let headers = psp_signature_headers(&keys, &forged, NOW, "n2").unwrap();
    assert!(matches!(
        verify(&keys, &headers, &forged, NOW).unwrap_err(),
        VerifyError::BadBody(_)
    ));
}

#[test]
fn another_merchants_transaction_is_rejected() {
    let keys = Keys::for_tests();
    let theirs = Transaction {
        mchid: "1900000999".into(),
        ..paid()
    };
    let (headers, body) = sign_notification(
        &keys,
        "TRANSACTION.SUCCESS",
        &Notice::Transaction(theirs),
        NOW,
        "n1",
    )
    .unwrap();
    let err = verify(&keys, &headers, &body, NOW).unwrap_err();
    assert_eq!(err, VerifyError::WrongMerchant);
    assert_eq!(err.code(), "wrong_merchant");
}

#[test]
fn signing_needs_the_psp_private_key() {
    let merchant = Keys::for_tests().merchant_side();
    assert!(
        sign_notification(
            &merchant,
            "TRANSACTION.SUCCESS",
            &Notice::Transaction(paid()),
            NOW,
            "n1"
        )
        .is_err()
    );
}
