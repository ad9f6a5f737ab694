//! End to end over real HTTP on 127.0.0.1: the sandbox PSP nested under `/sandbox-psp`, the
//! `HttpGateway` client, and a notification receiver that verifies what it gets.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use linli_pay::sandbox::{Sandbox, SandboxConfig};
use linli_pay::sign::Authorization;
use linli_pay::{
    AccountKind, CreatePayment, HttpGateway, Keys, MerchantConfig, Notice, NotificationHeaders,
    PayError, PaymentGateway, RefundRequest, RefundStatus, StatementKind, TradeState,
    TransferRequest, TransferStatus, VerifiedNotification, shanghai_day, verify_notification,
};

const MCHID: &str = "1900000001";
const WAIT: Duration = Duration::from_secs(10);

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    addr
}

/// Records every notification POSTed to it; answers 500 to the first `fail_first` calls.
#[derive(Default)]
struct Receiver {
    fail_first: usize,
    calls: AtomicUsize,
    /// Verified and acknowledged.
    accepted: Mutex<Vec<VerifiedNotification>>,
    /// Ids of verified notifications answered with 500.
    refused_ids: Mutex<Vec<String>>,
    /// Nonces of every verified call.
    nonces: Mutex<Vec<String>>,
    /// Verification failures, by code.
    invalid: Mutex<Vec<String>>,
}

async fn receive(State(rx): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let n = rx.calls.fetch_add(1, Ordering::SeqCst) + 1;
    let keys = Keys::for_tests().merchant_side();
    match verify_notification(
        &keys,
        MCHID,
        &NotificationHeaders::from_http(&headers),
        &body,
        now_ms(),
    ) {
        Ok(v) => {
            rx.nonces.lock().unwrap().push(v.nonce.clone());
            if n <= rx.fail_first {
                rx.refused_ids.lock().unwrap().push(v.id);
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                rx.accepted.lock().unwrap().push(v);
                StatusCode::NO_CONTENT
            }
        }
        Err(e) => {
            rx.invalid.lock().unwrap().push(e.code().to_owned());
            StatusCode::UNAUTHORIZED
        }
    }
}

struct Env {
    sandbox: Arc<Sandbox>,
    gateway: HttpGateway,
    psp_base: String,
    notify_url: String,
    receiver: Arc<Receiver>,
    http: reqwest::Client,
}

