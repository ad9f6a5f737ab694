//! Provider onboarding through the API on both backends: multipart applications with photos,
//! the review queue, audited identity reveal, private documents and public profiles.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod common;

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use common::TestApp;
use linli_testkit::{TestDb, backend_test};
use serde_json::json;

/// A real 2×2 opaque PNG.
fn png() -> Vec<u8> {
    base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4z8AARAwQCgAf7gP9i18U1AAAAABJRU5ErkJggg==",
    )
    .unwrap()
}

const BOUNDARY: &str = "linliTestBoundary7MA4YWxk";

fn multipart(fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (name, bytes) in files {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"photo.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

const FIELDS: &[(&str, &str)] = &[
    ("kind", "individual"),
    ("display_name", "李师傅家电维修"),
    ("real_name", "李建国"),
    ("id_number", "11010519491231002X"),
    ("categories", "appliance"),
    ("categories", "appliance-ac"),
    ("districts", "310107"),
    ("districts", "310105"),
    ("intro", "空调、洗衣机维修十五年，持电工证上岗。"),
    ("qualification_expires_on", "2029-03-31"),
];

async fn apply(t: &TestApp, token: &str, body: Vec<u8>) -> common::Reply {
    let req = Request::post("/api/v1/provider/application")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(body))
        .unwrap();
    t.send(req).await
}

backend_test!(
    a_customer_applies_over_the_api_and_an_operator_approves,
    |db: TestDb| async move {
        let t = TestApp::new(db).await;
        let applicant = t.register("13911130001").await;
        assert_eq!(
            t.get("/api/v1/provider/application", Some(&applicant))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        let r = apply(
            &t,
            &applicant,
            multipart(FIELDS, &[("qualification", &png())]),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let app = r.json();
        assert_eq!(app["status"], "pending");
        assert_eq!(app["real_name"], "李**");
        assert!(
            !r.body.contains("11010519491231002X") && !r.body.contains("李建国"),
            "identity masked in responses"
        );
        let id = app["id"].as_str().unwrap().to_owned();
        let doc = app["documents"][0]["id"].as_str().unwrap().to_owned();

        assert_eq!(
            t.get(&format!("/api/v1/providers/{id}"), None).await.status,
            StatusCode::NOT_FOUND,
            "not public before approval"
        );
        assert_eq!(
            t.get("/api/v1/admin/providers", Some(&applicant))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        let other = t.register("13911130002").await;
        assert_eq!(
            t.get(&format!("/api/v1/documents/{doc}"), Some(&other))
                .await
                .status,
            StatusCode::NOT_FOUND,
            "documents are private"
        );
        let mine = t
            .get(
                &format!("/api/v1/documents/{doc}?thumb=true"),
                Some(&applicant),
            )
            .await;
        assert_eq!(mine.status, StatusCode::OK);
        assert_eq!(mine.headers["cache-control"], "private, no-store");

        let admin = t.admin_token().await;
        let queue = t.get("/api/v1/admin/providers", Some(&admin)).await.json();
        assert_eq!(queue["total"], 1);
        let bad = t
            .json(
                "POST",
                &format!("/api/v1/admin/providers/{id}/review"),
                Some(&admin),
                json!({"action": "reject"}),
            )
            .await;
        assert_eq!(
            bad.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a rejection needs a reason"
        );
        let weird = t
            .json(
                "POST",
                &format!("/api/v1/admin/providers/{id}/review"),
                Some(&admin),
                json!({"action": "ban"}),
            )
            .await;
        assert_eq!(weird.code(), "invalid_value");
        let ok = t
            .json(
                "POST",
                &format!("/api/v1/admin/providers/{id}/review"),
                Some(&admin),
                json!({"action": "approve"}),
            )
            .await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
        let again = t
            .json(
                "POST",
                &format!("/api/v1/admin/providers/{id}/review"),
                Some(&admin),
                json!({"action": "reject", "note": "重复操作"}),
            )
            .await;
        assert_eq!(
            (again.status, again.code().as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_transition")
        );

        let profile = t.get(&format!("/api/v1/providers/{id}"), None).await;
        assert_eq!(profile.status, StatusCode::OK);
        let p = profile.json();
        assert_eq!(p["display_name"], "李师傅家电维修");
        assert_eq!(p["verified_identity"], true);
        assert_eq!(p["districts"], json!(["长宁区", "普陀区"]));
        assert!(!profile.body.contains("李建国"));

        let reveal = t
            .json(
                "POST",
                &format!("/api/v1/admin/providers/{id}/reveal"),
                Some(&admin),
                json!({}),
            )
            .await;
        assert_eq!(reveal.json()["id_number"], "11010519491231002X");
        assert_eq!(
            t.json(
                "POST",
                &format!("/api/v1/admin/providers/{id}/reveal"),
                Some(&applicant),
                json!({})
            )
            .await
            .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            t.get("/api/v1/providers/not-an-id", None).await.code(),
            "malformed_id"
        );
    }
);

backend_test!(
    disguised_and_oversized_uploads_are_refused_and_nothing_is_stored,
    |db: TestDb| async move {
        let t = TestApp::new(db).await;
        let token = t.register("13911130003").await;
        let html = apply(
            &t,
            &token,
            multipart(
                FIELDS,
                &[("qualification", b"<html><body>not an image</body></html>")],
            ),
        )
        .await;
        assert_eq!(
            (html.status, html.code().as_str()),
            (StatusCode::BAD_REQUEST, "bad_upload")
        );
        let svg = apply(
            &t,
            &token,
            multipart(
                FIELDS,
                &[(
                    "qualification",
                    b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
                )],
            ),
        )
        .await;
        assert_eq!(svg.code(), "bad_upload");
        let huge = vec![0xFFu8; 50 * 1024 * 1024];
        let big = apply(&t, &token, multipart(FIELDS, &[("qualification", &huge)])).await;
        assert!(
            matches!(
                big.status,
                StatusCode::PAYLOAD_TOO_LARGE | StatusCode::BAD_REQUEST
            ),
            "{}",
            big.status
        );
        let no_photo = apply(&t, &token, multipart(FIELDS, &[])).await;
        assert_eq!(no_photo.code(), "bad_upload");
        let json_body = t
            .json(
                "POST",
                "/api/v1/provider/application",
                Some(&token),
                json!({"kind": "individual"}),
            )
            .await;
        assert_eq!(json_body.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(
            t.get("/api/v1/provider/application", Some(&token))
                .await
                .status,
            StatusCode::NOT_FOUND,
            "nothing stored"
        );
    }
);

backend_test!(
    provider_documents_are_never_served_as_public_files,
    |db: TestDb| async move {
        let t = TestApp::new(db).await;
        let token = t.register("13911130004").await;
        let r = apply(&t, &token, multipart(FIELDS, &[("qualification", &png())])).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id: linli_domain::ids::ProviderId = r.json()["id"].as_str().unwrap().parse().unwrap();
        let doc = t.app.store.provider_documents(id).await.unwrap().remove(0);
        assert!(doc.photo.starts_with("documents/"));
        assert_eq!(
            t.get(&format!("/files/{}", doc.photo), None).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            t.get(&format!("/files/{}", doc.thumb), None).await.status,
            StatusCode::NOT_FOUND
        );
    }
);

/// An approved provider's access token (applies over the API, the operator approves).
async fn approved_provider(t: &TestApp, phone: &str, admin: &str) -> String {
    let token = t.register(phone).await;
    let r = apply(t, &token, multipart(FIELDS, &[("qualification", &png())])).await;
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let ok = t
        .json(
            "POST",
            &format!("/api/v1/admin/providers/{id}/review"),
            Some(admin),
            json!({"action": "approve"}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    token
}

fn listing_json(description: &str) -> serde_json::Value {
    json!({
        "category": "appliance-ac", "title": "空调清洗 上门服务", "description": description,
        "unit": "item", "price": "88", "min_units": 1, "minutes": 90,
        "options": [{"kind": "variant", "name": "柜机", "price_fen": 12800, "minutes": 120}],
        "sop": [{"text": "检查空调运行", "photo": false}, {"text": "拆洗滤网", "photo": true}]
    })
}

backend_test!(
    a_provider_publishes_a_listing_over_the_api_and_script_stays_text,
    |db: TestDb| async move {
        let t = TestApp::new(db).await;
        let admin = t.admin_token().await;
        let provider = approved_provider(&t, "13911130010", &admin).await;
        let customer = t.register("13911130011").await;
        let refused = t
            .json(
                "POST",
                "/api/v1/provider/listings",
                Some(&customer),
                listing_json("普通描述内容足够长"),
            )
            .await;
        assert_eq!(
            (refused.status, refused.code().as_str()),
            (StatusCode::CONFLICT, "provider_not_approved")
        );

        let created = t
            .json(
                "POST",
                "/api/v1/provider/listings",
                Some(&provider),
                listing_json("<script>alert('x')</script> 专业空调清洗"),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let id = created.json()["id"].as_str().unwrap().to_owned();
        let no_photo = t
            .json(
                "POST",
                &format!("/api/v1/provider/listings/{id}/submit"),
                Some(&provider),
                json!({}),
            )
            .await;
        assert_eq!(no_photo.code(), "bad_upload");
        let req = Request::post(format!("/api/v1/provider/listings/{id}/photos"))
            .header(header::AUTHORIZATION, format!("Bearer {provider}"))
            .header(header::CONTENT_TYPE, "image/png")
            .body(Body::from(png()))
            .unwrap();
        let photo = t.send(req).await;
        assert_eq!(photo.status, StatusCode::OK, "{}", photo.body);
        assert_eq!(photo.json()["photos"].as_array().unwrap().len(), 1);
        assert_eq!(
            t.get(&format!("/api/v1/listings/{id}"), None).await.status,
            StatusCode::NOT_FOUND,
            "drafts are private"
        );
        let live = t
            .json(
                "POST",
                &format!("/api/v1/provider/listings/{id}/submit"),
                Some(&provider),
                json!({}),
            )
            .await;
        assert_eq!(live.json()["status"], "published", "{}", live.body);
        let public = t.get(&format!("/api/v1/listings/{id}"), None).await.json();
        assert_eq!(public["price"], "¥88.00");
        let thumb = public["photos"][0]["thumb_url"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            t.get(&thumb, None).await.status,
            StatusCode::OK,
            "listing photos are public"
        );

        let page = t.get(&format!("/services/{id}"), None).await;
        assert_eq!(page.status, StatusCode::OK);
        let escaped =
            page.body.contains("&lt;script&gt;") || page.body.contains("&#60;script&#62;");
        assert!(
            escaped && !page.body.contains("<script>alert"),
            "script is shown as text"
        );

        let other = approved_provider(&t, "13911130012", &admin).await;
        let hijack = t
            .json(
                "PUT",
                &format!("/api/v1/provider/listings/{id}"),
                Some(&other),
                listing_json("我来改别人的服务内容"),
            )
            .await;
        assert_eq!(hijack.status, StatusCode::NOT_FOUND);
        let off = t
            .json(
                "POST",
                &format!("/api/v1/provider/listings/{id}/offline"),
                Some(&other),
                json!({}),
            )
            .await;
        assert_eq!(off.status, StatusCode::NOT_FOUND);
        assert_eq!(
            t.get(&format!("/api/v1/listings/{id}"), None).await.status,
            StatusCode::OK,
            "still live"
        );
    }
);

backend_test!(
    an_address_outside_every_zone_is_not_served_and_zone_surcharges_show,
    |db: TestDb| async move {
        let t = TestApp::new(db).await;
        let admin = t.admin_token().await;
        let provider = approved_provider(&t, "13911130020", &admin).await;
        let areas = t
            .get("/api/v1/provider/areas", Some(&provider))
            .await
            .json();
        assert_eq!(
            areas.as_array().unwrap().len(),
            1,
            "the application's districts became the first zone"
        );
        let created = t
            .json(
                "POST",
                "/api/v1/provider/listings",
                Some(&provider),
                listing_json("专业空调清洗，深度拆洗。"),
            )
            .await;
        let id = created.json()["id"].as_str().unwrap().to_owned();
        let req = Request::post(format!("/api/v1/provider/listings/{id}/photos"))
            .header(header::AUTHORIZATION, format!("Bearer {provider}"))
            .body(Body::from(png()))
            .unwrap();
        assert_eq!(t.send(req).await.status, StatusCode::OK);
        t.json(
            "POST",
            &format!("/api/v1/provider/listings/{id}/submit"),
            Some(&provider),
            json!({}),
        )
        .await;

        let inside = t
            .get(
                &format!("/api/v1/listings/{id}/coverage?district=310107"),
                None,
            )
            .await
            .json();
        assert_eq!(
            (inside["served"].as_bool(), inside["surcharge"].as_str()),
            (Some(true), Some("¥0.00"))
        );
        let outside = t
            .get(
                &format!("/api/v1/listings/{id}/coverage?district=310151"),
                None,
            )
            .await
            .json();
        assert_eq!(outside["served"], false);
        let page = t
            .get(&format!("/services/{id}?district=310151"), None)
            .await;
        assert!(page.body.contains("不在服务范围"), "the page says so");

        let zone = t
            .json(
                "POST",
                "/api/v1/provider/areas",
                Some(&provider),
                json!({"kind": "radius", "center": "310101", "km": 8, "surcharge": "20"}),
            )
            .await;
        assert_eq!(zone.status, StatusCode::CREATED, "{}", zone.body);
        let jingan = t
            .get(
                &format!("/api/v1/listings/{id}/coverage?district=310106"),
                None,
            )
            .await
            .json();
        assert_eq!(
            (jingan["served"].as_bool(), jingan["surcharge"].as_str()),
            (Some(true), Some("¥20.00"))
        );
        let page = t
            .get(&format!("/services/{id}?district=310106"), None)
            .await;
        assert!(
            page.body.contains("上门附加费 ¥20.00"),
            "the surcharge is explained"
        );
        let bad = t
            .json(
                "POST",
                "/api/v1/provider/areas",
                Some(&provider),
                json!({"kind": "radius", "center": "310101", "km": 500}),
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let customer = t.register("13911130021").await;
        assert_eq!(
            t.json(
                "POST",
                "/api/v1/provider/areas",
                Some(&customer),
                json!({"kind": "districts", "districts": ["310101"]})
            )
            .await
            .code(),
            "provider_not_approved"
        );
        assert_eq!(
            t.get(
                &format!("/api/v1/listings/{id}/coverage?district=999999"),
                None
            )
            .await
            .code(),
            "unknown_district"
        );
    }
);

backend_test!(
    customers_save_services_follow_providers_and_browse_categories,
    |db: TestDb| async move {
        let t = TestApp::new(db).await;
        let admin = t.admin_token().await;
        let provider = approved_provider(&t, "13911130030", &admin).await;
        let created = t
            .json(
                "POST",
                "/api/v1/provider/listings",
                Some(&provider),
                listing_json("空调深度清洗，拆洗滤网。"),
            )
            .await;
        let id = created.json()["id"].as_str().unwrap().to_owned();
        let provider_id = created.json()["provider_id"].as_str().unwrap().to_owned();
        let customer = t.register("13911130031").await;
        assert_eq!(
            t.json(
                "PUT",
                &format!("/api/v1/me/favourites/{id}"),
                Some(&customer),
                json!({})
            )
            .await
            .status,
            StatusCode::NOT_FOUND,
            "a draft cannot be saved"
        );
        let req = Request::post(format!("/api/v1/provider/listings/{id}/photos"))
            .header(header::AUTHORIZATION, format!("Bearer {provider}"))
            .body(Body::from(png()))
            .unwrap();
        t.send(req).await;
        t.json(
            "POST",
            &format!("/api/v1/provider/listings/{id}/submit"),
            Some(&provider),
            json!({}),
        )
        .await;

        let cat = t
            .get("/api/v1/categories/appliance/listings", None)
            .await
            .json();
        assert_eq!(
            cat["total"], 1,
            "the top-level category includes its children"
        );
        assert_eq!(cat["listings"][0]["id"], id.as_str());
        assert_eq!(
            t.get("/api/v1/categories/nope/listings", None).await.status,
            StatusCode::NOT_FOUND
        );
        assert!(
            t.get("/categories/appliance", None)
                .await
                .body
                .contains("空调清洗 上门服务")
        );

        for _ in 0..2 {
            assert_eq!(
                t.json(
                    "PUT",
                    &format!("/api/v1/me/favourites/{id}"),
                    Some(&customer),
                    json!({})
                )
                .await
                .status,
                StatusCode::NO_CONTENT
            );
        }
        assert_eq!(
            t.get("/api/v1/me/favourites", Some(&customer))
                .await
                .json()
                .as_array()
                .unwrap()
                .len(),
            1,
            "idempotent"
        );
        t.json(
            "DELETE",
            &format!("/api/v1/me/favourites/{id}"),
            Some(&customer),
            json!({}),
        )
        .await;
        assert!(
            t.get("/api/v1/me/favourites", Some(&customer))
                .await
                .json()
                .as_array()
                .unwrap()
                .is_empty()
        );

        assert_eq!(
            t.json(
                "PUT",
                &format!("/api/v1/me/follows/{provider_id}"),
                Some(&customer),
                json!({})
            )
            .await
            .status,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            t.get("/api/v1/me/follows", Some(&customer)).await.json()[0]["id"],
            provider_id.as_str()
        );
        assert!(
            t.get(&format!("/providers/{provider_id}"), None)
                .await
                .body
                .contains("1 人关注")
        );
        assert_eq!(
            t.json(
                "PUT",
                "/api/v1/me/follows/not-an-id",
                Some(&customer),
                json!({})
            )
            .await
            .code(),
            "malformed_id"
        );
    }
);

backend_test!(
    a_published_service_is_found_by_a_two_character_query_with_highlights,
    |db: TestDb| async move {
        let t = TestApp::new(db).await;
        let admin = t.admin_token().await;
        let provider = approved_provider(&t, "13911130040", &admin).await;
        let created = t
            .json(
                "POST",
                "/api/v1/provider/listings",
                Some(&provider),
                listing_json("挂机柜机都能洗，<b>高温蒸汽</b>杀菌。"),
            )
            .await;
        let id = created.json()["id"].as_str().unwrap().to_owned();
        let req = Request::post(format!("/api/v1/provider/listings/{id}/photos"))
            .header(header::AUTHORIZATION, format!("Bearer {provider}"))
            .body(Body::from(png()))
            .unwrap();
        t.send(req).await;
        t.json(
            "POST",
            &format!("/api/v1/provider/listings/{id}/submit"),
            Some(&provider),
            json!({}),
        )
        .await;
        t.app.index_pending().await.unwrap();

        let r = t.get("/api/v1/search?q=空调", None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let page = r.json();
        assert_eq!(page["total"], 1);
        assert_eq!(page["hits"][0]["listing"]["id"], id.as_str());
        assert!(
            page["hits"][0]["title_html"]
                .as_str()
                .unwrap()
                .contains("<em>空调</em>")
        );
        let snippet = page["hits"][0]["snippet_html"].as_str().unwrap();
        assert!(
            !snippet.contains("<b>") && snippet.contains("&lt;b&gt;"),
            "user HTML is escaped in the highlighted snippet: {snippet}"
        );
        assert_eq!(page["categories"][0]["value"], "appliance-ac");
        assert_eq!(
            t.get("/api/v1/search?q=开锁", None).await.json()["total"],
            0
        );
        assert_eq!(
            t.get("/api/v1/search?q=空调&district=310151", None)
                .await
                .json()["total"],
            0,
            "outside the area"
        );
        assert_eq!(
            t.get("/api/v1/search?q=空调&district=310107", None)
                .await
                .json()["total"],
            1
        );
        assert_eq!(
            t.get("/api/v1/search?sort=random", None).await.code(),
            "invalid_value"
        );
        assert_eq!(
            t.get("/api/v1/search?page=abc", None).await.code(),
            "invalid_query"
        );
        let html = t.get("/search?q=空调", None).await;
        assert!(
            html.body.contains("<em>空调</em>") && html.body.contains(&format!("/services/{id}"))
        );
        let bad = t.get("/search?page=-1", None).await;
        assert_eq!(
            bad.status,
            StatusCode::BAD_REQUEST,
            "a malformed search is a friendly 400"
        );

        t.json(
            "POST",
            &format!("/api/v1/provider/listings/{id}/offline"),
            Some(&provider),
            json!({}),
        )
        .await;
        t.app.index_pending().await.unwrap();
        assert_eq!(
            t.get("/api/v1/search?q=空调", None).await.json()["total"],
            0,
            "offline services leave the index"
        );
    }
);

backend_test!(
    synonyms_history_hot_words_and_pinned_words,
    |db: TestDb| async move {
        let t = TestApp::new(db).await;
        let admin = t.admin_token().await;
        let provider = approved_provider(&t, "13911130050", &admin).await;
        let mut l = listing_json("专业上门，十年经验。");
        l["category"] = json!("cleaning-daily");
        l["title"] = json!("日常保洁 两小时");
        let created = t
            .json("POST", "/api/v1/provider/listings", Some(&provider), l)
            .await;
        let id = created.json()["id"].as_str().unwrap().to_owned();
        let req = Request::post(format!("/api/v1/provider/listings/{id}/photos"))
            .header(header::AUTHORIZATION, format!("Bearer {provider}"))
            .body(Body::from(png()))
            .unwrap();
        t.send(req).await;
        t.json(
            "POST",
            &format!("/api/v1/provider/listings/{id}/submit"),
            Some(&provider),
            json!({}),
        )
        .await;
        t.app.index_pending().await.unwrap();

        assert_eq!(
            t.get("/api/v1/search?q=打扫", None).await.json()["total"],
            0,
            "no synonyms yet"
        );
        let g = t
            .json(
                "POST",
                "/api/v1/admin/search/synonyms",
                Some(&admin),
                json!({"words": ["保洁", "清洁", "打扫"]}),
            )
            .await;
        assert_eq!(g.status, StatusCode::CREATED, "{}", g.body);
        assert_eq!(
            t.get("/api/v1/search?q=打扫", None).await.json()["total"],
            1,
            "打扫 finds 保洁 once the group exists"
        );
        let one = t
            .json(
                "POST",
                "/api/v1/admin/search/synonyms",
                Some(&admin),
                json!({"words": ["保洁"]}),
            )
            .await;
        assert_eq!(one.status, StatusCode::UNPROCESSABLE_ENTITY);
        let gid = g.json()["id"].as_str().unwrap().to_owned();
        t.json(
            "DELETE",
            &format!("/api/v1/admin/search/synonyms/{gid}"),
            Some(&admin),
            json!({}),
        )
        .await;
        assert_eq!(
            t.get("/api/v1/search?q=打扫", None).await.json()["total"],
            0,
            "removing the group takes effect at once"
        );

        let customer = t.register("13911130051").await;
        for q in ["保洁", "保洁", "保洁", "保洁", "空调"] {
            t.get(&format!("/api/v1/search?q={q}"), Some(&customer))
                .await;
        }
        let s = t
            .get("/api/v1/search/suggestions", Some(&customer))
            .await
            .json();
        assert_eq!(
            s["history"],
            json!(["空调", "保洁"]),
            "distinct, newest first"
        );
        assert_eq!(s["hot"][0], "保洁", "the most searched word leads");
        assert_eq!(
            t.json(
                "DELETE",
                "/api/v1/me/search-history",
                Some(&customer),
                json!({})
            )
            .await
            .status,
            StatusCode::NO_CONTENT
        );
        let s = t
            .get("/api/v1/search/suggestions", Some(&customer))
            .await
            .json();
        assert_eq!(s["history"], json!([]));
        assert_eq!(
            s["hot"][0], "保洁",
            "clearing history keeps the anonymous hot words"
        );
        let pinned = t
            .json(
                "PUT",
                "/api/v1/admin/search/pinned",
                Some(&admin),
                json!({"words": ["保洁", "开锁"]}),
            )
            .await;
        assert_eq!(pinned.status, StatusCode::OK);
        assert_eq!(
            t.get("/api/v1/search/suggestions", None).await.json()["pinned"],
            json!(["保洁", "开锁"])
        );
        assert_eq!(
            t.json(
                "PUT",
                "/api/v1/admin/search/pinned",
                Some(&customer),
                json!({"words": []})
            )
            .await
            .status,
            StatusCode::FORBIDDEN
        );
        let page = t.get("/search", None).await;
        assert!(page.body.contains("推荐搜索") && page.body.contains("热门搜索"));
    }
);

backend_test!(
    operators_manage_categories_and_attributes_that_listings_must_fill,
    |db: TestDb| async move {
        let t = TestApp::new(db).await;
        let admin = t.admin_token().await;
        let provider = approved_provider(&t, "13911130060", &admin).await;
        let added = t.json("POST", "/api/v1/admin/categories", Some(&admin), json!({"parent": "cleaning", "slug": "cleaning-sofa", "name_zh": "沙发清洗", "name_en": "Sofa cleaning"})).await;
        assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
        assert_eq!(
            t.json(
                "POST",
                "/api/v1/admin/categories",
                Some(&admin),
                json!({"slug": "cleaning-sofa", "name_zh": "x", "name_en": "x"})
            )
            .await
            .code(),
            "slug_taken"
        );
        assert_eq!(
            t.json(
                "POST",
                "/api/v1/admin/categories",
                Some(&admin),
                json!({"slug": "Bad Slug!", "name_zh": "x", "name_en": "x"})
            )
            .await
            .status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        let area = t.json("POST", "/api/v1/admin/categories/appliance-ac/attributes", Some(&admin), json!({"name": "匹数", "kind": "choice", "options": ["1匹,1.5匹,2匹"], "required": true})).await;
        assert_eq!(area.status, StatusCode::CREATED, "{}", area.body);
        t.json(
            "POST",
            "/api/v1/admin/categories/appliance-ac/attributes",
            Some(&admin),
            json!({"name": "面积", "kind": "number", "unit": "㎡"}),
        )
        .await;
        let attrs = t
            .get("/api/v1/categories/appliance-ac/attributes", None)
            .await
            .json();
        assert_eq!(attrs.as_array().unwrap().len(), 2);
        assert_eq!(
            t.json(
                "POST",
                "/api/v1/admin/categories/appliance-ac/attributes",
                Some(&provider),
                json!({"name": "x", "kind": "text"})
            )
            .await
            .status,
            StatusCode::FORBIDDEN
        );

        let missing = t
            .json(
                "POST",
                "/api/v1/provider/listings",
                Some(&provider),
                listing_json("空调清洗服务内容说明。"),
            )
            .await;
        assert_eq!(
            missing.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a required attribute is missing: {}",
            missing.body
        );
        let mut l = listing_json("空调清洗服务内容说明。");
        l["attributes"] = json!([["匹数", "3匹"]]);
        assert_eq!(
            t.json(
                "POST",
                "/api/v1/provider/listings",
                Some(&provider),
                l.clone()
            )
            .await
            .status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "not one of the choices"
        );
        l["attributes"] = json!([["匹数", "1.5匹"], ["面积", "abc"]]);
        assert_eq!(
            t.json(
                "POST",
                "/api/v1/provider/listings",
                Some(&provider),
                l.clone()
            )
            .await
            .status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "not a number"
        );
        l["attributes"] = json!([["匹数", "1.5匹"], ["面积", "25"], ["颜色", "ignored"]]);
        let ok = t
            .json("POST", "/api/v1/provider/listings", Some(&provider), l)
            .await;
        assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
        assert_eq!(
            ok.json()["attributes"],
            json!([["匹数", "1.5匹"], ["面积", "25"]]),
            "unknown attributes are dropped"
        );
        assert!(t.get("/admin/categories", None).await.status == StatusCode::SEE_OTHER);
    }
);
