//! The JSON API end to end through the router, on SQLite and PostgreSQL: sign-up, tokens,
//! profile, addresses, admin, and bad input that must answer 4xx and change nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::type_complexity)] // test code

mod common;

use axum::http::StatusCode;
use common::TestApp;
use linli_testkit::{TestDb, backend_test};
use serde_json::json;

backend_test!(
    malformed_requests_get_clear_4xx_and_create_nothing,
    |db: TestDb| async move {
        let t = TestApp::new(db).await;
        let cases: Vec<(
            &str,
            &str,
            Option<serde_json::Value>,
            Option<&str>,
            StatusCode,
            &str,
        )> = vec![
            (
                "POST",
                "/api/v1/auth/register",
                Some(json!({"phone": "12345", "password": "secret123"})),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_phone",
            ),
            (
                "POST",
                "/api/v1/auth/register",
                Some(json!({"phone": "13911112222", "password": "short"})),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
                "weak_password",
            ),
            (
                "POST",
                "/api/v1/auth/register",
                Some(json!({"phone": "13911112222", "password": "secret123", "role": "admin"})),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
            ),
            (
                "POST",
                "/api/v1/auth/register",
                Some(json!({"password": "secret123"})),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
            ),
            (
                "POST",
                "/api/v1/auth/register",
                None,
                Some("{not json"),
                StatusCode::BAD_REQUEST,
                "malformed_json",
            ),
            (
                "POST",
                "/api/v1/auth/sms/send",
                Some(json!({"phone": "+1 555 0100"})),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_phone",
            ),
            (
                "POST",
                "/api/v1/auth/sms/login",
                Some(json!({"phone": "13911112222", "code": "12ab56"})),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
                "malformed_code",
            ),
            (
                "POST",
                "/api/v1/auth/sms/login",
                Some(json!({"phone": "13911112222", "code": "123456"})),
                None,
                StatusCode::BAD_REQUEST,
                "bad_code",
            ),
            (
                "POST",
                "/api/v1/auth/login",
                Some(json!({"phone": "13911112222", "password": "secret123"})),
                None,
                StatusCode::UNAUTHORIZED,
                "bad_credentials",
            ),
            (
                "POST",
                "/api/v1/auth/refresh",
                Some(json!({"refresh_token": "nope"})),
                None,
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
            ),
            (
                "GET",
                "/api/v1/nothing-here",
                None,
                None,
                StatusCode::NOT_FOUND,
                "not_found",
            ),
        ];
        for (method, path, body, raw, status, code) in cases {
            let r = match (body, raw) {
                (Some(b), _) => t.json(method, path, None, b).await,
                (None, Some(raw)) => {
                    t.raw(method, path, "application/json", raw.to_owned())
                        .await
                }
                (None, None) => t.get(path, None).await,
            };
            assert_eq!(r.status, status, "{method} {path}: {}", r.body);
            assert_eq!(r.code(), code, "{method} {path}: {}", r.body);
            assert!(!r.json()["message"].as_str().unwrap_or_default().is_empty());
        }
        let wrong_type = t
            .raw("POST", "/api/v1/auth/register", "text/plain", "phone=1")
            .await;
        assert_eq!(wrong_type.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let huge = format!(
            "{{\"phone\": \"13911112222\", \"password\": \"{}\"}}",
            "a1".repeat(40_000)
        );
        let too_big = t
            .raw("POST", "/api/v1/auth/register", "application/json", huge)
            .await;
        assert_eq!(
            too_big.status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{}",
            too_big.body
        );
        assert_eq!(t.user_count().await, 0, "no bad request created an account");
    }
);

backend_test!(
    a_malformed_id_in_a_path_is_a_400_and_someone_elses_address_a_404,
    |db: TestDb| async move {
        let t = TestApp::new(db).await;
        let alice = t.register("13911110001").await;
        let bob = t.register("13911110002").await;
        let addr = json!({"district_code": "310106", "detail": "南京西路 1266 号", "contact_name": "王", "contact_phone": "13911110001"});
        let created = t
            .json("POST", "/api/v1/me/addresses", Some(&alice), addr.clone())
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let a = created.json();
        assert_eq!(a["district_name"], "静安区");
        assert_eq!(a["contact_phone"], "139****0001");
        assert!(a["is_default"].as_bool().unwrap());
        let id = a["id"].as_str().unwrap();

        let bad = t.get("/api/v1/me/addresses/not-an-id", Some(&alice)).await;
        assert_eq!(
            (bad.status, bad.code().as_str()),
            (StatusCode::BAD_REQUEST, "malformed_id")
        );
        let foreign = t
            .get(&format!("/api/v1/me/addresses/{id}"), Some(&bob))
            .await;
        assert_eq!(
            (foreign.status, foreign.code().as_str()),
            (StatusCode::NOT_FOUND, "not_found")
        );
        let hijack = t
            .json(
                "PUT",
                &format!("/api/v1/me/addresses/{id}"),
                Some(&bob),
                addr.clone(),
            )
            .await;
        assert_eq!(hijack.status, StatusCode::NOT_FOUND);
        let del = t
            .json(
                "DELETE",
                &format!("/api/v1/me/addresses/{id}"),
                Some(&bob),
                json!({}),
            )
            .await;
        assert_eq!(del.status, StatusCode::NOT_FOUND);
        let bad_district = t.json("POST", "/api/v1/me/addresses", Some(&alice), json!({"district_code": "110101", "detail": "x路1号", "contact_name": "王", "contact_phone": "13911110001"})).await;
        assert_eq!(
            (bad_district.status, bad_district.code().as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "unknown_district")
        );
        let mine = t.get("/api/v1/me/addresses", Some(&alice)).await.json();
        assert_eq!(mine.as_array().unwrap().len(), 1);
        assert_eq!(mine[0]["detail"], "南京西路 1266 号");
    }
);

backend_test!(
    sms_login_over_the_api_with_limits_and_burned_codes,
    |db: TestDb| async move {
        let t = TestApp::new(db).await;
        let send = t
            .json(
                "POST",
                "/api/v1/auth/sms/send",
                None,
                json!({"phone": "139 1111 0003"}),
            )
            .await;
        assert_eq!(send.status, StatusCode::ACCEPTED, "{}", send.body);
        let again = t
            .json(
                "POST",
                "/api/v1/auth/sms/send",
                None,
                json!({"phone": "13911110003"}),
            )
            .await;
        assert_eq!(
            (again.status, again.code().as_str()),
            (StatusCode::TOO_MANY_REQUESTS, "sms_cooldown")
        );
        assert!(again.headers.get("retry-after").is_some());
        let code = t.last_code().await;
        let wrong = if code == "000000" { "111111" } else { "000000" };
        for _ in 0..5 {
            let r = t
                .json(
                    "POST",
                    "/api/v1/auth/sms/login",
                    None,
                    json!({"phone": "13911110003", "code": wrong}),
                )
                .await;
            assert_eq!(r.code(), "bad_code");
        }
        let sixth = t
            .json(
                "POST",
                "/api/v1/auth/sms/login",
                None,
                json!({"phone": "13911110003", "code": code}),
            )
            .await;
        assert_eq!(
            (sixth.status, sixth.code().as_str()),
            (StatusCode::BAD_REQUEST, "bad_code"),
            "burned after five wrong tries"
        );
        assert_eq!(t.user_count().await, 0);

        t.clock.advance_secs(60);
        t.json(
            "POST",
            "/api/v1/auth/sms/send",
            None,
            json!({"phone": "13911110003"}),
        )
        .await;
        let code = t.last_code().await;
        t.clock.advance_secs(5 * 60);
        let expired = t
            .json(
                "POST",
                "/api/v1/auth/sms/login",
                None,
                json!({"phone": "13911110003", "code": code}),
            )
            .await;
        assert_eq!(
            expired.code(),
            "bad_code",
            "codes expire after five minutes"
        );

        t.json(
            "POST",
            "/api/v1/auth/sms/send",
            None,
            json!({"phone": "13911110003"}),
        )
        .await;
        let code = t.last_code().await;
        let ok = t
            .json(
                "POST",
                "/api/v1/auth/sms/login",
                None,
                json!({"phone": "13911110003", "code": code}),
            )
            .await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
        assert_eq!(
            t.user_count().await,
            1,
            "the first SMS login creates the account"
        );
    }
);

backend_test!(
    tokens_rotate_logout_revokes_and_password_change_ends_other_logins,
    |db: TestDb| async move {
        let t = TestApp::new(db).await;
        let reg = t
            .json(
                "POST",
                "/api/v1/auth/register",
                None,
                json!({"phone": "13911110004", "password": "secret123", "nickname": "小李"}),
            )
            .await;
        let first = reg.json();
        let access = first["access_token"].as_str().unwrap();
        let me = t.get("/api/v1/me", Some(access)).await.json();
        assert_eq!(me["phone"], "13911110004", "the owner sees the full number");
        assert_eq!(me["nickname"], "小李");

        let rotated = t
            .json(
                "POST",
                "/api/v1/auth/refresh",
                None,
                json!({"refresh_token": first["refresh_token"]}),
            )
            .await;
        assert_eq!(rotated.status, StatusCode::OK);
        let second = rotated.json();
        assert_eq!(
            t.get("/api/v1/me", Some(access)).await.status,
            StatusCode::UNAUTHORIZED,
            "the old access token died"
        );
        let access2 = second["access_token"].as_str().unwrap();
        assert_eq!(
            t.get("/api/v1/me", Some(access2)).await.status,
            StatusCode::OK
        );

        let other = t
            .json(
                "POST",
                "/api/v1/auth/login",
                None,
                json!({"phone": "13911110004", "password": "secret123"}),
            )
            .await
            .json();
        let other_access = other["access_token"].as_str().unwrap();
        let wrong_old = t
            .json(
                "POST",
                "/api/v1/me/password",
                Some(access2),
                json!({"old_password": "nope12345", "new_password": "newpass123"}),
            )
            .await;
        assert_eq!(wrong_old.code(), "bad_credentials");
        let changed = t
            .json(
                "POST",
                "/api/v1/me/password",
                Some(access2),
                json!({"old_password": "secret123", "new_password": "newpass123"}),
            )
            .await;
        assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.body);
        assert_eq!(
            t.get("/api/v1/me", Some(other_access)).await.status,
            StatusCode::UNAUTHORIZED,
            "other logins end"
        );
        assert_eq!(
            t.get("/api/v1/me", Some(access2)).await.status,
            StatusCode::OK,
            "this login stays"
        );

        let out = t
            .json("POST", "/api/v1/auth/logout", Some(access2), json!({}))
            .await;
        assert_eq!(out.status, StatusCode::NO_CONTENT);
        assert_eq!(
            t.get("/api/v1/me", Some(access2)).await.status,
            StatusCode::UNAUTHORIZED
        );
        let refresh_after_logout = t
            .json(
                "POST",
                "/api/v1/auth/refresh",
                None,
                json!({"refresh_token": second["refresh_token"]}),
            )
            .await;
        assert_eq!(refresh_after_logout.status, StatusCode::UNAUTHORIZED);
    }
);