impl Env {
    async fn start(fail_first: usize) -> Env {
        let receiver = Arc::new(Receiver {
            fail_first,
            ..Receiver::default()
        });
        let rx_addr = serve(
            Router::new()
                .route("/notify", post(receive))
                .with_state(Arc::clone(&receiver)),
        )
        .await;

        // Bind first so the sandbox knows its public URL.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let psp_base = format!("http://{}/sandbox-psp", listener.local_addr().unwrap());
        let sandbox = Sandbox::new(SandboxConfig {
            retry_base_ms: 20,
            max_attempts: 5,
            settle_delay_ms: 5,
            ..SandboxConfig::new(MCHID, Keys::for_tests(), psp_base.clone())
        });
        let app = Router::new().nest("/sandbox-psp", sandbox.router());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        let gateway = HttpGateway::new(merchant(&psp_base, Keys::for_tests().merchant_side()));
        Env {
            sandbox,
            gateway,
            psp_base,
            notify_url: format!("http://{rx_addr}/notify"),
            receiver,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    fn payment(&self, no: &str, amount: i64) -> CreatePayment {
        CreatePayment {
            out_trade_no: no.into(),
            description: "深度保洁 3 小时".into(),
            amount,
            notify_url: self.notify_url.clone(),
            return_url: None,
            expire_at_ms: Some(now_ms() + 15 * 60_000),
        }
    }

    async fn wait_accepted(&self, n: usize) -> Vec<VerifiedNotification> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let got = self.receiver.accepted.lock().unwrap().clone();
            if got.len() >= n {
                return got;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "only {} of {n} notifications arrived; invalid: {:?}",
                got.len(),
                self.receiver.invalid.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn post_cashier(&self, prepay_id: &str, action: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/cashier/{prepay_id}/{action}", self.psp_base))
            .send()
            .await
            .unwrap()
    }

    async fn paid_order(&self, no: &str, amount: i64) {
        let created = self
            .gateway
            .create(&self.payment(no, amount))
            .await
            .unwrap();
        let t = self.sandbox.pay_now(&created.prepay_id).unwrap();
        assert_eq!(t.trade_state, TradeState::Success);
    }
}

fn merchant(base: &str, keys: Keys) -> MerchantConfig {
    MerchantConfig {
        mchid: MCHID.into(),
        appid: "wxd678efh567hg6787".into(),
        base_url: base.into(),
        keys,
    }
}

#[tokio::test]
async fn pay_through_the_cashier_and_get_a_verified_notification() {
    let env = Env::start(0).await;
    let created = env
        .gateway
        .create(&env.payment("ORD-PAY-1", 12_345))
        .await
        .unwrap();
    assert_eq!(
        created.cashier_url,
        format!("{}/cashier/{}", env.psp_base, created.prepay_id)
    );
    // Creating again with the same parameters is idempotent.
    let again = env
        .gateway
        .create(&env.payment("ORD-PAY-1", 12_345))
        .await
        .unwrap();
    assert_eq!(again.prepay_id, created.prepay_id);
    // … but not with a different amount.
    let err = env
        .gateway
        .create(&env.payment("ORD-PAY-1", 99))
        .await
        .unwrap_err();
    assert!(matches!(err, PayError::Rejected { ref code, .. } if code == "INVALID_REQUEST"));

    let page = env.http.get(&created.cashier_url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("沙箱收银台"));
    assert!(html.contains("¥123.45"), "{html}");
    assert!(html.contains("深度保洁 3 小时"));
    for id in ["id=\"pay\"", "id=\"fail\"", "id=\"cancel\""] {
        assert!(html.contains(id), "missing {id}");
    }

    let before = env.gateway.query("ORD-PAY-1").await.unwrap();
    assert_eq!(before.trade_state, TradeState::NotPay);
    assert_eq!(before.transaction_id, None);
    assert_eq!(before.payer_total, 0);

    let resp = env.post_cashier(&created.prepay_id, "pay").await;
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("支付成功"));

    let got = env.wait_accepted(1).await;
    assert_eq!(got[0].event_type, "TRANSACTION.SUCCESS");
    let Notice::Transaction(t) = &got[0].notice else {
        panic!("expected a transaction, got {:?}", got[0].notice);
    };
    assert_eq!(t.out_trade_no, "ORD-PAY-1");
    assert_eq!(t.amount, 12_345);
    assert_eq!(t.payer_total, 12_345);
    assert_eq!(t.trade_state, TradeState::Success);
    assert_eq!(t.mchid, MCHID);

    let after = env.gateway.query("ORD-PAY-1").await.unwrap();
    assert_eq!(after.trade_state, TradeState::Success);
    assert_eq!(after.transaction_id, t.transaction_id);
    assert!(after.transaction_id.is_some());
    assert_eq!(after.success_time_ms, t.success_time_ms);

    // Paying twice changes nothing and sends nothing.
    let resp = env.post_cashier(&created.prepay_id, "pay").await;
    assert!(resp.text().await.unwrap().contains("订单已支付"));
    assert!(env.sandbox.wait_deliveries(WAIT).await);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(env.sandbox.delivery_log().len(), 1);
    assert_eq!(env.gateway.query("ORD-PAY-1").await.unwrap(), after);

    // A paid order cannot be closed or created again.
    let err = env.gateway.close("ORD-PAY-1").await.unwrap_err();
    assert!(matches!(err, PayError::Rejected { ref code, .. } if code == "ORDERPAID"));
    let err = env
        .gateway
        .create(&env.payment("ORD-PAY-1", 12_345))
        .await
        .unwrap_err();
    assert!(matches!(err, PayError::Rejected { ref code, .. } if code == "ORDERPAID"));
    let page = env.http.get(&created.cashier_url).send().await.unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("订单已支付") && !html.contains("id=\"pay\""));
}

#[tokio::test]
async fn cancel_fail_close_and_expiry() {
    let env = Env::start(0).await;
    let mut req = env.payment("ORD-CLOSE-1", 500);
    req.return_url = Some("http://shop.example/orders/1".into());
    let created = env.gateway.create(&req).await.unwrap();

    let resp = env.post_cashier(&created.prepay_id, "cancel").await;
    assert_eq!(resp.status(), 303);
    assert_eq!(
        resp.headers()["location"].to_str().unwrap(),
        "http://shop.example/orders/1"
    );
    assert_eq!(
        env.gateway.query("ORD-CLOSE-1").await.unwrap().trade_state,
        TradeState::NotPay
    );

    let resp = env.post_cashier(&created.prepay_id, "fail").await;
    assert_eq!(resp.status(), 303);
    assert_eq!(
        env.gateway.query("ORD-CLOSE-1").await.unwrap().trade_state,
        TradeState::PayError
    );

    env.gateway.close("ORD-CLOSE-1").await.unwrap();
    env.gateway.close("ORD-CLOSE-1").await.unwrap(); // closing twice is fine
    assert_eq!(
        env.gateway.query("ORD-CLOSE-1").await.unwrap().trade_state,
        TradeState::Closed
    );
    // Paying a closed order shows an error and changes nothing.
    let resp = env.post_cashier(&created.prepay_id, "pay").await;
    assert_eq!(resp.status(), 409);
    assert!(resp.text().await.unwrap().contains("订单已关闭"));
    assert_eq!(
        env.gateway.query("ORD-CLOSE-1").await.unwrap().trade_state,
        TradeState::Closed
    );
    let html = env
        .http
        .get(&created.cashier_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("订单已关闭") && !html.contains("id=\"pay\""));

    // An expired order cannot be paid either.
    let mut late = env.payment("ORD-EXPIRED-1", 500);
    late.expire_at_ms = Some(now_ms() - 1_000);
    let created = env.gateway.create(&late).await.unwrap();
    let err = env.sandbox.pay_now(&created.prepay_id).unwrap_err();
    assert!(matches!(err, PayError::Rejected { .. }));
    let resp = env.post_cashier(&created.prepay_id, "pay").await;
    assert_eq!(resp.status(), 409);
    assert!(resp.text().await.unwrap().contains("订单已过期"));
    assert_eq!(
        env.gateway
            .query("ORD-EXPIRED-1")
            .await
            .unwrap()
            .trade_state,
        TradeState::NotPay
    );

    // Unknown orders.
    assert_eq!(
        env.gateway.query("NOPE").await.unwrap_err(),
        PayError::NotFound
    );
    assert_eq!(
        env.gateway.close("NOPE").await.unwrap_err(),
        PayError::NotFound
    );
    assert_eq!(
        env.post_cashier("wxunknown", "pay").await.status(),
        StatusCode::NOT_FOUND
    );
    assert!(env.sandbox.wait_deliveries(WAIT).await);
    assert_eq!(env.sandbox.delivery_log().len(), 0);
}

#[tokio::test]
async fn a_refused_notification_is_retried_until_acknowledged() {
    let env = Env::start(2).await;
    env.paid_order("ORD-RETRY-1", 800).await;
    let got = env.wait_accepted(1).await;
    assert_eq!(env.receiver.calls.load(Ordering::SeqCst), 3);
    // The two refused deliveries were the same notification (same id), freshly signed each time.
    let refused = env.receiver.refused_ids.lock().unwrap().clone();
    assert_eq!(refused, vec![got[0].id.clone(), got[0].id.clone()]);
    let nonces = env.receiver.nonces.lock().unwrap().clone();
    assert_eq!(nonces.len(), 3);
    assert!(nonces[0] != nonces[1] && nonces[1] != nonces[2]);
    assert!(env.sandbox.wait_deliveries(WAIT).await);
    let log = env.sandbox.delivery_log();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].attempts, 3);
    assert!(log[0].acknowledged);
    assert_eq!(env.sandbox.deliveries(), 1);
    assert_eq!(env.sandbox.delivery_attempts(), 3);
    assert!(env.receiver.invalid.lock().unwrap().is_empty());
}

