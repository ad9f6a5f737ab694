//! After-sale over HTTP on SQLite and PostgreSQL: a request with a photo (multipart), the
//! provider's rejection, escalation and an operator's 30 % award; bad input (another's order, a
//! second open request, an award above the amount paid, a request after the window, no
//! permission) gets a clear 4xx with `{code, message}` and changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod common;

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use common::{Reply, TestApp, journey::two_orders, tiny_png};
use linli_domain::{ids::OrderId, ledger::Account, time::DAY_MS};
use linli_testkit::{TestDb, backend_test};
use serde_json::json;

const BOUNDARY: &str = "linliAfterSaleBoundary";

fn multipart(fields: &[(&str, &str)], photos: usize) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for _ in 0..photos {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"p.png\"\r\nContent-Type: image/png\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(&tiny_png());
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn open_request(
    t: &TestApp,
    id: OrderId,
    token: &str,
    fields: &[(&str, &str)],
    photos: usize,
) -> Reply {
    let req = Request::post(format!("/api/v1/orders/{id}/after-sales"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(multipart(fields, photos)))
        .unwrap();
    t.send(req).await
}

async fn token(t: &TestApp, phone: &str) -> String {
    t.login(phone, linli_app::seed::DEMO_PASSWORD).await
}

backend_test!(
    an_after_sale_goes_from_request_to_an_operators_thirty_percent_award_over_http,
    |db: TestDb| async move {
        let t = TestApp::with_sandbox_payments(db).await;
        let (confirmed, _completed, _) = two_orders(&t).await;
        let customer = token(&t, linli_app::seed::DEMO_CUSTOMERS[0].0).await;
        let provider = token(&t, linli_app::seed::DEMO_PROVIDER_PHONE).await;
        let admin = token(&t, "13800000000").await;
        let paid = t
            .app
            .store
            .order(confirmed)
            .await
            .unwrap()
            .unwrap()
            .paid_fen;

        let r = open_request(
            &t,
            confirmed,
            &customer,
            &[("kind", "full_refund"), ("reason", "没有打扫干净")],
            1,
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let req = r.json();
        let rid = req["id"].as_str().unwrap().to_owned();
        assert_eq!(req["status"], "pending");
        assert_eq!(req["amount_fen"], paid);
        // The photo is served to the customer, not to another customer.
        let url = req["photos"][0]["url"].as_str().unwrap().to_owned();
        let r = t.get(&format!("/api/v1{url}"), Some(&customer)).await;
        assert_eq!(r.status, StatusCode::OK);
        let other = token(&t, linli_app::seed::DEMO_CUSTOMERS[1].0).await;
        let r = t.get(&format!("/api/v1{url}"), Some(&other)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);

        // Another customer cannot open one on this order; a second open request is refused.
        let r = open_request(
            &t,
            confirmed,
            &other,
            &[("kind", "full_refund"), ("reason", "x")],
            0,
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = t
            .json(
                "POST",
                &format!("/api/v1/orders/{confirmed}/after-sales"),
                Some(&customer),
                json!({"kind": "reservice", "reason": "再来一次"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert_eq!(r.code(), "after_sale_open");
        assert!(r.json()["message"].is_string());

        let r = t
            .json(
                "POST",
                &format!("/api/v1/provider/after-sales/{rid}/answer"),
                Some(&provider),
                json!({"action": "reject", "note": "已按标准完成"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["status"], "rejected");
        let r = t
            .json(
                "POST",
                &format!("/api/v1/after-sales/{rid}/escalate"),
                Some(&customer),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);

        // The customer may not arbitrate; the operator sees the evidence.
        let r = t
            .json(
                "POST",
                &format!("/api/v1/admin/after-sales/{rid}/decision"),
                Some(&customer),
                json!({"outcome": "full_refund"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = t
            .get(&format!("/api/v1/admin/after-sales/{rid}"), Some(&admin))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let ev = r.json();
        assert!(ev["checkin_at"].is_i64());
        assert!(!ev["timeline"].as_array().unwrap().is_empty());
        let r = t
            .get("/api/v1/admin/after-sales?status=escalated", Some(&admin))
            .await;
        assert_eq!(r.json().as_array().unwrap().len(), 1);

        // An award above the amount paid changes nothing.
        let r = t
            .json(
                "POST",
                &format!("/api/v1/admin/after-sales/{rid}/decision"),
                Some(&admin),
                json!({"outcome": "partial", "percent": "120"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.code(), "award_too_large");
        let refund_payable = |t: &TestApp| {
            let store = t.app.store.clone();
            async move {
                Account::RefundPayable.owed(
                    store
                        .account_balance(&Account::RefundPayable.key())
                        .await
                        .unwrap(),
                )
            }
        };
        assert_eq!(refund_payable(&t).await, 0);

        let r = t
            .json(
                "POST",
                &format!("/api/v1/admin/after-sales/{rid}/decision"),
                Some(&admin),
                json!({"outcome": "partial", "percent": "30", "note": "部分未完成"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["award_fen"], paid * 30 / 100);
        assert_eq!(refund_payable(&t).await, paid * 30 / 100);
        let r = t
            .json(
                "POST",
                &format!("/api/v1/admin/after-sales/{rid}/decision"),
                Some(&admin),
                json!({"outcome": "partial", "percent": "30"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert_eq!(r.code(), "not_escalated");
        assert_eq!(refund_payable(&t).await, paid * 30 / 100, "decided once");
    }
);

backend_test!(
    an_after_sale_request_after_the_window_is_refused,
    |db: TestDb| async move {
        let t = TestApp::with_sandbox_payments(db).await;
        let (_, completed, _) = two_orders(&t).await;
        t.clock.advance_ms(8 * DAY_MS);
        let customer = token(&t, linli_app::seed::DEMO_CUSTOMERS[0].0).await;
        let r = t
            .json(
                "POST",
                &format!("/api/v1/orders/{completed}/after-sales"),
                Some(&customer),
                json!({"kind": "full_refund", "reason": "太晚了"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.code(), "after_sale_window_closed");
        let r = t
            .get(
                &format!("/api/v1/orders/{completed}/after-sales"),
                Some(&customer),
            )
            .await;
        assert_eq!(r.json().as_array().unwrap().len(), 0);
    }
);

backend_test!(
    the_order_page_panel_and_the_admin_pages_show_the_request_and_a_re_service_is_booked_there,
    |db: TestDb| async move {
        let t = TestApp::with_sandbox_payments(db).await;
        let (confirmed, _, _) = two_orders(&t).await;
        let pw = linli_app::seed::DEMO_PASSWORD;
        let mut b = common::Browser::new(&t);
        b.login(linli_app::seed::DEMO_CUSTOMERS[0].0, pw).await;
        let r = b.get(&format!("/orders/{confirmed}")).await;
        assert!(r.body.contains("order-after-sale-slot"), "{}", r.body);
        let r = b.get(&format!("/orders/{confirmed}/after-sale")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(
            r.body.contains("after-sale-form"),
            "the customer can open a request"
        );
        let customer = token(&t, linli_app::seed::DEMO_CUSTOMERS[0].0).await;
        let r = open_request(
            &t,
            confirmed,
            &customer,
            &[("kind", "reservice"), ("reason", "地板没拖")],
            1,
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let rid = r.json()["id"].as_str().unwrap().to_owned();
        let r = b.get(&format!("/orders/{confirmed}/after-sale")).await;
        assert!(r.body.contains("待商家答复"), "{}", r.body);
        assert!(
            !r.body.contains("after-sale-form"),
            "one open request per order"
        );

        let mut pro = common::Browser::new(&t);
        pro.login(linli_app::seed::DEMO_PROVIDER_PHONE, pw).await;
        let r = pro.get(&format!("/orders/{confirmed}/after-sale")).await;
        assert!(
            r.body.contains("after-sale-answer"),
            "the provider can answer"
        );

        let mut admin = common::Browser::new(&t);
        admin.login("13800000000", pw).await;
        let provider = token(&t, linli_app::seed::DEMO_PROVIDER_PHONE).await;
        t.json(
            "POST",
            &format!("/api/v1/provider/after-sales/{rid}/answer"),
            Some(&provider),
            json!({"action": "reject", "note": "已完成"}),
        )
        .await;
        t.json(
            "POST",
            &format!("/api/v1/after-sales/{rid}/escalate"),
            Some(&customer),
            json!({}),
        )
        .await;
        let r = admin.get("/admin/after-sales").await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains(&rid), "{}", r.body);
        let r = admin.get(&format!("/admin/after-sales/{rid}")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("evidence-checkin"));
        assert!(r.body.contains("after-sale-decision"));
        let csrf = admin.csrf(&format!("/admin/after-sales/{rid}")).await;
        let r = admin
            .post_form(
                &format!("/admin/after-sales/{rid}/decision"),
                &[("_csrf", &csrf), ("outcome", "reservice")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let v = t
            .get(&format!("/api/v1/after-sales/{rid}"), Some(&customer))
            .await
            .json();
        assert_eq!(v["outcome"], "reservice");
        // A customer cannot open the admin pages.
        let r = b.get(&format!("/admin/after-sales/{rid}")).await;
        assert_ne!(r.status, StatusCode::OK);

        // The customer books the re-service from the order page: a day, a free time, ¥0.
        let r = b.get(&format!("/orders/{confirmed}/after-sale")).await;
        assert!(r.body.contains("reservice-book"), "{}", r.body);
        let today = linli_domain::time::Day::of(t.app.now());
        let mut day = String::new();
        let mut time = String::new();
        for n in 1..8 {
            let d = today.plus_days(n).to_string();
            let s = t
                .get(
                    &format!("/api/v1/after-sales/{rid}/reservice-slots?date={d}"),
                    Some(&customer),
                )
                .await;
            assert_eq!(s.status, StatusCode::OK, "{}", s.body);
            assert_eq!(s.json()["quote"]["total_fen"], 0);
            if let Some(first) = s.json()["times"]
                .as_array()
                .and_then(|a| a.first().cloned())
            {
                day = d;
                time = first.as_str().unwrap().to_owned();
                break;
            }
        }
        assert!(!day.is_empty(), "a free time within a week");
        let page = format!("/after-sales/{rid}/reservice?date={day}");
        let r = b.get(&page).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("reservice-slots"), "{}", r.body);
        let csrf = b.csrf(&page).await;
        let r = b
            .post_form(
                &format!("/after-sales/{rid}/reservice"),
                &[("_csrf", &csrf), ("date", &day), ("time", &time)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let new_order = r.location();
        assert!(new_order.starts_with("/orders/"), "{new_order}");
        let r = b.get(&new_order).await;
        assert!(r.body.contains("order-reservice"), "marked as a re-service");
        assert!(r.body.contains("awaiting_acceptance"));
        let v = t
            .get(&format!("/api/v1/after-sales/{rid}"), Some(&customer))
            .await
            .json();
        assert_eq!(
            v["reservice_order_id"]
                .as_str()
                .map(|o| format!("/orders/{o}")),
            Some(new_order.clone())
        );

        // Over the API: a second one, someone else's request, a bad body or date — clear 4xx,
        // nothing written.
        let count = || async {
            t.get("/api/v1/orders", Some(&customer))
                .await
                .json()
                .as_array()
                .map_or(0, Vec::len)
        };
        let before = count().await;
        let other = token(&t, linli_app::seed::DEMO_CUSTOMERS[1].0).await;
        for (who, body, status, code) in [
            (
                &customer,
                json!({"date": day, "time": time}),
                StatusCode::CONFLICT,
                "reservice_booked",
            ),
            (
                &other,
                json!({"date": day, "time": time}),
                StatusCode::NOT_FOUND,
                "not_found",
            ),
            (
                &customer,
                json!({"date": day}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "",
            ),
            (
                &customer,
                json!({"date": day, "time": time, "price": 0}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "",
            ),
        ] {
            let r = t
                .json(
                    "POST",
                    &format!("/api/v1/after-sales/{rid}/reservice"),
                    Some(who),
                    body,
                )
                .await;
            assert_eq!(r.status.as_u16() / 100, 4, "{}", r.body);
            if !code.is_empty() {
                assert_eq!((r.status, r.code().as_str()), (status, code), "{}", r.body);
            }
            assert!(r.json()["message"].is_string());
        }
        let r = t
            .get(
                &format!("/api/v1/after-sales/{rid}/reservice-slots?date=tomorrow"),
                Some(&customer),
            )
            .await;
        assert_eq!(r.status.as_u16() / 100, 4);
        assert_eq!(count().await, before);
    }
);
