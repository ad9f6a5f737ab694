//! Reviews over HTTP on SQLite and PostgreSQL: a customer reviews a confirmed order with a
//! photo (multipart) and it shows on the provider's list and page; bad input (another's order,
//! an unconfirmed one, a second review, stars out of range, ten photos, long text, blocked
//! words) gets a clear 4xx and changes nothing; providers reply and rate customers; reports
//! reach the operators' queue.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod common;

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use common::{Reply, TestApp, journey::two_orders, tiny_png};
use linli_testkit::{TestDb, backend_test};
use serde_json::json;

/// Order id, token, fields, photo count, expected status and code.
type Case<'a> = (
    &'a str,
    &'a str,
    Vec<(&'a str, &'a str)>,
    usize,
    StatusCode,
    &'a str,
);

const BOUNDARY: &str = "linliReviewBoundary";

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

async fn post_review(
    t: &TestApp,
    id: &str,
    token: &str,
    fields: &[(&str, &str)],
    photos: usize,
) -> Reply {
    let req = Request::post(format!("/api/v1/orders/{id}/review"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(multipart(fields, photos)))
        .unwrap();
    t.send(req).await
}

backend_test!(
    bad_reviews_get_a_clear_4xx_and_a_good_one_shows_with_its_photo,
    |db: TestDb| async move {
        let t = TestApp::with_sandbox_payments(db).await;
        let (done, unconfirmed, provider_id) = two_orders(&t).await;
        let pw = linli_app::seed::DEMO_PASSWORD;
        let customer = t.login(linli_app::seed::DEMO_CUSTOMERS[0].0, pw).await;
        let other = t.login(linli_app::seed::DEMO_CUSTOMERS[1].0, pw).await;
        let provider = t.login(linli_app::seed::DEMO_PROVIDER_PHONE, pw).await;
        let admin = t.login(linli_app::seed::DEMO_ADMIN_PHONE, pw).await;
        let done = done.to_string();
        let good: &[(&str, &str)] = &[("stars", "5"), ("punctual", "5"), ("text", "很专业")];

        // Bad input: each refused, nothing stored.
        let cases: Vec<Case> = vec![
            (
                &done,
                &other,
                good.to_vec(),
                0,
                StatusCode::NOT_FOUND,
                "not_found",
            ),
            (
                &done,
                &provider,
                good.to_vec(),
                0,
                StatusCode::NOT_FOUND,
                "not_found",
            ),
            (
                &done,
                &customer,
                vec![("stars", "6")],
                0,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_value",
            ),
            (
                &done,
                &customer,
                vec![("stars", "0")],
                0,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_value",
            ),
            (
                &done,
                &customer,
                vec![("stars", "5"), ("attitude", "9")],
                0,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_value",
            ),
            (
                &done,
                &customer,
                good.to_vec(),
                10,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_value",
            ),
        ];
        for (id, token, fields, photos, status, code) in cases {
            let r = post_review(&t, id, token, &fields, photos).await;
            assert_eq!(
                (r.status, r.code()),
                (status, code.to_owned()),
                "{}",
                r.body
            );
        }
        let long = "长".repeat(501);
        let r = post_review(&t, &done, &customer, &[("stars", "5"), ("text", &long)], 0).await;
        assert_eq!(
            (r.status, r.code()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_length".to_owned()
            ),
            "{}",
            r.body
        );
        let r = post_review(&t, &unconfirmed.to_string(), &customer, good, 0).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::CONFLICT, "not_confirmed".to_owned()),
            "{}",
            r.body
        );
        let r = t
            .json(
                "POST",
                "/api/v1/admin/moderation/words",
                Some(&admin),
                json!({"word": "骗子", "severity": "reject"}),
            )
            .await;
        assert!(r.status.is_success(), "{}", r.body);
        let r = post_review(&t, &done, &customer, &[("stars", "1"), ("text", "骗子")], 0).await;
        assert_eq!(
            (r.status, r.code()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "content_rejected".to_owned()
            ),
            "{}",
            r.body
        );
        let none = t
            .get(&format!("/api/v1/providers/{provider_id}/reviews"), None)
            .await;
        assert_eq!(none.json()["total"], 0, "nothing changed");

        // The good one, with a photo.
        let r = post_review(&t, &done, &customer, good, 1).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let review = r.json();
        let rid = review["id"].as_str().unwrap().to_owned();
        assert_eq!(review["photos"].as_array().unwrap().len(), 1);
        let r = post_review(&t, &done, &customer, good, 0).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::CONFLICT, "already_reviewed".to_owned())
        );
        // JSON without photos is accepted too, and also refused twice.
        let r = t
            .json(
                "POST",
                &format!("/api/v1/orders/{done}/review"),
                Some(&customer),
                json!({"stars": 4}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);

        let list = t
            .get(
                &format!("/api/v1/providers/{provider_id}/reviews?with_photos=true&stars=5"),
                None,
            )
            .await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        let list = list.json();
        assert_eq!(
            (list["total"].as_i64(), list["rating_x10"].as_i64()),
            (Some(1), Some(46))
        );
        let thumb = list["reviews"][0]["photos"][0]["thumb_url"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(t.get(&thumb, None).await.status, StatusCode::OK);
        let none = t
            .get(
                &format!("/api/v1/providers/{provider_id}/reviews?stars=3"),
                None,
            )
            .await;
        assert_eq!(none.json()["total"], 0);
        let bad = t
            .get(
                &format!("/api/v1/providers/{provider_id}/reviews?stars=9"),
                None,
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let page = t.get(&format!("/providers/{provider_id}"), None).await;
        assert!(
            page.body.contains(&thumb),
            "the provider page shows the photo"
        );
        assert!(page.body.contains("很专业"));

        // Reply once; only the provider.
        let path = format!("/api/v1/reviews/{rid}/reply");
        let r = t
            .json("POST", &path, Some(&customer), json!({"text": "自己回复"}))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = t
            .json("POST", &path, Some(&provider), json!({"text": "感谢好评"}))
            .await;
        assert_eq!(
            (r.status, r.json()["reply"].as_str()),
            (StatusCode::OK, Some("感谢好评"))
        );
        let r = t
            .json("POST", &path, Some(&provider), json!({"text": "再回复"}))
            .await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::CONFLICT, "already_replied".to_owned())
        );

        // Rate the customer once.
        let path = format!("/api/v1/provider/orders/{done}/rate-customer");
        let r = t
            .json("POST", &path, Some(&provider), json!({"stars": 9}))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = t
            .json(
                "POST",
                &path,
                Some(&provider),
                json!({"stars": 5, "text": "好沟通"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
        let r = t
            .json("POST", &path, Some(&provider), json!({"stars": 5}))
            .await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::CONFLICT, "already_rated".to_owned())
        );
        let r = t
            .json("POST", &path, Some(&customer), json!({"stars": 5}))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);

        // Report → queue → hide.
        let path = format!("/api/v1/reviews/{rid}/report");
        let r = t.json("POST", &path, None, json!({"reason": "x"})).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        let r = t
            .json("POST", &path, Some(&other), json!({"reason": ""}))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = t
            .json("POST", &path, Some(&other), json!({"reason": "刷好评"}))
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
        assert_eq!(
            t.get("/api/v1/admin/reviews", Some(&customer)).await.status,
            StatusCode::FORBIDDEN
        );
        let q = t.get("/api/v1/admin/reviews", Some(&admin)).await;
        assert_eq!(q.status, StatusCode::OK, "{}", q.body);
        assert_eq!(q.json()[0]["reasons"][0], "刷好评");
        // The operators' page shows it with the reason; the customer's order page shows the
        // review panel.
        let mut op = common::Browser::new(&t);
        op.login(linli_app::seed::DEMO_ADMIN_PHONE, pw).await;
        let page = op.get("/admin/reviews").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("刷好评") && page.body.contains(&rid),
            "{}",
            page.body
        );
        let mut me = common::Browser::new(&t);
        me.login(linli_app::seed::DEMO_CUSTOMERS[0].0, pw).await;
        let panel = me.get(&format!("/orders/{done}/review")).await;
        assert!(panel.body.contains("很专业") && !panel.body.contains("review-form"));
        let path = format!("/api/v1/admin/reviews/{rid}/decision");
        let r = t
            .json("POST", &path, Some(&admin), json!({"action": "bury"}))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = t
            .json("POST", &path, Some(&admin), json!({"action": "hide"}))
            .await;
        assert_eq!(
            (r.status, r.json()["status"].as_str()),
            (StatusCode::OK, Some("hidden")),
            "{}",
            r.body
        );
        let list = t
            .get(&format!("/api/v1/providers/{provider_id}/reviews"), None)
            .await
            .json();
        assert_eq!(
            (list["total"].as_i64(), list["rating_x10"].as_i64()),
            (Some(0), None)
        );

        // The document lists the review endpoints.
        let doc = t.get("/api/v1/openapi.json", None).await.json();
        for p in [
            "/api/v1/orders/{id}/review",
            "/api/v1/reviews/{id}/reply",
            "/api/v1/reviews/{id}/report",
            "/api/v1/providers/{id}/reviews",
            "/api/v1/provider/orders/{id}/rate-customer",
            "/api/v1/admin/reviews",
        ] {
            assert!(doc["paths"].get(p).is_some(), "{p} documented");
        }
    }
);