#[tokio::test]
async fn delivery_gives_up_after_max_attempts() {
    let env = Env::start(usize::MAX).await;
    env.paid_order("ORD-GIVEUP-1", 800).await;
    assert!(env.sandbox.wait_deliveries(WAIT).await);
    let log = env.sandbox.delivery_log();
    assert_eq!(log[0].attempts, 5);
    assert!(log[0].gave_up && !log[0].acknowledged);
    assert_eq!(env.receiver.calls.load(Ordering::SeqCst), 5);
}

#[tokio::test]
async fn full_and_partial_refunds() {
    let env = Env::start(0).await;
    env.paid_order("ORD-REF-1", 10_000).await;
    let refund = |no: &str, amount: i64| RefundRequest {
        out_trade_no: "ORD-REF-1".into(),
        out_refund_no: no.into(),
        refund: amount,
        total: 10_000,
        reason: "服务取消".into(),
        notify_url: env.notify_url.clone(),
    };

    let r1 = env.gateway.refund(&refund("RF-1", 3_000)).await.unwrap();
    assert_eq!(r1.refund, 3_000);
    assert_eq!(r1.out_trade_no, "ORD-REF-1");
    // Idempotent on out_refund_no …
    let r1_again = env.gateway.refund(&refund("RF-1", 3_000)).await.unwrap();
    assert_eq!(r1_again.refund_id, r1.refund_id);
    // … and a reused number with another amount is refused.
    let err = env.gateway.refund(&refund("RF-1", 100)).await.unwrap_err();
    assert!(matches!(err, PayError::Rejected { ref code, .. } if code == "INVALID_REQUEST"));

    let err = env
        .gateway
        .refund(&refund("RF-2", 8_000))
        .await
        .unwrap_err();
    assert!(matches!(err, PayError::Rejected { ref code, .. } if code == "NOT_ENOUGH"));
    let err = env.gateway.refund(&refund("RF-3", 0)).await.unwrap_err();
    assert!(matches!(err, PayError::Rejected { ref code, .. } if code == "INVALID_REQUEST"));
    let mut wrong_total = refund("RF-4", 100);
    wrong_total.total = 9_999;
    let err = env.gateway.refund(&wrong_total).await.unwrap_err();
    assert!(matches!(err, PayError::Rejected { ref code, .. } if code == "INVALID_REQUEST"));
    let mut unknown = refund("RF-5", 100);
    unknown.out_trade_no = "NOPE".into();
    assert_eq!(
        env.gateway.refund(&unknown).await.unwrap_err(),
        PayError::NotFound
    );

    // The rest refunds fully; then nothing is left.
    let r2 = env.gateway.refund(&refund("RF-6", 7_000)).await.unwrap();
    let err = env.gateway.refund(&refund("RF-7", 1)).await.unwrap_err();
    assert!(matches!(err, PayError::Rejected { ref code, .. } if code == "NOT_ENOUGH"));

    // A payment notification, then one REFUND.SUCCESS per refund.
    let got = env.wait_accepted(3).await;
    let mut refunds: Vec<_> = got
        .iter()
        .filter(|n| n.event_type == "REFUND.SUCCESS")
        .map(|n| match &n.notice {
            Notice::Refund(r) => (r.out_refund_no.clone(), r.refund, r.status),
            other => panic!("expected a refund, got {other:?}"),
        })
        .collect();
    refunds.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        refunds,
        vec![
            ("RF-1".to_owned(), 3_000, RefundStatus::Success),
            ("RF-6".to_owned(), 7_000, RefundStatus::Success),
        ]
    );
    let q = env.gateway.query_refund("RF-6").await.unwrap();
    assert_eq!(q.status, RefundStatus::Success);
    assert_eq!(q.refund_id, r2.refund_id);
    assert!(q.success_time_ms.is_some());
    assert_eq!(
        env.gateway.query("ORD-REF-1").await.unwrap().trade_state,
        TradeState::Refund
    );
    assert_eq!(
        env.gateway.query_refund("RF-NOPE").await.unwrap_err(),
        PayError::NotFound
    );

    // An unpaid order cannot be refunded.
    env.gateway
        .create(&env.payment("ORD-REF-UNPAID", 500))
        .await
        .unwrap();
    let mut unpaid = refund("RF-8", 100);
    unpaid.out_trade_no = "ORD-REF-UNPAID".into();
    unpaid.total = 500;
    let err = env.gateway.refund(&unpaid).await.unwrap_err();
    assert!(matches!(err, PayError::Rejected { ref code, .. } if code == "INVALID_REQUEST"));
}

