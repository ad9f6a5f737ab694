//! Money over HTTP on SQLite and PostgreSQL: payment notifications are verified before they
//! change anything (forged, stale, garbage and replayed ones are refused with 400), the pay
//! API honours `Idempotency-Key`, a paid order goes through start, complete and confirm to the
//! provider's earnings, and withdrawals refuse what they must.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod common;

use axum::{
    body::Body,
    http::{Request, StatusCode},
};
use common::{Reply, TestApp};
use linli_app::{jobs::JobRunner, money::SANDBOX_MCHID};
use linli_domain::time::{Clock, DAY_MS, Day, MINUTE_MS};
use linli_pay::{Keys, Notice, TradeState, Transaction};
use linli_testkit::{TestDb, backend_test};
use serde_json::{Value, json};

/// Notification headers as `(name, value)` pairs.
type Headers = Vec<(String, String)>;

struct Setup {
    customer: String,
    provider: String,
    listing: String,
    address: String,
    day: String,
}

/// Demo data, a customer with an address the demo provider serves, the provider's shortest
/// listing, and hours on a working day two days ahead.
async fn setup(t: &TestApp) -> Setup {
    linli_app::seed::seed_demo(&t.app).await.unwrap();
    let pw = linli_app::seed::DEMO_PASSWORD;
    let customer = t.login(linli_app::seed::DEMO_CUSTOMERS[0].0, pw).await;
    let provider = t.login(linli_app::seed::DEMO_PROVIDER_PHONE, pw).await;
    let user = t
        .app
        .store
        .user_by_phone(linli_app::seed::DEMO_PROVIDER_PHONE)
        .await
        .unwrap()
        .unwrap();
    let p = t
        .app
        .store
        .provider_by_user(user.id)
        .await
        .unwrap()
        .unwrap();
    let district = t
        .app
        .store
        .service_areas(p.id)
        .await
        .unwrap()
        .iter()
        .find_map(|a| a.districts.first().cloned())
        .unwrap();
    let r = t
        .json(
            "POST",
            "/api/v1/me/addresses",
            Some(&customer),
            json!({"district_code": district, "detail": "幸福路 8 号", "contact_name": "王小明", "contact_phone": "13912345678"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let address = r.json()["id"].as_str().unwrap().to_owned();
    let mine = t
        .get("/api/v1/provider/listings", Some(&provider))
        .await
        .json();
    let listing = mine
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["status"] == "published")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = t
        .json(
            "PUT",
            "/api/v1/provider/schedule",
            Some(&provider),
            json!({"weekly": ["08:00-22:00","08:00-22:00","08:00-22:00","08:00-22:00","08:00-22:00","08:00-22:00",""],
                   "exceptions": "", "capacity": 1, "min_notice_min": 120, "horizon_days": 14, "buffer_min": 0}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut day = Day::of(t.clock.now()).plus_days(2);
    while day.weekday_index() == 6 {
        day = day.plus_days(1);
    }
    Setup {
        customer,
        provider,
        listing,
        address,
        day: day.to_string(),
    }
}

/// Places an order at 10:00 on the setup day; returns its JSON.
async fn place(t: &TestApp, s: &Setup) -> Value {
    let r = t
        .json(
            "POST",
            "/api/v1/orders",
            Some(&s.customer),
            json!({"listing": s.listing, "address": s.address, "date": s.day, "time": "10:00"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()
}

async fn post_keyed(t: &TestApp, path: &str, token: &str, key: &str, body: &str) -> Reply {
    let req = Request::post(path)
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .header("idempotency-key", key)
        .body(Body::from(body.to_owned()))
        .unwrap();
    t.send(req).await
}

async fn start_payment(t: &TestApp, s: &Setup, id: &str) -> Value {
    let r = t
        .json(
            "POST",
            &format!("/api/v1/orders/{id}/pay"),
            Some(&s.customer),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

fn wall_ms() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

/// What the provider reports when the payer has paid `amount` for `out_trade_no` at `at_ms`
/// (the business clock, as the sandbox reports it).
fn paid_at(out_trade_no: &str, amount: i64, at_ms: i64) -> Notice {
    Notice::Transaction(Transaction {
        mchid: SANDBOX_MCHID.into(),
        out_trade_no: out_trade_no.into(),
        transaction_id: Some("4200000000000000000000000001".into()),
        trade_state: TradeState::Success,
        amount,
        payer_total: amount,
        success_time_ms: Some(at_ms),
    })
}

/// Posts a notification as the provider would.
async fn notify(t: &TestApp, headers: &[(String, String)], body: Vec<u8>) -> Reply {
    let mut b = Request::post("/api/v1/pay/notify").header("content-type", "application/json");
    for (k, v) in headers {
        b = b.header(k.as_str(), v.as_str());
    }
    t.send(b.body(Body::from(body)).unwrap()).await
}

fn signed(notice: &Notice, at_ms: i64, nonce: &str) -> (Vec<(String, String)>, Vec<u8>) {
    linli_pay::sign_notification(
        &Keys::for_tests(),
        "TRANSACTION.SUCCESS",
        notice,
        at_ms,
        nonce,
    )
    .unwrap()
}

async fn status(t: &TestApp, token: &str, id: &str) -> String {
    t.get(&format!("/api/v1/orders/{id}"), Some(token))
        .await
        .json()["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

backend_test!(
    forged_stale_garbage_and_replayed_notifications_are_refused_and_change_nothing,
    |db: TestDb| async move {
        let t = TestApp::with_sandbox_payments(db).await;
        let s = setup(&t).await;
        let o = place(&t, &s).await;
        let id = o["id"].as_str().unwrap();
        let total = o["quote"]["total_fen"].as_i64().unwrap();
        let start = start_payment(&t, &s, id).await;
        let no = start["out_trade_no"].as_str().unwrap();
        let now = wall_ms();

        // Signed by a key that is not the provider's (under the provider's serial).
        let keys = Keys::for_tests();
        let foreign = Keys::from_parts(
            keys.merchant_private.clone(),
            Keys::foreign_test_key(),
            keys.api_v3_key,
        );
        let (mut forged_h, forged_b) = linli_pay::sign_notification(
            &foreign,
            "TRANSACTION.SUCCESS",
            &paid_at(no, total, t.clock.now().0),
            now,
            "nonce-forged",
        )
        .unwrap();
        for (k, v) in &mut forged_h {
            if k.eq_ignore_ascii_case("wechatpay-serial") {
                v.clone_from(&keys.psp_serial);
            }
        }
        // Genuine headers over a body changed afterwards.
        let (tampered_h, tampered_b) =
            signed(&paid_at(no, total, t.clock.now().0), now, "nonce-tampered");
        let tampered_b = String::from_utf8(tampered_b)
            .unwrap()
            .replacen("TRANSACTION.SUCCESS", "TRANSACTION.SUCCESX", 1)
            .into_bytes();
        // Genuine but ten minutes old.
        let (stale_h, stale_b) = signed(
            &paid_at(no, total, t.clock.now().0),
            now - 10 * 60_000,
            "nonce-stale",
        );
        // Genuinely signed garbage, and garbage with no headers at all.
        let garbage = b"{not json".to_vec();
        let garbage_h =
            linli_pay::notify::psp_signature_headers(&keys, &garbage, now, "nonce-garbage")
                .unwrap();
        // Genuine, for a payment nobody started, and for the right payment at a wrong amount.
        let (unknown_h, unknown_b) = signed(
            &paid_at("0".repeat(32).as_str(), total, t.clock.now().0),
            now,
            "nonce-unknown",
        );
        let (cheap_h, cheap_b) = signed(&paid_at(no, 1, t.clock.now().0), now, "nonce-cheap");

        let cases: Vec<(&str, Headers, Vec<u8>, &str)> = vec![
            ("forged signature", forged_h, forged_b, "bad_signature"),
            ("tampered body", tampered_h, tampered_b, "bad_signature"),
            ("stale timestamp", stale_h, stale_b, "stale_timestamp"),
            ("signed garbage", garbage_h, garbage.clone(), "bad_body"),
            ("no headers", Vec::new(), garbage, "missing_header"),
            ("unknown payment", unknown_h, unknown_b, "unknown_order"),
            ("wrong amount", cheap_h, cheap_b, "amount_mismatch"),
        ];
        for (what, headers, body, code) in cases {
            let r = notify(&t, &headers, body).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{what}: {}", r.body);
            assert_eq!(r.code(), code, "{what}");
            assert_eq!(
                status(&t, &s.customer, id).await,
                "pending_payment",
                "{what}"
            );
        }
        let payment = t.app.store.payment(no).await.unwrap().unwrap();
        assert_eq!(payment.status, "pending");
        assert_eq!(
            t.app.trial_balance_unchecked().await.unwrap().lines.len(),
            0,
            "no entry was written"
        );

        // The genuine notification is applied once; its replay is refused.
        let (h, b) = signed(&paid_at(no, total, t.clock.now().0), now, "nonce-genuine");
        let r = notify(&t, &h, b.clone()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json(), json!({"code": "SUCCESS", "message": "成功"}));
        let after = t
            .get(&format!("/api/v1/orders/{id}"), Some(&s.customer))
            .await
            .json();
        assert!(
            ["awaiting_acceptance", "accepted"].contains(&after["status"].as_str().unwrap()),
            "{after}"
        );
        assert!(
            after["timeline"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["action"] == "paid")
        );
        let r = notify(&t, &h, b).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        assert_eq!(r.code(), "replayed_nonce");
        // A fresh retry of the same payment changes nothing more.
        let (h, b) = signed(&paid_at(no, total, t.clock.now().0), now, "nonce-retry");
        assert_eq!(notify(&t, &h, b).await.status, StatusCode::OK);
        let tb = t.app.trial_balance_unchecked().await.unwrap();
        assert_eq!(tb.total_fen, 0);
        let escrow: i64 = tb
            .lines
            .iter()
            .filter(|l| l.account.starts_with("escrow:"))
            .map(|l| l.balance_fen)
            .sum();
        assert_eq!(escrow, -total, "captured once into escrow");
    }
);

backend_test!(
    the_pay_api_honours_an_idempotency_key_and_reuses_the_pending_payment,
    |db: TestDb| async move {
        let t = TestApp::with_sandbox_payments(db).await;
        let s = setup(&t).await;
        let o = place(&t, &s).await;
        let id = o["id"].as_str().unwrap();
        let path = format!("/api/v1/orders/{id}/pay");
        let first = post_keyed(&t, &path, &s.customer, "pay-1", "{}").await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.body);
        let start = first.json();
        assert_eq!(start["amount"], o["quote"]["total"]);
        assert!(
            start["cashier_url"].as_str().unwrap().contains("/cashier/"),
            "{start}"
        );
        let again = post_keyed(&t, &path, &s.customer, "pay-1", "{}").await;
        assert_eq!(again.json(), start, "the first answer, again");
        assert_eq!(again.headers.get("idempotent-replayed").unwrap(), "true");
        // Without the key the pending payment is reused, not doubled.
        let plain = start_payment(&t, &s, id).await;
        assert_eq!(plain["out_trade_no"], start["out_trade_no"]);
        let order_id: linli_domain::ids::OrderId = id.parse().unwrap();
        assert_eq!(t.app.store.order_payments(order_id).await.unwrap().len(), 1);
        // An amount sent by the client is refused, and nothing is created.
        let r = t
            .json("POST", &path, Some(&s.customer), json!({"amount": 1}))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(t.app.store.order_payments(order_id).await.unwrap().len(), 1);
        // The same key for another order is refused.
        let other = place_at(&t, &s, "13:00").await;
        let r = post_keyed(
            &t,
            &format!("/api/v1/orders/{other}/pay"),
            &s.customer,
            "pay-1",
            "{}",
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.code(), "idempotency_key_reused");

        // Somebody else's order is not found; a paid one cannot be paid again.
        let stranger = t.register("13922220000").await;
        let r = t.json("POST", &path, Some(&stranger), json!({})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
        t.app.mark_paid(order_id).await.unwrap();
        let r = t.json("POST", &path, Some(&s.customer), json!({})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.code(), "invalid_transition");
    }
);

backend_test!(
    cancelling_with_an_idempotency_key_refunds_once_and_replays_the_answer,
    |db: TestDb| async move {
        let t = TestApp::with_sandbox_payments(db).await;
        let s = setup(&t).await;
        let o = place(&t, &s).await;
        let id = o["id"].as_str().unwrap();
        let order_id: linli_domain::ids::OrderId = id.parse().unwrap();
        t.app.mark_paid(order_id).await.unwrap();
        let path = format!("/api/v1/orders/{id}/cancel");
        let body = r#"{"reason":"改期"}"#;
        let first = post_keyed(&t, &path, &s.customer, "cancel-1", body).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.body);
        assert_eq!(first.json()["status"], "cancelled");
        let again = post_keyed(&t, &path, &s.customer, "cancel-1", body).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.body);
        assert_eq!(again.headers.get("idempotent-replayed").unwrap(), "true");
        assert_eq!(t.app.store.order_refunds(order_id).await.unwrap().len(), 1);
        // Without the key, a second cancel is refused and refunds nothing more.
        let r = t
            .json(
                "POST",
                &path,
                Some(&s.customer),
                json!({"reason": "再取消"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(t.app.store.order_refunds(order_id).await.unwrap().len(), 1);
        // A malformed body under a key is a clear 4xx.
        let r = post_keyed(&t, &path, &s.customer, "cancel-2", "{nope").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    }
);

/// Fresh tokens after the clock moved past their lifetime.
async fn relogin(t: &TestApp, s: &mut Setup) {
    let pw = linli_app::seed::DEMO_PASSWORD;
    s.customer = t.login(linli_app::seed::DEMO_CUSTOMERS[0].0, pw).await;
    s.provider = t.login(linli_app::seed::DEMO_PROVIDER_PHONE, pw).await;
}

async fn place_at(t: &TestApp, s: &Setup, time: &str) -> String {
    let r = t
        .json(
            "POST",
            "/api/v1/orders",
            Some(&s.customer),
            json!({"listing": s.listing, "address": s.address, "date": s.day, "time": time}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["id"].as_str().unwrap().to_owned()
}

backend_test!(
    a_paid_order_is_started_completed_confirmed_settled_and_withdrawn,
    |db: TestDb| async move {
        let t = TestApp::with_sandbox_payments(db).await;
        let mut s = setup(&t).await;
        let o = place(&t, &s).await;
        let id = o["id"].as_str().unwrap();
        let total = o["quote"]["total_fen"].as_i64().unwrap();
        let start = start_payment(&t, &s, id).await;
        let (h, b) = signed(
            &paid_at(
                start["out_trade_no"].as_str().unwrap(),
                total,
                t.clock.now().0,
            ),
            wall_ms(),
            "nonce-journey",
        );
        assert_eq!(notify(&t, &h, b).await.status, StatusCode::OK);
        if status(&t, &s.customer, id).await == "awaiting_acceptance" {
            let r = t
                .json(
                    "POST",
                    &format!("/api/v1/provider/orders/{id}/accept"),
                    Some(&s.provider),
                    json!({}),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        }
        let act = async |s: &Setup, who: &str, what: &str| {
            let (token, path) = match who {
                "provider" => (&s.provider, format!("/api/v1/provider/orders/{id}/{what}")),
                _ => (&s.customer, format!("/api/v1/orders/{id}/{what}")),
            };
            t.json("POST", &path, Some(token), json!({})).await
        };
        // Too early to start (more than an hour before); the customer cannot start it.
        let r = act(&s, "provider", "start").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let r = act(&s, "customer", "confirm").await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "not completed yet: {}",
            r.body
        );
        let start_ms = o["start_ms"].as_i64().unwrap();
        t.clock
            .advance_ms(start_ms - 30 * MINUTE_MS - t.clock.now().0);
        relogin(&t, &mut s).await;
        let r = t.check_in(id, &s.provider).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["status"], "in_service");
        t.work_visit(id, &s.provider, &s.customer).await;
        assert!(
            r.json()["actions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a == "complete")
        );
        let r = act(&s, "provider", "complete").await;
        assert_eq!(r.json()["status"], "completed", "{}", r.body);
        let seen = t
            .get(&format!("/api/v1/orders/{id}"), Some(&s.customer))
            .await
            .json();
        assert!(
            seen["actions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a == "confirm"),
            "{seen}"
        );
        let r = act(&s, "customer", "confirm").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["status"], "confirmed");

        // Released to pending; available after the settlement delay (a job).
        let e = t
            .get("/api/v1/provider/earnings", Some(&s.provider))
            .await
            .json();
        let share = e["pending_fen"].as_i64().unwrap();
        assert!(share > 0 && share < total, "{e}");
        assert_eq!(e["available_fen"], 0);
        t.clock.advance_ms(DAY_MS + MINUTE_MS);
        JobRunner::new(t.app.clone()).run_due().await.unwrap();
        relogin(&t, &mut s).await;
        let e = t
            .get("/api/v1/provider/earnings", Some(&s.provider))
            .await
            .json();
        assert_eq!(
            (
                e["pending_fen"].as_i64().unwrap(),
                e["available_fen"].as_i64().unwrap()
            ),
            (0, share),
            "{e}"
        );
        let kinds: Vec<&str> = e["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["kind"].as_str().unwrap())
            .collect();
        assert!(
            kinds.contains(&"release") && kinds.contains(&"settle"),
            "{kinds:?}"
        );

        // The dashboard counts the order and the income.
        let d = t.get("/api/v1/provider/dashboard", Some(&s.provider)).await;
        assert_eq!(d.status, StatusCode::OK, "{}", d.body);
        let d = d.json();
        assert_eq!(d["days"].as_array().unwrap().len(), 30);
        assert_eq!(d["total_orders"], 1, "{d}");
        assert_eq!(d["total_income_fen"].as_i64().unwrap(), share, "{d}");
        assert_eq!(d["top_by_income"][0]["listing_id"], s.listing);

        // Withdraw all of it, twice with one key: one withdrawal.
        let r = t
            .json("PUT", "/api/v1/provider/payout-account", Some(&s.provider),
                json!({"kind": "bank_card", "account_no": "6222 0202 0202 0202", "holder_name": "张阿姨"}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["payout_account"], "银行卡 ****0202 张阿姨");
        let amount = linli_domain::money::Money::from_fen(share).yuan_string();
        let body = json!({ "amount": amount }).to_string();
        let first = post_keyed(
            &t,
            "/api/v1/provider/withdrawals",
            &s.provider,
            "w-1",
            &body,
        )
        .await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
        assert_eq!(first.json()["status"], "requested");
        let again = post_keyed(
            &t,
            "/api/v1/provider/withdrawals",
            &s.provider,
            "w-1",
            &body,
        )
        .await;
        assert_eq!(again.status, StatusCode::CREATED);
        assert_eq!(again.json()["id"], first.json()["id"]);
        let e = t
            .get("/api/v1/provider/earnings", Some(&s.provider))
            .await
            .json();
        assert_eq!(
            (
                e["available_fen"].as_i64().unwrap(),
                e["withdrawing_fen"].as_i64().unwrap()
            ),
            (0, share),
            "{e}"
        );
        assert_eq!(e["withdrawals"].as_array().unwrap().len(), 1);
        let r = post_keyed(
            &t,
            "/api/v1/provider/withdrawals",
            &s.provider,
            "w-2",
            &body,
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.code(), "insufficient_balance");
        assert_eq!(t.app.trial_balance_unchecked().await.unwrap().total_fen, 0);
    }
);

backend_test!(
    withdrawals_refuse_without_an_account_above_the_balance_and_bad_input,
    |db: TestDb| async move {
        let t = TestApp::with_sandbox_payments(db).await;
        let s = setup(&t).await;
        let w = |body: &'static str| {
            let t = &t;
            let token = s.provider.clone();
            async move {
                let req = Request::post("/api/v1/provider/withdrawals")
                    .header("content-type", "application/json")
                    .header("authorization", format!("Bearer {token}"))
                    .body(Body::from(body))
                    .unwrap();
                t.send(req).await
            }
        };
        let r = w(r#"{"amount": "50"}"#).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (StatusCode::CONFLICT, "no_payout_account"),
            "{}",
            r.body
        );
        let r = t
            .json(
                "PUT",
                "/api/v1/provider/payout-account",
                Some(&s.provider),
                json!({"kind": "cash", "account_no": "6222020202020202", "holder_name": "张阿姨"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let r = t
            .json(
                "PUT",
                "/api/v1/provider/payout-account",
                Some(&s.provider),
                json!({"kind": "alipay", "account_no": "13600000001", "holder_name": "张阿姨"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let cases: [(&str, StatusCode, &str); 6] = [
            (
                r#"{"amount": "50"}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "insufficient_balance",
            ),
            (
                r#"{"amount": "1"}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_value",
            ),
            (r#"{"amount": "-5"}"#, StatusCode::UNPROCESSABLE_ENTITY, ""),
            (
                r#"{"amount": "50", "fee": "0"}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
            ),
            (
                r#"{"amount" "50"}"#,
                StatusCode::BAD_REQUEST,
                "malformed_json",
            ),
            ("[]", StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
        ];
        for (body, want, code) in cases {
            let r = w(body).await;
            assert_eq!(r.status, want, "{body}: {}", r.body);
            if !code.is_empty() {
                assert_eq!(r.code(), code, "{body}");
            }
        }
        let e = t
            .get("/api/v1/provider/earnings", Some(&s.provider))
            .await
            .json();
        assert_eq!(
            e["withdrawals"].as_array().unwrap().len(),
            0,
            "nothing was requested"
        );
        assert_eq!(e["payout_account"], "支付宝 ****0001 张阿姨");
        // A customer is not a provider.
        let r = t.get("/api/v1/provider/earnings", Some(&s.customer)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let r = t.get("/api/v1/provider/earnings", None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
);

backend_test!(
    without_a_payment_provider_paying_answers_503_and_no_pay_button_is_offered,
    |db: TestDb| async move {
        let t = TestApp::new(db).await;
        let s = setup(&t).await;
        let o = place(&t, &s).await;
        let id = o["id"].as_str().unwrap();
        assert!(
            !o["actions"].as_array().unwrap().iter().any(|a| a == "pay"),
            "{o}"
        );
        let r = t
            .json(
                "POST",
                &format!("/api/v1/orders/{id}/pay"),
                Some(&s.customer),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
        assert_eq!(r.code(), "payments_unavailable");
        let r = notify(&t, &[], b"{}".to_vec()).await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    }
);

backend_test!(
    the_order_page_sends_the_payer_to_the_cashier_and_the_provider_page_shows_the_money,
    |db: TestDb| async move {
        let t = TestApp::with_sandbox_payments(db).await;
        let s = setup(&t).await;
        let o = place(&t, &s).await;
        let id = o["id"].as_str().unwrap();
        let mut b = common::Browser::new(&t);
        b.login(
            linli_app::seed::DEMO_CUSTOMERS[0].0,
            linli_app::seed::DEMO_PASSWORD,
        )
        .await;
        let page = b.get(&format!("/orders/{id}")).await;
        assert!(page.body.contains("id=\"order-pay\""), "pay button shown");
        let csrf = b.csrf(&format!("/orders/{id}")).await;
        let r = b
            .post_form(&format!("/orders/{id}/pay"), &[("_csrf", &csrf)])
            .await;
        // The loopback sandbox is another host: the page links to the cashier.
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("id=\"cashier-link\""), "{}", r.body);
        assert!(r.body.contains("/cashier/"));
        assert!(r.body.contains(o["quote"]["total"].as_str().unwrap()));

        let mut pro = common::Browser::new(&t);
        pro.login(
            linli_app::seed::DEMO_PROVIDER_PHONE,
            linli_app::seed::DEMO_PASSWORD,
        )
        .await;
        let page = pro.get("/pro/earnings").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        for id in [
            "earnings-pending",
            "earnings-available",
            "earnings-withdrawing",
            "earnings-withdrawn",
            "chart-orders",
            "chart-income",
            "withdraw-rules",
        ] {
            assert!(
                page.body.contains(&format!("id=\"{id}\"")),
                "{id} on the page"
            );
        }
        assert!(page.body.contains("¥10.00"), "the minimum is shown");
        // The forms: an account is saved (shown masked); a withdrawal above the balance is
        // refused with a message, and the same form may be sent again after a refusal.
        let csrf = pro.csrf("/pro/earnings").await;
        let r = pro
            .post_form(
                "/pro/earnings/account",
                &[
                    ("_csrf", &csrf),
                    ("kind", "bank_card"),
                    ("account_no", "6222020202020202"),
                    ("holder_name", "张阿姨"),
                ],
            )
            .await;
        assert_eq!(
            (r.status, r.location()),
            (StatusCode::SEE_OTHER, "/pro/earnings".to_owned())
        );
        let page = pro.get("/pro/earnings").await;
        assert!(
            page.body.contains("银行卡 ****0202 张阿姨"),
            "masked account shown"
        );
        assert!(
            !page.body.contains("6222020202020202"),
            "never the full number"
        );
        let marker = "name=\"form_key\" value=\"";
        let at = page.body.find(marker).unwrap() + marker.len();
        let key = page.body[at..].split('"').next().unwrap().to_owned();
        for _ in 0..2 {
            let r = pro
                .post_form(
                    "/pro/earnings/withdraw",
                    &[("_csrf", &csrf), ("form_key", &key), ("amount", "50")],
                )
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER);
            assert!(
                r.cookie("linli_flash")
                    .unwrap()
                    .contains("insufficient_balance"),
                "{:?}",
                r.set_cookies()
            );
        }
        let r = pro
            .post_form(
                "/pro/earnings/withdraw",
                &[("_csrf", &csrf), ("form_key", &key), ("amount", "5")],
            )
            .await;
        assert!(
            r.cookie("linli_flash")
                .unwrap()
                .contains("withdraw_below_min")
        );
        // A customer has no earnings page.
        let r = b.get("/pro/earnings").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
);