backend_test!(
    operators_see_masked_phones_and_manage_roles_over_the_api,
    |db: TestDb| async move {
        let t = TestApp::new(db).await;
        let admin = t.admin_token().await;
        let customer = t.register("13911110005").await;
        assert_eq!(
            t.get("/api/v1/admin/users", Some(&customer)).await.status,
            StatusCode::FORBIDDEN
        );
        let users = t.get("/api/v1/admin/users?phone=0005", Some(&admin)).await;
        assert_eq!(users.status, StatusCode::OK, "{}", users.body);
        assert_eq!(users.json()["total"], 1);
        assert!(
            !users.body.contains("13911110005"),
            "full phone leaked: {}",
            users.body
        );
        assert!(users.body.contains("139****0005"));
        let bad_query = t.get("/api/v1/admin/users?page=abc", Some(&admin)).await;
        assert_eq!(bad_query.status, StatusCode::BAD_REQUEST);

        let role = t
            .json(
                "POST",
                "/api/v1/admin/roles",
                Some(&admin),
                json!({"name": "客服", "permissions": ["console.access", "users.view"]}),
            )
            .await;
        assert_eq!(role.status, StatusCode::CREATED, "{}", role.body);
        let role_id = role.json()["id"].as_str().unwrap().to_owned();
        let dup = t
            .json(
                "POST",
                "/api/v1/admin/roles",
                Some(&admin),
                json!({"name": "客服", "permissions": []}),
            )
            .await;
        assert_eq!(
            (dup.status, dup.code().as_str()),
            (StatusCode::CONFLICT, "role_name_taken")
        );
        let unknown = t
            .json(
                "POST",
                "/api/v1/admin/roles",
                Some(&admin),
                json!({"name": "x", "permissions": ["everything"]}),
            )
            .await;
        assert_eq!(
            (unknown.status, unknown.code().as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "unknown_permission")
        );

        let grant = t
            .json(
                "POST",
                "/api/v1/admin/staff",
                Some(&admin),
                json!({"phone": "13911110005", "role_id": role_id}),
            )
            .await;
        assert_eq!(grant.status, StatusCode::NO_CONTENT, "{}", grant.body);
        assert_eq!(
            t.get("/api/v1/admin/users", Some(&customer)).await.status,
            StatusCode::OK,
            "the role took effect"
        );
        assert_eq!(
            t.get("/api/v1/admin/roles", Some(&customer)).await.status,
            StatusCode::FORBIDDEN,
            "but only its permissions"
        );

        let users = t
            .get("/api/v1/admin/users?phone=0005", Some(&admin))
            .await
            .json();
        let uid = users["users"][0]["id"].as_str().unwrap().to_owned();
        let off = t
            .json(
                "POST",
                &format!("/api/v1/admin/users/{uid}/status"),
                Some(&admin),
                json!({"active": false}),
            )
            .await;
        assert_eq!(off.status, StatusCode::NO_CONTENT);
        assert_eq!(
            t.get("/api/v1/me", Some(&customer)).await.status,
            StatusCode::UNAUTHORIZED,
            "disabling ends sessions"
        );
        let login = t
            .json(
                "POST",
                "/api/v1/auth/login",
                None,
                json!({"phone": "13911110005", "password": "secret123"}),
            )
            .await;
        assert_eq!(
            (login.status, login.code().as_str()),
            (StatusCode::FORBIDDEN, "account_disabled")
        );
    }
);

