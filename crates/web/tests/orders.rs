//! Booking over the JSON API on SQLite and PostgreSQL: slots, placing an order (the server
//! prices it), 64 concurrent requests for one slot, the order's life, and bad input.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use common::TestApp;
use linli_domain::time::{Clock, Day};
use linli_testkit::{TestDb, backend_test};
use serde_json::{Value, json};

async fn login(t: &TestApp, phone: &str) -> String {
    t.login(phone, linli_app::seed::DEMO_PASSWORD).await
}

/// Demo data, a customer token with an address the demo provider serves, the provider's
/// token, its shortest listing and a working day ahead.
struct Setup {
    customer: String,
    provider: String,
    listing: String,
    address: String,
    day: String,
}

async fn setup(t: &TestApp) -> Setup {
    linli_app::seed::seed_demo(&t.app).await.unwrap();
    let customer = login(t, linli_app::seed::DEMO_CUSTOMERS[0].0).await;
    let provider = login(t, linli_app::seed::DEMO_PROVIDER_PHONE).await;
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
    let minutes = |l: &Value| {
        if l["unit"] == "hour" {
            l["min_units"].as_i64().unwrap() * 60
        } else {
            l["minutes"].as_i64().unwrap()
        }
    };
    let listing = mine
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["status"] == "published")
        .min_by_key(|l| minutes(l))
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

fn order(s: &Setup, time: &str) -> Value {
    json!({"listing": s.listing, "address": s.address, "date": s.day, "time": time})
}

