//! Overrun supplements (补款) over HTTP on SQLite and PostgreSQL: the order's API and page show
//! the supplement with its explanation; paying goes to the cashier (`Idempotency-Key`
//! honoured); another user's order is 404, an order not waiting is 409, bad bodies are 4xx,
//! and none of them changes anything; declining from the page completes the order.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod common;

use axum::http::StatusCode;
use common::{Browser, TestApp, journey::Booking};
use linli_domain::time::MINUTE_MS;
use linli_testkit::{TestDb, backend_test};
use serde_json::json;

const PW: &str = linli_app::seed::DEMO_PASSWORD;

backend_test!(
    the_customer_sees_the_supplement_pays_it_at_the_cashier_or_declines_it_and_bad_requests_change_nothing,
    |db: TestDb| async move {
        let t = TestApp::with_sandbox_payments(db).await;
        let b = Booking::demo(&t).await.hourly(&t).await;
        let id = b.place_paid(&t, "09:00").await;
        let o = t.app.store.order(id).await.unwrap().unwrap();
        let booked = (o.end_at.0 - o.start_at.0) / MINUTE_MS;
        b.serve_taking(&t, id, booked + 20).await;
        let customer = t.login(linli_app::seed::DEMO_CUSTOMERS[0].0, PW).await;
        let other = t.login(linli_app::seed::DEMO_CUSTOMERS[1].0, PW).await;
        let provider = t.login(linli_app::seed::DEMO_PROVIDER_PHONE, PW).await;
        let path = format!("/api/v1/orders/{id}");

        let seen = t.get(&path, Some(&customer)).await;
        assert_eq!(seen.status, StatusCode::OK, "{}", seen.body);
        let v = seen.json();
        assert_eq!(v["status"], "awaiting_supplement");
        let s = &v["supplement"];
        assert_eq!(s["state"], "awaiting");
        let extra = s["amount_fen"].as_i64().unwrap();
        assert_eq!(extra, (b.listing.price_fen * 30 + 30) / 60);
        assert_eq!(s["billed_extra_minutes"], 30);
        assert!(s["explanation"].as_str().unwrap().contains("实际"));

        // Not the caller's order, not the caller's side, not an order, not a body we take.
        for (token, body, status, code) in [
            (&other, json!({}), StatusCode::NOT_FOUND, "not_found"),
            (&provider, json!({}), StatusCode::NOT_FOUND, "not_found"),
            (&customer, json!({"amount_fen": 1}), StatusCode::BAD_REQUEST, ""),
        ] {
            let r = t
                .json("POST", &format!("{path}/supplement/pay"), Some(token), body)
                .await;
            assert_eq!(r.status.as_u16() / 100, 4, "{}", r.body);
            if !code.is_empty() {
                assert_eq!((r.status, r.code().as_str()), (status, code), "{}", r.body);
            }
            let r = t
                .json("POST", &format!("{path}/supplement/decline"), Some(token), json!({"reason": 5}))
                .await;
            assert_eq!(r.status.as_u16() / 100, 4, "{}", r.body);
        }
        let r = t
            .json("POST", "/api/v1/orders/not-an-id/supplement/pay", Some(&customer), json!({}))
            .await;
        assert_eq!(r.status.as_u16() / 100, 4, "{}", r.body);
        assert_eq!(
            t.app.store.order(id).await.unwrap().unwrap().status,
            "awaiting_supplement",
            "nothing changed"
        );
        assert!(t.app.store.order_payments(id).await.unwrap().iter().all(|p| p.purpose == "order"));

        // Paying: a retry with the same key gets the first answer again.
        let first = t
            .json_keyed("POST", &format!("{path}/supplement/pay"), &customer, "sup-1", json!({}))
            .await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.body);
        assert!(first.json()["cashier_url"].as_str().unwrap().contains("/cashier"));
        let again = t
            .json_keyed("POST", &format!("{path}/supplement/pay"), &customer, "sup-1", json!({}))
            .await;
        assert_eq!(again.headers.get("idempotent-replayed").unwrap(), "true");
        assert_eq!(again.json()["out_trade_no"], first.json()["out_trade_no"]);

        // The order page shows 待补款 with the amount, the explanation and both answers.
        let mut page = Browser::new(&t);
        page.login(linli_app::seed::DEMO_CUSTOMERS[0].0, PW).await;
        let html = page.get(&format!("/orders/{id}")).await;
        assert!(html.body.contains("待补款"), "{}", html.body);
        assert!(html.body.contains("id=\"supplement-pay\""));
        assert!(html.body.contains(s["amount"].as_str().unwrap()));
        assert!(html.body.contains("supplement-explanation"));

        // Declining from the page completes the order at the amount paid.
        let csrf = page.csrf(&format!("/orders/{id}")).await;
        let r = page
            .post_form(
                &format!("/orders/{id}/supplement/decline"),
                &[("_csrf", &csrf), ("reason", "时间超出是因为迟到")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let after = t.app.store.order(id).await.unwrap().unwrap();
        assert_eq!((after.status.as_str(), after.paid_fen), ("completed", o.paid_fen));
        let html = page.get(&format!("/orders/{id}")).await;
        assert!(html.body.contains("已拒绝补款"), "{}", html.body);

        // Answered: both answers are now 409, and the page says so kindly.
        for what in ["pay", "decline"] {
            let r = t
                .json("POST", &format!("{path}/supplement/{what}"), Some(&customer), json!({}))
                .await;
            assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
            assert_eq!(r.code(), "supplement_not_due");
        }
        let r = page
            .post_form(&format!("/orders/{id}/supplement/decline"), &[("_csrf", &csrf)])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let html = page.get(&r.location()).await;
        assert!(html.body.contains("不需要补款"), "{}", html.body);
    }
);
