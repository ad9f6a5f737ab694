//! 先行赔付 over HTTP on SQLite and PostgreSQL: a customer claims on a completed order (the
//! Idempotency-Key replays the first answer), an operator approves part of it, the customer is
//! paid from the fund and the provider charged; bad input (a malformed id, an unknown field, an
//! amount above the cap, blocked words, an order not completed, another's order, a second open
//! claim, an approval above the claim, a customer at the operators' routes, a claim after the
//! window) gets a clear 4xx with `{code, message}` and changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod common;

use axum::http::StatusCode;
use common::{TestApp, journey::Booking};
use linli_domain::{
    ids::OrderId,
    ledger::Account,
    time::{DAY_MS, HOUR_MS, MINUTE_MS},
};
use linli_testkit::{TestDb, backend_test};
use serde_json::{Value, json};

const PW: &str = linli_app::seed::DEMO_PASSWORD;

/// What must not move when a request is refused: every balance and the order's claims.
async fn snapshot(t: &TestApp, order: OrderId) -> (Vec<(String, i64)>, Vec<String>) {
    let tb = t.app.trial_balance_unchecked().await.unwrap();
    assert_eq!(tb.total_fen, 0, "the trial balance sums to zero");
    (
        tb.lines
            .iter()
            .map(|l| (l.account.clone(), l.balance_fen))
            .collect(),
        t.app
            .store
            .guarantee_claims_of_order(order)
            .await
            .unwrap()
            .iter()
            .map(|c| format!("{}:{}:{}", c.id, c.status, c.approved_fen))
            .collect(),
    )
}

async fn owed(t: &TestApp, a: Account) -> i64 {
    a.owed(t.app.store.account_balance(&a.key()).await.unwrap())
}

fn claim(amount: &str) -> Value {
    json!({"kind": "damage", "description": "打扫时碰碎了花瓶", "amount": amount})
}

fn claims_path(id: impl std::fmt::Display) -> String {
    format!("/api/v1/orders/{id}/guarantee-claims")
}

backend_test!(
    a_claim_is_filed_once_approved_in_part_and_paid_from_the_fund_over_http,
    |db: TestDb| async move {
        let t = TestApp::with_sandbox_payments(db).await;
        let b = Booking::demo(&t).await;
        let done = b.place_paid(&t, "09:00").await;
        b.serve(&t, done).await;
        t.app.confirm_order(&b.customer, done).await.unwrap();
        let customer = t.login(linli_app::seed::DEMO_CUSTOMERS[0].0, PW).await;
        let admin = t.login(linli_app::seed::DEMO_ADMIN_PHONE, PW).await;
        let customer_id = b.customer.member().unwrap().id;
        let fund = owed(&t, Account::GuaranteeFund).await;
        assert!(fund > 0, "the fund took its slice at release");
        let available = owed(&t, Account::ProviderAvailable(b.provider_id)).await;
        let pending = owed(&t, Account::ProviderPending(b.provider_id)).await;

        let r = t
            .json_keyed(
                "POST",
                &claims_path(done),
                &customer,
                "claim-1",
                claim("300.00"),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let c = r.json();
        assert_eq!(c["status"], "open");
        assert_eq!(c["claimed_fen"], 30_000);
        assert_eq!(c["kind"], "damage");
        let cid = c["id"].as_str().unwrap().to_owned();
        // A retry with the key gets the first answer, and files nothing more.
        let again = t
            .json_keyed(
                "POST",
                &claims_path(done),
                &customer,
                "claim-1",
                claim("300.00"),
            )
            .await;
        assert_eq!(again.status, StatusCode::CREATED);
        assert_eq!(again.json()["id"], cid.as_str());
        assert_eq!(again.headers.get("idempotent-replayed").unwrap(), "true");
        let r = t.get(&claims_path(done), Some(&customer)).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json().as_array().unwrap().len(), 1);

        // The operator sees it in the open queue with the names, and approves ¥120.
        let r = t
            .get("/api/v1/admin/guarantee-claims?status=open", Some(&admin))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let queue = r.json();
        assert_eq!(queue.as_array().unwrap().len(), 1);
        assert_eq!(queue[0]["id"], cid.as_str());
        assert!(!queue[0]["provider"].as_str().unwrap().is_empty());
        assert!(queue[0]["customer"].as_str().unwrap().contains("****"));
        let decision_path = format!("/api/v1/admin/guarantee-claims/{cid}/decision");
        let approve = json!({"decision": "approve", "amount": "120.00", "note": "照片属实"});
        let r = t
            .json_keyed("POST", &decision_path, &admin, "decide-1", approve.clone())
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["status"], "approved");
        assert_eq!(r.json()["approved_fen"], 12_000);
        let replay = t
            .json_keyed("POST", &decision_path, &admin, "decide-1", approve.clone())
            .await;
        assert_eq!(replay.status, StatusCode::OK);
        assert_eq!(replay.headers.get("idempotent-replayed").unwrap(), "true");
        let r = t
            .json_keyed("POST", &decision_path, &admin, "decide-2", approve)
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert_eq!(r.code(), "claim_decided");

        // Paid once: the customer's credit, the fund whole again, the provider charged.
        assert_eq!(owed(&t, Account::CustomerCredit(customer_id)).await, 12_000);
        assert_eq!(owed(&t, Account::GuaranteeFund).await, fund);
        assert_eq!(
            owed(&t, Account::ProviderAvailable(b.provider_id)).await
                + owed(&t, Account::ProviderPending(b.provider_id)).await,
            available + pending - 12_000
        );
        assert_eq!(t.app.trial_balance_unchecked().await.unwrap().total_fen, 0);
        let r = t.get(&claims_path(done), Some(&customer)).await;
        assert_eq!(r.json()[0]["status"], "approved");
        assert_eq!(r.json()[0]["approved"], "¥120.00");
        let r = t
            .get(
                "/api/v1/admin/guarantee-claims?status=approved",
                Some(&admin),
            )
            .await;
        assert_eq!(r.json().as_array().unwrap().len(), 1);
    }
);