#[tokio::test]
async fn transfers_succeed_or_fail_by_the_0000_rule() {
    let env = Env::start(0).await;
    let transfer = |no: &str, account: &str| TransferRequest {
        out_transfer_no: no.into(),
        amount: 25_000,
        account_kind: AccountKind::BankCard,
        account_no: account.into(),
        account_name: "张师傅".into(),
        remark: "服务收入提现".into(),
        notify_url: env.notify_url.clone(),
    };
    let ok = env
        .gateway
        .transfer(&transfer("TR-OK-1", "6222020200001234"))
        .await
        .unwrap();
    assert_eq!(ok.amount, 25_000);
    let bad = env
        .gateway
        .transfer(&transfer("TR-BAD-1", "6222020200000000"))
        .await
        .unwrap();
    let again = env
        .gateway
        .transfer(&transfer("TR-OK-1", "6222020200001234"))
        .await
        .unwrap();
    assert_eq!(again.transfer_id, ok.transfer_id);
    let err = env
        .gateway
        .transfer(&transfer("TR-OK-1", "6222020200009999"))
        .await
        .unwrap_err();
    assert!(matches!(err, PayError::Rejected { ref code, .. } if code == "INVALID_REQUEST"));

    let got = env.wait_accepted(2).await;
    let mut events: Vec<_> = got
        .iter()
        .map(|n| match &n.notice {
            Notice::Transfer(t) => (n.event_type.clone(), t.out_transfer_no.clone(), t.status),
            other => panic!("expected a transfer, got {other:?}"),
        })
        .collect();
    events.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(
        events,
        vec![
            (
                "TRANSFER.FAIL".to_owned(),
                "TR-BAD-1".to_owned(),
                TransferStatus::Failed
            ),
            (
                "TRANSFER.SUCCESS".to_owned(),
                "TR-OK-1".to_owned(),
                TransferStatus::Success
            ),
        ]
    );
    let q = env.gateway.query_transfer("TR-BAD-1").await.unwrap();
    assert_eq!(q.status, TransferStatus::Failed);
    assert_eq!(q.fail_reason.as_deref(), Some("ACCOUNT_NOT_EXIST"));
    assert_eq!(q.transfer_id, bad.transfer_id);
    let q = env.gateway.query_transfer("TR-OK-1").await.unwrap();
    assert_eq!(q.status, TransferStatus::Success);
    assert_eq!(
        env.gateway.query_transfer("TR-NOPE").await.unwrap_err(),
        PayError::NotFound
    );
}