backend_test!(
    sixty_four_concurrent_posts_for_one_slot_give_one_201_and_63_409,
    |db: TestDb| async move {
        let t = Arc::new(TestApp::with_sandbox_payments(db).await);
        let s = Arc::new(setup(&t).await);
        let slots = t
            .get(
                &format!(
                    "/api/v1/listings/{}/slots?address={}&date={}",
                    s.listing, s.address, s.day
                ),
                Some(&s.customer),
            )
            .await;
        assert_eq!(slots.status, StatusCode::OK, "{}", slots.body);
        let price = slots.json()["quote"]["total_fen"].as_i64().unwrap();
        assert!(
            slots.json()["times"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t == "10:00")
        );
        // Fifty rounds; after each, the winner cancels and the slot is free again.
        let mut created: Vec<Value> = Vec::new();
        for round in 0..50 {
            if let Some(won) = created.pop() {
                let r = t
                    .json(
                        "POST",
                        &format!("/api/v1/orders/{}/cancel", won["id"].as_str().unwrap()),
                        Some(&s.customer),
                        json!({}),
                    )
                    .await;
                assert_eq!(r.status, StatusCode::OK, "round {round}: {}", r.body);
            }
            let mut tasks = Vec::new();
            for _ in 0..64 {
                let (t, s) = (Arc::clone(&t), Arc::clone(&s));
                tasks.push(tokio::spawn(async move {
                    t.json(
                        "POST",
                        "/api/v1/orders",
                        Some(&s.customer),
                        order(&s, "10:00"),
                    )
                    .await
                }));
            }
            let mut conflicts = 0;
            for task in tasks {
                let r = task.await.unwrap();
                match r.status {
                    StatusCode::CREATED => created.push(r.json()),
                    StatusCode::CONFLICT => {
                        assert_eq!(r.code(), "slot_taken");
                        conflicts += 1;
                    }
                    other => panic!("round {round}: {other}: {}", r.body),
                }
            }
            assert_eq!((created.len(), conflicts), (1, 63), "round {round}");
        }
        let o = &created[0];
        assert_eq!(o["status"], "pending_payment");
        assert_eq!(o["quote"]["total_fen"].as_i64().unwrap(), price);
        let id = o["id"].as_str().unwrap();

        // The provider sees the request only after payment, with the contact masked.
        let pay = t
            .json(
                "POST",
                &format!("/api/v1/dev/orders/{id}/pay"),
                Some(&s.customer),
                json!({}),
            )
            .await;
        assert_eq!(pay.status, StatusCode::OK, "{}", pay.body);
        let seen = t
            .get(&format!("/api/v1/orders/{id}"), Some(&s.provider))
            .await
            .json();
        if seen["status"] == "awaiting_acceptance" {
            assert!(seen["contact_phone"].as_str().unwrap().contains('*'));
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
        let seen = t
            .get(&format!("/api/v1/orders/{id}"), Some(&s.provider))
            .await
            .json();
        assert_eq!(seen["status"], "accepted");
        assert_eq!(seen["contact_phone"], "13912345678");
        let timeline: Vec<&str> = seen["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(timeline[0], "placed");
        assert!(timeline.contains(&"paid"));

        let preview = t
            .get(&format!("/api/v1/orders/{id}/cancel"), Some(&s.customer))
            .await;
        assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    }
);

backend_test!(
    bad_orders_get_clear_4xx_and_nothing_is_booked,
    |db: TestDb| async move {
        let t = TestApp::new(db).await;
        let s = setup(&t).await;
        let stranger = t.register("13922220000").await;
        let mut forged = order(&s, "10:00");
        forged["total_fen"] = json!(1);
        let cases: Vec<(Option<&str>, Value, StatusCode, &str)> = vec![
            (
                Some(&s.customer),
                forged,
                StatusCode::UNPROCESSABLE_ENTITY,
                "",
            ),
            (None, order(&s, "10:00"), StatusCode::UNAUTHORIZED, ""),
            (
                Some(&s.customer),
                order(&s, "07:00"),
                StatusCode::UNPROCESSABLE_ENTITY,
                "slot_outside_hours",
            ),
            (
                Some(&s.customer),
                order(&s, "10:10"),
                StatusCode::UNPROCESSABLE_ENTITY,
                "slot_outside_hours",
            ),
            (
                Some(&s.customer),
                order(&s, "nine"),
                StatusCode::UNPROCESSABLE_ENTITY,
                "",
            ),
            (
                Some(&stranger),
                order(&s, "10:00"),
                StatusCode::NOT_FOUND,
                "",
            ),
            (
                Some(&s.customer),
                json!({"listing": "x", "address": s.address, "date": s.day, "time": "10:00"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "malformed_id",
            ),
            (
                Some(&s.customer),
                json!({"listing": s.listing}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "",
            ),
        ];
        for (token, body, status, code) in cases {
            let r = t.json("POST", "/api/v1/orders", token, body.clone()).await;
            assert_eq!(r.status, status, "{body}: {}", r.body);
            if !code.is_empty() {
                assert_eq!(r.code(), code, "{body}");
            }
        }
        let past = json!({"listing": s.listing, "address": s.address,
            "date": Day::of(t.clock.now()).plus_days(-1).to_string(), "time": "10:00"});
        let r = t
            .json("POST", "/api/v1/orders", Some(&s.customer), past)
            .await;
        assert_eq!(r.code(), "slot_too_soon", "{}", r.body);
        let mine = t.get("/api/v1/orders", Some(&s.customer)).await;
        assert_eq!(mine.json().as_array().unwrap().len(), 0);

        // Another customer's order answers 404; so does a malformed id.
        let r = t
            .json(
                "POST",
                "/api/v1/orders",
                Some(&s.customer),
                order(&s, "10:00"),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.json()["id"].as_str().unwrap().to_owned();
        for (path, token) in [
            (format!("/api/v1/orders/{id}"), &stranger),
            ("/api/v1/orders/not-an-id".to_owned(), &s.customer),
        ] {
            let r = t.get(&path, Some(token)).await;
            assert!(r.status.is_client_error(), "{path}: {}", r.status);
        }
        let r = t
            .json(
                "POST",
                &format!("/api/v1/orders/{id}/cancel"),
                Some(&stranger),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = t
            .json(
                "POST",
                &format!("/api/v1/provider/orders/{id}/accept"),
                Some(&s.provider),
                json!({}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unpaid: {}",
            r.body
        );
        let r = t
            .json(
                "PUT",
                "/api/v1/provider/schedule",
                Some(&s.provider),
                json!({"weekly": ["x"], "capacity": 1, "min_notice_min": 0, "horizon_days": 7, "buffer_min": 0}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    }
);

/// `POST /api/v1/orders` with an `Idempotency-Key`.
async fn post_keyed(t: &TestApp, token: &str, key: &str, body: &Value) -> common::Reply {
    let req = axum::http::Request::builder()
        .method("POST")
        .uri("/api/v1/orders")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .header("idempotency-key", key)
        .body(axum::body::Body::from(body.to_string()))
        .unwrap();
    t.send(req).await
}

backend_test!(
    an_idempotency_key_makes_a_retried_order_safe,
    |db: TestDb| async move {
        let t = Arc::new(TestApp::new(db).await);
        let s = Arc::new(setup(&t).await);
        let body = order(&s, "10:00");
        let first = post_keyed(&t, &s.customer, "order-1", &body).await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
        let again = post_keyed(&t, &s.customer, "order-1", &body).await;
        assert_eq!(again.status, StatusCode::CREATED);
        assert_eq!(
            again.json()["id"],
            first.json()["id"],
            "the first answer, again"
        );
        assert_eq!(again.headers.get("idempotent-replayed").unwrap(), "true");
        let other = post_keyed(&t, &s.customer, "order-1", &order(&s, "13:00")).await;
        assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(other.code(), "idempotency_key_reused");
        let bad = post_keyed(&t, &s.customer, "", &body).await;
        assert_eq!(bad.code(), "invalid_idempotency_key");

        // Eight concurrent retries of one new request make one order.
        let body = order(&s, "15:00");
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (t, s, body) = (Arc::clone(&t), Arc::clone(&s), body.clone());
            tasks.push(tokio::spawn(async move {
                post_keyed(&t, &s.customer, "order-2", &body).await
            }));
        }
        let mut ids = std::collections::BTreeSet::new();
        for task in tasks {
            let r = task.await.unwrap();
            match r.status {
                StatusCode::CREATED => {
                    ids.insert(r.json()["id"].as_str().unwrap().to_owned());
                }
                StatusCode::CONFLICT => assert_eq!(r.code(), "idempotency_in_progress"),
                other => panic!("{other}: {}", r.body),
            }
        }
        assert_eq!(ids.len(), 1, "one order for one key");
        let mine = t.get("/api/v1/orders", Some(&s.customer)).await.json();
        assert_eq!(mine.as_array().unwrap().len(), 2);
    }
);
