//! Verified visits over HTTP on SQLite and PostgreSQL: a check-in 5 km away without a reason,
//! a wrong service code and completion without the required photos get a clear 422 and change
//! nothing; the customer's code, the checklist with a photo and check-out work end to end; the
//! customer sees the checklist photo.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod common;

use axum::http::StatusCode;
use common::{TestApp, tiny_png};
use linli_domain::time::{Clock, Day, MINUTE_MS};
use linli_testkit::{TestDb, backend_test};
use serde_json::json;

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

/// Places, pays and accepts an order at 10:00, and moves the clock to half an hour before it;
/// returns its id and fresh tokens.
async fn due_order(t: &TestApp) -> (Setup, String) {
    let mut s = setup(t).await;
    let r = t
        .json(
            "POST",
            "/api/v1/orders",
            Some(&s.customer),
            json!({"listing": s.listing, "address": s.address, "date": s.day, "time": "10:00"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let oid = id.parse().unwrap();
    t.app.mark_paid(oid).await.unwrap();
    let o = t.app.store.order(oid).await.unwrap().unwrap();
    if o.status == "awaiting_acceptance" {
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
    t.clock
        .advance_ms(o.start_at.0 - 30 * MINUTE_MS - t.clock.now().0);
    let pw = linli_app::seed::DEMO_PASSWORD;
    s.customer = t.login(linli_app::seed::DEMO_CUSTOMERS[0].0, pw).await;
    s.provider = t.login(linli_app::seed::DEMO_PROVIDER_PHONE, pw).await;
    (s, id)
}

async fn status(t: &TestApp, id: &str) -> String {
    t.app
        .store
        .order(id.parse().unwrap())
        .await
        .unwrap()
        .unwrap()
        .status
}

backend_test!(
    bad_visits_get_a_clear_422_and_change_nothing,
    |db: TestDb| async move {
        let t = TestApp::with_sandbox_payments(db).await;
        let (s, id) = due_order(&t).await;
        let o = t
            .app
            .store
            .order(id.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        let check_in = format!("/api/v1/provider/orders/{id}/check-in");

        // 5 km away without a reason.
        let far = json!({"lat_micro": o.lat_micro + 45_000, "lng_micro": o.lng_micro});
        let r = t.json("POST", &check_in, Some(&s.provider), far).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.code(), "too_far");
        assert!(r.json()["message"].as_str().unwrap().contains("200 m"));
        assert_eq!(status(&t, &id).await, "accepted");
        // The old start path is the same check-in.
        let r = t
            .json(
                "POST",
                &format!("/api/v1/provider/orders/{id}/start"),
                Some(&s.provider),
                json!({}),
            )
            .await;
        assert_eq!(r.code(), "position_required", "{}", r.body);
        // The customer may not check in.
        let near = json!({"lat_micro": o.lat_micro, "lng_micro": o.lng_micro});
        let r = t.json("POST", &check_in, Some(&s.customer), near).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
        assert_eq!(status(&t, &id).await, "accepted");

        let r = t.check_in(&id, &s.provider).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);

        // A wrong service code.
        let code = t
            .get(&format!("/api/v1/orders/{id}/visit"), Some(&s.customer))
            .await
            .json()["service_code"]
            .as_str()
            .unwrap()
            .to_owned();
        let wrong = if code == "000000" { "111111" } else { "000000" };
        let path = format!("/api/v1/provider/orders/{id}/service-code");
        let r = t
            .json("POST", &path, Some(&s.provider), json!({"code": wrong}))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.code(), "wrong_service_code");
        let r = t
            .json("POST", &path, Some(&s.provider), json!({"code": "12ab"}))
            .await;
        assert_eq!(r.code(), "wrong_service_code");
        let v = t
            .get(&format!("/api/v1/orders/{id}/visit"), Some(&s.provider))
            .await
            .json();
        assert_eq!(v["code_verified"], false);
        assert!(v["service_code"].is_null(), "the provider never sees it");
        let r = t
            .json("POST", &path, Some(&s.provider), json!({"code": code}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);

        // Completion without the required photo.
        let items = r.json()["checklist"].as_array().unwrap().clone();
        for item in items.iter().filter(|i| i["photo_required"] == false) {
            let r = t
                .upload(
                    &format!("/api/v1/provider/orders/{id}/checklist/{}", item["index"]),
                    &s.provider,
                    Vec::new(),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        }
        let photo_item = items.iter().find(|i| i["photo_required"] == true).unwrap();
        let tick = format!(
            "/api/v1/provider/orders/{id}/checklist/{}",
            photo_item["index"]
        );
        let r = t.upload(&tick, &s.provider, Vec::new()).await;
        assert_eq!(r.code(), "photo_required", "{}", r.body);
        let r = t.upload(&tick, &s.provider, b"not an image".to_vec()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        for done in ["check-out", "complete"] {
            let r = t
                .json(
                    "POST",
                    &format!("/api/v1/provider/orders/{id}/{done}"),
                    Some(&s.provider),
                    json!({}),
                )
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
            assert_eq!(r.code(), "checklist_incomplete");
        }
        assert_eq!(status(&t, &id).await, "in_service", "nothing changed");

        // With the photos it completes, and the customer sees them.
        for item in items.iter().filter(|i| i["photo_required"] == true) {
            let r = t
                .upload(
                    &format!("/api/v1/provider/orders/{id}/checklist/{}", item["index"]),
                    &s.provider,
                    tiny_png(),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        }
        let r = t
            .json(
                "POST",
                &format!("/api/v1/provider/orders/{id}/check-out"),
                Some(&s.provider),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["status"], "completed");
        let v = t
            .get(&format!("/api/v1/orders/{id}/visit"), Some(&s.customer))
            .await
            .json();
        assert_eq!(v["checklist_done"], true);
        let url = photo_item["index"].as_u64().unwrap() as usize;
        let photo = v["checklist"][url]["photo_url"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            photo.starts_with(&format!("/orders/{id}/visit-photos/")),
            "{photo}"
        );
        let r = t.get(&format!("/api/v1{photo}"), Some(&s.customer)).await;
        assert_eq!(r.status, StatusCode::OK, "{photo}");
        let file = photo.rsplit('/').next().unwrap();
        let r = t.get(&format!("/files/visits/{file}"), None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "never public");
        let other = t.register("13900009999").await;
        let r = t.get(&format!("/api/v1{photo}"), Some(&other)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "not to strangers");
        assert!(v["actual_minutes"].as_i64().is_some());
    }
);