#[tokio::test]
async fn statement_lists_the_days_payments_refunds_and_transfers() {
    let env = Env::start(0).await;
    env.paid_order("ORD-ST-1", 6_000).await;
    env.gateway
        .create(&env.payment("ORD-ST-UNPAID", 100))
        .await
        .unwrap();
    env.gateway
        .refund(&RefundRequest {
            out_trade_no: "ORD-ST-1".into(),
            out_refund_no: "RF-ST-1".into(),
            refund: 1_000,
            total: 6_000,
            reason: "部分退款".into(),
            notify_url: env.notify_url.clone(),
        })
        .await
        .unwrap();
    for (no, account) in [
        ("TR-ST-1", "6222020200001234"),
        ("TR-ST-2", "6222020200000000"),
    ] {
        env.gateway
            .transfer(&TransferRequest {
                out_transfer_no: no.into(),
                amount: 2_000,
                account_kind: AccountKind::Alipay,
                account_no: account.into(),
                account_name: "李四".into(),
                remark: "提现".into(),
                notify_url: env.notify_url.clone(),
            })
            .await
            .unwrap();
    }
    env.wait_accepted(4).await;

    let day = shanghai_day(now_ms());
    let lines = env.gateway.statement(&day).await.unwrap();
    let mut summary: Vec<_> = lines
        .iter()
        .map(|l| (l.kind, l.our_ref.clone(), l.amount, l.out_trade_no.clone()))
        .collect();
    summary.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(
        summary,
        vec![
            (
                StatementKind::Payment,
                "ORD-ST-1".to_owned(),
                6_000,
                Some("ORD-ST-1".to_owned())
            ),
            (
                StatementKind::Refund,
                "RF-ST-1".to_owned(),
                1_000,
                Some("ORD-ST-1".to_owned())
            ),
            (StatementKind::Transfer, "TR-ST-1".to_owned(), 2_000, None),
        ]
    );
    let payment = env.gateway.query("ORD-ST-1").await.unwrap();
    let line = lines
        .iter()
        .find(|l| l.kind == StatementKind::Payment)
        .unwrap();
    assert_eq!(Some(line.psp_ref.clone()), payment.transaction_id);
    assert_eq!(Some(line.at_ms), payment.success_time_ms);
    assert!(lines.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));

    assert!(
        env.gateway
            .statement("2000-01-01")
            .await
            .unwrap()
            .is_empty()
    );
    let err = env.gateway.statement("yesterday").await.unwrap_err();
    assert!(matches!(err, PayError::Rejected { ref code, .. } if code == "PARAM_ERROR"));
}