backend_test!(
    bad_claims_and_decisions_get_a_clear_4xx_and_change_nothing_over_http,
    |db: TestDb| async move {
        let t = TestApp::with_sandbox_payments(db).await;
        let b = Booking::demo(&t).await;
        let done = b.place_paid(&t, "09:00").await;
        let waiting = b.place_paid(&t, "18:00").await;
        b.serve(&t, done).await;
        let customer = t.login(linli_app::seed::DEMO_CUSTOMERS[0].0, PW).await;
        let other = t.login(linli_app::seed::DEMO_CUSTOMERS[1].0, PW).await;
        let admin = t.login(linli_app::seed::DEMO_ADMIN_PHONE, PW).await;
        let r = t
            .json(
                "POST",
                "/api/v1/admin/moderation/words",
                Some(&admin),
                json!({"word": "违禁词", "severity": "reject"}),
            )
            .await;
        assert!(r.status.is_success(), "{} {}", r.status, r.body);

        let before = snapshot(&t, done).await;
        let waiting_before = snapshot(&t, waiting).await;
        let mut unknown = claim("10");
        unknown["extra"] = json!(1);
        let mut blocked = claim("10");
        blocked["description"] = json!("这里有违禁词");
        let mut empty = claim("10");
        empty["description"] = json!("   ");
        let mut kind = claim("10");
        kind["kind"] = json!("theft");
        let cases: Vec<(String, &str, Value, StatusCode, &str)> = vec![
            (
                "/api/v1/orders/not-an-id/guarantee-claims".into(),
                &customer,
                claim("10"),
                StatusCode::BAD_REQUEST,
                "malformed_id",
            ),
            (
                claims_path(done),
                &customer,
                unknown,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
            ),
            (
                claims_path(done),
                &customer,
                claim("5000.01"),
                StatusCode::UNPROCESSABLE_ENTITY,
                "amount_above_cap",
            ),
            (
                claims_path(done),
                &customer,
                claim("0"),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_value",
            ),
            (
                claims_path(done),
                &customer,
                claim("abc"),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_price",
            ),
            (
                claims_path(done),
                &customer,
                blocked,
                StatusCode::UNPROCESSABLE_ENTITY,
                "content_rejected",
            ),
            (
                claims_path(done),
                &customer,
                empty,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_length",
            ),
            (
                claims_path(done),
                &customer,
                kind,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_value",
            ),
            (
                claims_path(waiting),
                &customer,
                claim("10"),
                StatusCode::CONFLICT,
                "not_completed",
            ),
            (
                claims_path(done),
                &other,
                claim("10"),
                StatusCode::NOT_FOUND,
                "not_found",
            ),
        ];
        for (path, token, body, status, code) in cases {
            let r = t.json("POST", &path, Some(token), body.clone()).await;
            assert_eq!(r.status, status, "{path} {body}: {}", r.body);
            assert_eq!(r.code(), code, "{path} {body}");
            assert!(r.json()["message"].is_string());
        }
        let r = t.get(&claims_path(done), Some(&other)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(snapshot(&t, done).await, before);
        assert_eq!(snapshot(&t, waiting).await, waiting_before);

        // One open claim at a time.
        let r = t
            .json("POST", &claims_path(done), Some(&customer), claim("200"))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let cid = r.json()["id"].as_str().unwrap().to_owned();
        let before = snapshot(&t, done).await;
        let r = t
            .json("POST", &claims_path(done), Some(&customer), claim("50"))
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert_eq!(r.code(), "claim_open");

        // Operators only; never more than claimed; a decision must be one of two.
        let decision_path = format!("/api/v1/admin/guarantee-claims/{cid}/decision");
        let r = t
            .json(
                "POST",
                &decision_path,
                Some(&customer),
                json!({"decision": "approve", "amount": "10"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = t
            .get("/api/v1/admin/guarantee-claims", Some(&customer))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let bad_decisions = [
            (
                json!({"decision": "approve", "amount": "200.01"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "amount_too_large",
            ),
            (
                json!({"decision": "approve"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_price",
            ),
            (
                json!({"decision": "maybe"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_value",
            ),
            (
                json!({"decision": "reject", "why": "x"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
            ),
        ];
        for (body, status, code) in bad_decisions {
            let r = t
                .json("POST", &decision_path, Some(&admin), body.clone())
                .await;
            assert_eq!(r.status, status, "{body}: {}", r.body);
            assert_eq!(r.code(), code, "{body}");
        }
        let r = t
            .json(
                "POST",
                "/api/v1/admin/guarantee-claims/not-an-id/decision",
                Some(&admin),
                json!({"decision": "reject"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(r.code(), "malformed_id");
        let r = t
            .get("/api/v1/admin/guarantee-claims?status=lost", Some(&admin))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(snapshot(&t, done).await, before);

        // Rejected: nothing moves; after the window no new claim is taken.
        let r = t
            .json(
                "POST",
                &decision_path,
                Some(&admin),
                json!({"decision": "reject", "note": "证据不足"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["status"], "rejected");
        assert_eq!(snapshot(&t, done).await.0, before.0);
        t.clock.advance_ms(14 * DAY_MS + MINUTE_MS);
        let customer = t.login(linli_app::seed::DEMO_CUSTOMERS[0].0, PW).await;
        let before = snapshot(&t, done).await;
        let r = t
            .json("POST", &claims_path(done), Some(&customer), claim("10"))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.code(), "guarantee_window_closed");
        assert_eq!(snapshot(&t, done).await, before);
    }
);

/// The value of the hidden field `name` on a page.
fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} field"))
        + marker.len();
    body[start..].split('"').next().unwrap().to_owned()
}

backend_test!(
    the_order_page_takes_a_claim_once_and_the_operator_pays_it_from_the_console,
    |db: TestDb| async move {
        let t = TestApp::with_sandbox_payments(db).await;
        let b = Booking::demo(&t).await;
        let done = b.place_paid(&t, "09:00").await;
        let waiting = b.place_paid(&t, "18:00").await;
        b.serve(&t, done).await;
        let mut customer = common::Browser::new(&t);
        customer
            .login(linli_app::seed::DEMO_CUSTOMERS[0].0, PW)
            .await;

        // Only a completed order has the panel; it counts down the 14 days.
        let r = customer.get(&format!("/orders/{waiting}")).await;
        assert!(!r.body.contains("order-guarantee"));
        t.clock.advance_ms(HOUR_MS + MINUTE_MS);
        let page = customer.get(&format!("/orders/{done}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("id=\"guarantee-countdown\""),
            "{}",
            page.body
        );
        assert!(
            page.body
                .contains("<strong>13</strong> 天 <strong>22</strong> 小时"),
            "13 days 22 whole hours left: {}",
            page.body
        );
        assert!(page.body.contains(&format!("/complaints?order={done}")));
        let csrf = hidden(&page.body, "_csrf");
        let once = hidden(&page.body, "_once");
        let fields = [
            ("_csrf", csrf.as_str()),
            ("_once", once.as_str()),
            ("kind", "loss"),
            ("description", "钥匙不见了"),
            ("amount", "88.80"),
        ];
        let r = customer
            .post_form(&format!("/orders/{done}/guarantee"), &fields)
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), format!("/orders/{done}"));
        // The same form sent again (double click, back and submit) files nothing more.
        let r = customer
            .post_form(&format!("/orders/{done}/guarantee"), &fields)
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let claims = t.app.store.guarantee_claims_of_order(done).await.unwrap();
        assert_eq!(claims.len(), 1);
        assert_eq!(claims[0].claimed_fen, 8_880);
        assert_eq!(claims[0].kind, "loss");
        let page = customer.get(&format!("/orders/{done}")).await;
        assert!(page.body.contains("平台审核中"), "{}", page.body);
        assert!(
            !page.body.contains("id=\"guarantee-form\""),
            "one open claim at a time"
        );
        let r = customer.get("/admin/guarantee").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        let mut operator = common::Browser::new(&t);
        operator.login(linli_app::seed::DEMO_ADMIN_PHONE, PW).await;
        let q = operator.get("/admin/guarantee").await;
        assert_eq!(q.status, StatusCode::OK);
        assert!(q.body.contains("id=\"nav-guarantee\""));
        assert!(q.body.contains("id=\"guarantee-fund-balance\""));
        assert!(q.body.contains("钥匙不见了"));
        assert!(q.body.contains("¥88.80"));
        let csrf = hidden(&q.body, "_csrf");
        let once = hidden(&q.body, "_once");
        let cid = claims[0].id;
        let too_much = [
            ("_csrf", csrf.as_str()),
            ("_once", once.as_str()),
            ("decision", "approve"),
            ("amount", "100"),
            ("status", "open"),
        ];
        let r = operator
            .post_form(&format!("/admin/guarantee/{cid}/decision"), &too_much)
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let r = operator.get(&r.location()).await;
        assert!(
            r.body.contains("金额超过了可退或可赔付的上限"),
            "{}",
            r.body
        );
        let once = hidden(&r.body, "_once");
        let approve = [
            ("_csrf", csrf.as_str()),
            ("_once", once.as_str()),
            ("decision", "approve"),
            ("amount", "50"),
            ("status", "open"),
        ];
        let r = operator
            .post_form(&format!("/admin/guarantee/{cid}/decision"), &approve)
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let c = t.app.store.guarantee_claim(cid).await.unwrap().unwrap();
        assert_eq!((c.status.as_str(), c.approved_fen), ("approved", 5_000));
        let customer_id = b.customer.member().unwrap().id;
        assert_eq!(owed(&t, Account::CustomerCredit(customer_id)).await, 5_000);

        let page = customer.get(&format!("/orders/{done}")).await;
        assert!(page.body.contains("已赔付 ¥50.00"), "{}", page.body);
        let mut provider = common::Browser::new(&t);
        provider
            .login(linli_app::seed::DEMO_PROVIDER_PHONE, PW)
            .await;
        let r = provider.get(&format!("/orders/{done}")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(
            !r.body.contains("order-guarantee"),
            "the panel is the customer's"
        );
        let r = provider.get("/pro/earnings").await;
        assert!(r.body.contains("先行赔付"), "{}", r.body);
    }
);
