//! Every route declares who may call it, and the declarations hold: guests are turned away
//! from member routes, customers from staff routes, and no route is added around the builder.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

mod common;

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use common::TestApp;
use linli_testkit::{Backend, fresh_db};
use linli_web::access::Access;

/// Fills `{param}` / `{*param}` segments with a well-formed id.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            if seg.starts_with('{') {
                "01a211c5-106e-77a7-8b3d-9a0852d31aa7"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn call(
    t: &TestApp,
    method: &axum::http::Method,
    path: &str,
    token: Option<&str>,
    cookie: Option<&str>,
) -> common::Reply {
    let mut b = Request::builder()
        .method(method.clone())
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(tok) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {tok}"));
    }
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    t.send(b.body(Body::from("{}")).unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_declared_route_refuses_callers_its_declaration_does_not_admit() {
    let t = TestApp::new(fresh_db(Backend::Sqlite).await.unwrap()).await;
    let customer_token = t.register("13911119999").await;
    let mut browser = common::Browser::new(&t);
    browser.login("13911119999", "secret123").await;
    let customer_cookie = browser
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");

    let routes = linli_web::routes(true);
    let decls = routes.declarations();
    assert!(
        decls.len() > 40,
        "expected the whole router, got {}",
        decls.len()
    );
    let mut checked = 0;
    for d in decls {
        let path = concrete(d.path);
        let api = path.starts_with("/api/v1");
        match d.access {
            Access::Public | Access::Dev => continue,
            Access::Member | Access::Staff(_) => {
                let guest = call(&t, &d.method, &path, None, None).await;
                if api {
                    assert_eq!(
                        guest.status,
                        StatusCode::UNAUTHORIZED,
                        "guest on {} {}",
                        d.method,
                        d.path
                    );
                    assert_eq!(guest.code(), "unauthenticated");
                } else if d.method == axum::http::Method::GET {
                    assert_eq!(
                        guest.status,
                        StatusCode::SEE_OTHER,
                        "guest on {} {}",
                        d.method,
                        d.path
                    );
                    assert!(
                        guest.location().starts_with("/login?next="),
                        "{} {}",
                        d.method,
                        d.path
                    );
                } else {
                    // A guest POST without a CSRF token is refused before anything else.
                    assert!(
                        matches!(guest.status, StatusCode::FORBIDDEN | StatusCode::SEE_OTHER),
                        "guest on {} {}: {}",
                        d.method,
                        d.path,
                        guest.status
                    );
                }
            }
        }
        if let Access::Staff(_) = d.access {
            let res = if api {
                call(&t, &d.method, &path, Some(&customer_token), None).await
            } else {
                call(&t, &d.method, &path, None, Some(&customer_cookie)).await
            };
            assert_eq!(
                res.status,
                StatusCode::FORBIDDEN,
                "customer on {} {}",
                d.method,
                d.path
            );
        }
        checked += 1;
    }
    assert!(checked > 25, "checked {checked} protected routes");
}

#[test]
fn no_route_is_added_around_the_declaring_builder() {
    // Only access.rs may call axum's `.route(`; everything else goes through `Routes`.
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut offenders = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(src)];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("access.rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for needle in [
                    ".route(",
                    ".route_service(",
                    ".nest(",
                    ".nest_service(",
                    "Router::new()",
                ] {
                    if text.contains(needle) {
                        offenders.push(format!("{}: {needle}", path.display()));
                    }
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "routes must be declared through access::Routes: {offenders:#?}"
    );
}

#[tokio::test]
async fn every_api_route_is_in_the_openapi_document_and_nothing_else_is() {
    let t = TestApp::new(fresh_db(Backend::Sqlite).await.unwrap()).await;
    let doc = t.get("/api/v1/openapi.json", None).await.json();
    let mut documented: Vec<String> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    let mut declared: Vec<String> = linli_web::routes(true)
        .declarations()
        .iter()
        .filter(|d| d.path.starts_with("/api/v1/") && d.path != "/api/v1/openapi.json")
        .map(|d| format!("{} {}", d.method, d.path))
        .collect();
    documented.sort();
    declared.sort();
    assert_eq!(documented, declared);
    let docs = t.get("/api/docs", None).await;
    assert_eq!(docs.status, StatusCode::OK);
    assert!(docs.body.contains("/static/api_docs.js"));
}

/// Every request body the document describes can be satisfied: no `allOf` combines a schema
/// that refuses unknown properties with another part (a flattened struct that denies unknown
/// fields documents as exactly that, and no body could then pass a validating client or proxy).
#[tokio::test]
async fn no_documented_schema_is_an_all_of_with_a_closed_part() {
    let t = TestApp::new(fresh_db(Backend::Sqlite).await.unwrap()).await;
    let doc = t.get("/api/v1/openapi.json", None).await.json();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let resolve = |part: &serde_json::Value| -> serde_json::Value {
        match part["$ref"].as_str() {
            Some(r) => schemas[r.trim_start_matches("#/components/schemas/")].clone(),
            None => part.clone(),
        }
    };
    fn walk(v: &serde_json::Value, found: &mut Vec<serde_json::Value>) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(parts) = m.get("allOf").and_then(|a| a.as_array()) {
                    found.extend(parts.iter().cloned());
                }
                m.values().for_each(|x| walk(x, found));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, found)),
            _ => {}
        }
    }
    let mut parts = Vec::new();
    walk(&doc, &mut parts);
    let closed: Vec<_> = parts
        .iter()
        .map(resolve)
        .filter(|p| p["additionalProperties"] == serde_json::Value::Bool(false))
        .collect();
    assert!(closed.is_empty(), "closed allOf parts: {closed:#?}");
    // The order body in particular: one closed object with every field of the three steps.
    let order = &schemas["OrderForm"];
    let mut fields: Vec<&str> = order["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "addons", "address", "date", "listing", "note", "time", "units", "variant"
        ]
    );
    assert_eq!(
        order["additionalProperties"],
        serde_json::Value::Bool(false)
    );
}

#[tokio::test]
async fn the_dev_inbox_exists_only_in_dev_mode() {
    let prod = TestApp::with_mode(fresh_db(Backend::Sqlite).await.unwrap(), false).await;
    assert_eq!(
        prod.get("/dev/sms", None).await.status,
        StatusCode::NOT_FOUND
    );
    let dev = TestApp::new(fresh_db(Backend::Sqlite).await.unwrap()).await;
    assert_eq!(dev.get("/dev/sms", None).await.status, StatusCode::OK);
}