backend_test!(
    avatar_uploads_are_sniffed_and_served,
    |db: TestDb| async move {
        let t = TestApp::new(db).await;
        let token = t.register("13911110006").await;
        // A real 1×1 transparent PNG (decoded and re-encoded by the upload path).
        let png: Vec<u8> = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=",
    )
    .unwrap();
        let req = axum::http::Request::put("/api/v1/me/avatar")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "image/png")
            .body(axum::body::Body::from(png.clone()))
            .unwrap();
        let r = t.send(req).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let url = r.json()["avatar_url"].as_str().unwrap().to_owned();
        assert!(url.starts_with("/files/avatars/") && url.ends_with(".png"));
        let served = t.get(&url, None).await;
        assert_eq!(served.status, StatusCode::OK);
        assert_eq!(served.headers["content-type"], "image/png");

        let svg = axum::http::Request::put("/api/v1/me/avatar")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "image/png")
            .body(axum::body::Body::from("<svg onload=alert(1)>"))
            .unwrap();
        let r = t.send(svg).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (StatusCode::BAD_REQUEST, "bad_upload")
        );
        let me = t.get("/api/v1/me", Some(&token)).await.json();
        assert_eq!(
            me["avatar_url"],
            url.as_str(),
            "a refused upload changed nothing"
        );
    }
);