#[tokio::test]
async fn bad_merchant_signatures_get_401_sign_error() {
    let env = Env::start(0).await;

    // The client signs with a key the PSP does not know for this serial.
    let impostor_keys = Keys {
        merchant_private: Keys::foreign_test_key(),
        ..Keys::for_tests().merchant_side()
    };
    let impostor = HttpGateway::new(merchant(&env.psp_base, impostor_keys));
    let err = impostor
        .create(&env.payment("ORD-SIG-1", 100))
        .await
        .unwrap_err();
    assert!(
        matches!(err, PayError::Rejected { ref code, .. } if code == "SIGN_ERROR"),
        "{err:?}"
    );
    assert_eq!(env.sandbox.transaction("ORD-SIG-1"), None);

    // No Authorization at all: 401 with a v3 error body, and the answer is still PSP-signed.
    let url = format!(
        "{}/v3/pay/transactions/out-trade-no/X?mchid={MCHID}",
        env.psp_base
    );
    let resp = env.http.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    assert!(resp.headers().contains_key("wechatpay-signature"));
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "SIGN_ERROR");

    // A correctly signed request is accepted once; replaying the same header is refused.
    let keys = Keys::for_tests();
    let path = format!("/sandbox-psp/v3/pay/transactions/out-trade-no/X?mchid={MCHID}");
    let auth = Authorization::sign(
        &keys.merchant_private,
        MCHID,
        &keys.merchant_serial,
        "GET",
        &path,
        now_ms() / 1000,
        "replayed-nonce-0001",
        b"",
    )
    .unwrap();
    let send = || {
        env.http
            .get(&url)
            .header("Authorization", auth.header_value())
            .send()
    };
    assert_eq!(send().await.unwrap().status(), 404); // authenticated; the order does not exist
    assert_eq!(send().await.unwrap().status(), 401);

    // A signature over another path does not authorise this one.
    let other = Authorization::sign(
        &keys.merchant_private,
        MCHID,
        &keys.merchant_serial,
        "GET",
        "/sandbox-psp/v3/pay/transactions/out-trade-no/Y?mchid=1900000001",
        now_ms() / 1000,
        "other-nonce-0001",
        b"",
    )
    .unwrap();
    let resp = env
        .http
        .get(&url)
        .header("Authorization", other.header_value())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn the_client_rejects_responses_not_signed_by_the_psp() {
    let env = Env::start(0).await;
    // The merchant believes in another PSP key (same serial): every answer fails verification.
    let keys = Keys {
        psp_public: Keys::foreign_test_key().to_public_key(),
        ..Keys::for_tests().merchant_side()
    };
    let gw = HttpGateway::new(merchant(&env.psp_base, keys));
    let err = gw
        .create(&env.payment("ORD-RSIG-1", 100))
        .await
        .unwrap_err();
    assert!(matches!(err, PayError::BadSignature(_)), "{err:?}");

    // A server that answers without signatures at all.
    let plain = serve(Router::new().route(
        "/v3/pay/transactions/native",
        post(|| async { r#"{"prepay_id":"wx1","code_url":"http://evil/"}"# }),
    ))
    .await;
    let gw = HttpGateway::new(merchant(
        &format!("http://{plain}"),
        Keys::for_tests().merchant_side(),
    ));
    let err = gw
        .create(&env.payment("ORD-RSIG-2", 100))
        .await
        .unwrap_err();
    assert!(matches!(err, PayError::BadSignature(_)), "{err:?}");
}

#[tokio::test]
async fn an_unreachable_psp_is_unavailable() {
    // Bind and drop to get a port nobody listens on.
    let addr = {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap()
    };
    let gw = HttpGateway::new(merchant(
        &format!("http://{addr}"),
        Keys::for_tests().merchant_side(),
    ));
    let err = gw.query("ORD-1").await.unwrap_err();
    assert!(matches!(err, PayError::Unavailable(_)), "{err:?}");

    // 5xx is unavailable too, signed or not.
    let failing = serve(Router::new().route(
        "/v3/pay/transactions/native",
        post(|| async { (StatusCode::BAD_GATEWAY, "upstream down") }),
    ))
    .await;
    let gw = HttpGateway::new(merchant(
        &format!("http://{failing}"),
        Keys::for_tests().merchant_side(),
    ));
    let err = gw
        .create(&CreatePayment {
            out_trade_no: "X".into(),
            description: "d".into(),
            amount: 1,
            notify_url: "http://127.0.0.1:9/n".into(),
            return_url: None,
            expire_at_ms: None,
        })
        .await
        .unwrap_err();
    assert!(matches!(err, PayError::Unavailable(_)), "{err:?}");
}
