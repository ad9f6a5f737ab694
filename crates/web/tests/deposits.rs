//! Provider deposits (保证金) over HTTP on SQLite and PostgreSQL: an operator asks a deposit of a
//! category on `/admin/categories`; the provider's listing in it cannot be booked (409
//! `deposit_required`, and the service page says so) until the provider pays through the
//! cashier; `/pro/deposit` and the API show required vs held.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod common;

use axum::http::StatusCode;
use common::{Browser, TestApp, journey::Booking};
use linli_testkit::{TestDb, backend_test};
use serde_json::{Value, json};

const PW: &str = linli_app::seed::DEMO_PASSWORD;

fn order(b: &Booking, time: &str) -> Value {
    json!({"listing": b.listing.id.to_string(), "address": b.address, "date": b.day.to_string(), "time": time})
}

backend_test!(
    a_category_deposit_blocks_booking_until_the_provider_pays_it,
    |db: TestDb| async move {
        let t = TestApp::with_sandbox_payments(db).await;
        let b = Booking::demo(&t).await;
        let customer = t.login(linli_app::seed::DEMO_CUSTOMERS[0].0, PW).await;
        let provider = t.login(linli_app::seed::DEMO_PROVIDER_PHONE, PW).await;

        // The operator sets ¥300 on the listing's category from the categories page.
        let mut admin = Browser::new(&t);
        admin.login(linli_app::seed::DEMO_ADMIN_PHONE, PW).await;
        let csrf = admin.csrf("/admin/categories").await;
        for (deposit, status) in [("abc", "err"), ("300", "ok")] {
            let r = admin
                .post_form(
                    "/admin/categories/deposit",
                    &[
                        ("_csrf", &csrf),
                        ("slug", &b.listing.category),
                        ("deposit", deposit),
                    ],
                )
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{status}");
        }
        let page = admin.get("/admin/categories").await;
        assert!(page.body.contains("value=\"300.00\""), "{}", page.body);

        // Not bookable: the API answers 409 and the service page says why.
        let r = t
            .json(
                "POST",
                "/api/v1/orders",
                Some(&customer),
                order(&b, "10:00"),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        assert_eq!(r.code(), "deposit_required");
        assert!(
            t.app
                .my_orders(&b.customer, "all")
                .await
                .unwrap()
                .is_empty()
        );
        let r = t.get(&format!("/services/{}", b.listing.id), None).await;
        assert!(r.body.contains("id=\"deposit-required\""));
        assert!(!r.body.contains("id=\"book-now\""));

        // The provider sees required vs held and pays (the key replays the first answer).
        let r = t.get("/api/v1/provider/deposit", Some(&provider)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["required_fen"], 30_000);
        assert_eq!(r.json()["held_fen"], 0);
        let r = t.get("/api/v1/provider/deposit", Some(&customer)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "customers have no deposit");
        let r = t
            .json(
                "POST",
                "/api/v1/provider/deposit/pay",
                Some(&provider),
                json!({"amount": 1}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "the amount is the server's"
        );
        let start = t
            .json_keyed(
                "POST",
                "/api/v1/provider/deposit/pay",
                &provider,
                "dep-1",
                json!({}),
            )
            .await;
        assert_eq!(start.status, StatusCode::OK, "{}", start.body);
        assert_eq!(start.json()["amount"], "¥300.00");
        let again = t
            .json_keyed(
                "POST",
                "/api/v1/provider/deposit/pay",
                &provider,
                "dep-1",
                json!({}),
            )
            .await;
        assert_eq!(again.json()["out_trade_no"], start.json()["out_trade_no"]);
        let mut pro = Browser::new(&t);
        pro.login(linli_app::seed::DEMO_PROVIDER_PHONE, PW).await;
        let page = pro.get("/pro/deposit").await;
        assert!(page.body.contains("id=\"deposit-pay\""), "{}", page.body);
        t.app
            .mark_deposit_paid(start.json()["out_trade_no"].as_str().unwrap())
            .await
            .unwrap();

        let page = pro.get("/pro/deposit").await;
        assert!(page.body.contains("id=\"deposit-ok\""), "{}", page.body);
        assert!(page.body.contains("data-fen=\"30000\">¥300.00"));
        let r = t
            .json(
                "POST",
                "/api/v1/provider/deposit/pay",
                Some(&provider),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert_eq!(r.code(), "deposit_not_due");
        let r = t
            .json(
                "POST",
                "/api/v1/orders",
                Some(&customer),
                order(&b, "10:00"),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(t.app.trial_balance_unchecked().await.unwrap().total_fen, 0);
    }
);
