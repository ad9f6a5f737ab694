//! Complaints and reliability over HTTP on SQLite and PostgreSQL: a customer files and follows
//! a ticket, an operator replies and notes internally; bad input (empty or oversized text, an
//! unknown category, a malformed or foreign id, blocked words, a customer at the operators'
//! endpoints) gets a clear 4xx with `{code, message}` and changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod common;

use axum::http::StatusCode;
use common::{Browser, TestApp};
use linli_testkit::{TestDb, backend_test};
use serde_json::json;

backend_test!(
    complaints_over_the_api_refuse_bad_input_and_hide_internal_notes,
    |db: TestDb| async move {
        let t = TestApp::new(db).await;
        let admin = t.admin_token().await;
        let alice = t.register("13911110001").await;
        let bob = t.register("13911110002").await;

        let r = t
            .json(
                "POST",
                "/api/v1/admin/moderation/words",
                Some(&admin),
                json!({"word": "违禁词", "severity": "reject"}),
            )
            .await;
        assert!(r.status.is_success(), "{} {}", r.status, r.body);

        let bad = [
            (
                json!({"category": "quality", "text": "  "}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_length",
            ),
            (
                json!({"category": "quality", "text": "长".repeat(1001)}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_length",
            ),
            (
                json!({"category": "refund", "text": "退款"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_value",
            ),
            (
                json!({"category": "quality", "text": "差", "order_id": "x"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "malformed_id",
            ),
            (
                json!({"category": "quality", "text": "差", "provider_id": "0190f0c0-0000-7000-8000-000000000000"}),
                StatusCode::NOT_FOUND,
                "not_found",
            ),
            (
                json!({"category": "other", "text": "这里有违禁词"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "content_rejected",
            ),
        ];
        for (body, status, code) in bad {
            let r = t
                .json("POST", "/api/v1/complaints", Some(&alice), body.clone())
                .await;
            assert_eq!(
                (r.status, r.code()),
                (status, code.to_owned()),
                "{body} {}",
                r.body
            );
            assert!(r.json()["message"].is_string());
        }
        let r = t
            .json(
                "POST",
                "/api/v1/complaints",
                None,
                json!({"category": "other", "text": "x"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            t.get("/api/v1/complaints", Some(&alice)).await.json(),
            json!([])
        );

        let r = t
            .json(
                "POST",
                "/api/v1/complaints",
                Some(&alice),
                json!({"category": "platform", "text": "支付页面打不开"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let c = r.json();
        assert_eq!(c["status"], "open");
        assert_eq!(c["against"], "platform");
        let id = c["id"].as_str().unwrap().to_owned();

        // Someone else's ticket is not found; malformed ids are refused.
        let r = t.get(&format!("/api/v1/complaints/{id}"), Some(&bob)).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::NOT_FOUND, "not_found".to_owned())
        );
        let r = t.get("/api/v1/complaints/nope", Some(&alice)).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::BAD_REQUEST, "malformed_id".to_owned())
        );

        // A customer cannot use the operators' endpoints (nor read internal notes there).
        for path in [
            "/api/v1/admin/complaints".to_owned(),
            format!("/api/v1/admin/complaints/{id}"),
        ] {
            let r = t.get(&path, Some(&alice)).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
        }
        let r = t
            .json(
                "POST",
                &format!("/api/v1/admin/complaints/{id}/notes"),
                Some(&alice),
                json!({"kind": "reply", "text": "x"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // The operator notes internally and replies publicly.
        let notes = format!("/api/v1/admin/complaints/{id}/notes");
        let r = t
            .json(
                "POST",
                &notes,
                Some(&admin),
                json!({"kind": "internal", "text": "内部：已转技术"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = t
            .json(
                "POST",
                &notes,
                Some(&admin),
                json!({"kind": "memo", "text": "x"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = t
            .json(
                "POST",
                &notes,
                Some(&admin),
                json!({"kind": "reply", "text": ""}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = t
            .json(
                "POST",
                &notes,
                Some(&admin),
                json!({"kind": "reply", "text": "已修复，请重试"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["status"], "in_progress");
        assert_eq!(r.json()["thread"].as_array().unwrap().len(), 2);

        let status = format!("/api/v1/admin/complaints/{id}/status");
        let r = t
            .json("POST", &status, Some(&admin), json!({"status": "reopened"}))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = t
            .json("POST", &status, Some(&admin), json!({"status": "resolved"}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = t
            .json(
                "POST",
                &status,
                Some(&admin),
                json!({"status": "in_progress"}),
            )
            .await;
        assert_eq!(
            (r.status, r.code()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_transition".to_owned()
            )
        );

        let mine = t
            .get(&format!("/api/v1/complaints/{id}"), Some(&alice))
            .await
            .json();
        assert_eq!(mine["status"], "resolved");
        let thread = mine["thread"].as_array().unwrap();
        assert_eq!(thread.len(), 2, "{mine}");
        assert!(thread.iter().all(|e| e["kind"] != "internal"));
        assert!(!mine.to_string().contains("内部"));

        let q = t
            .get("/api/v1/admin/complaints?status=resolved", Some(&admin))
            .await;
        assert_eq!(q.json().as_array().unwrap().len(), 1);
        let q = t
            .get("/api/v1/admin/complaints?overdue=true", Some(&admin))
            .await;
        assert_eq!(q.json(), json!([]));

        // Reliability is for providers only.
        let r = t.get("/api/v1/provider/reliability", Some(&alice)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        let doc = t.get("/api/v1/openapi.json", None).await.json();
        for p in [
            "/api/v1/complaints",
            "/api/v1/complaints/{id}",
            "/api/v1/admin/complaints/{id}/notes",
            "/api/v1/provider/reliability",
        ] {
            assert!(
                doc["paths"][p].is_object(),
                "{p} missing from the OpenAPI document"
            );
        }
    }
);

backend_test!(
    pages_let_a_customer_follow_a_complaint_an_operator_handles_and_a_provider_see_its_score,
    |db: TestDb| async move {
        let t = TestApp::new(db).await;
        linli_app::seed::seed_demo(&t.app).await.unwrap();
        let pw = linli_app::seed::DEMO_PASSWORD;

        let mut me = Browser::new(&t);
        me.login(linli_app::seed::DEMO_CUSTOMERS[0].0, pw).await;
        let csrf = me.csrf("/complaints").await;
        let r = me
            .post_form(
                "/complaints",
                &[
                    ("_csrf", &csrf),
                    ("category", "charges"),
                    ("text", "多收了 50 元上门费"),
                    ("order_id", ""),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let at = r.location();
        assert!(at.starts_with("/complaints/"), "{at}");
        let id = at.trim_start_matches("/complaints/").to_owned();
        let page = me.get(&at).await;
        assert!(page.body.contains("多收了 50 元上门费"));
        assert!(page.body.contains("剩余 24h 0min"), "{}", page.body);
        let r = me
            .post_form(
                "/complaints",
                &[("_csrf", &csrf), ("category", "nope"), ("text", "x")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), "/complaints");
        assert!(me.get("/admin/complaints").await.status != StatusCode::OK);

        let mut op = Browser::new(&t);
        op.login(linli_app::seed::DEMO_ADMIN_PHONE, pw).await;
        let queue = op.get("/admin/complaints").await;
        assert_eq!(queue.status, StatusCode::OK);
        assert!(queue.body.contains(&id));
        let page = format!("/admin/complaints/{id}");
        let csrf = op.csrf(&page).await;
        let notes = format!("{page}/notes");
        op.post_form(
            &notes,
            &[
                ("_csrf", &csrf),
                ("kind", "internal"),
                ("text", "内部：核对收费单"),
            ],
        )
        .await;
        op.post_form(
            &notes,
            &[
                ("_csrf", &csrf),
                ("kind", "reply"),
                ("text", "已核实，将退还多收费用"),
            ],
        )
        .await;
        let r = op
            .post_form(
                &format!("{page}/status"),
                &[("_csrf", &csrf), ("status", "resolved")],
            )
            .await;
        assert_eq!(r.location(), page);
        assert!(op.get(&page).await.body.contains("内部：核对收费单"));

        let mine = me.get(&at).await.body;
        assert!(mine.contains("已核实，将退还多收费用"));
        assert!(mine.contains("已解决"));
        assert!(!mine.contains("内部：核对收费单"));

        let mut pro = Browser::new(&t);
        pro.login(linli_app::seed::DEMO_PROVIDER_PHONE, pw).await;
        let r = pro.get("/pro/reliability").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(
            r.body.contains("id=\"reliability-score\">100"),
            "{}",
            r.body
        );
        assert!(r.body.contains("href=\"/pro/reliability\""));
    }
);
