//! The operators' finance console over the API and the pages, on SQLite and PostgreSQL: who
//! may use it, the trial balance and ledgers after a paid order, admin refunds (too large,
//! idempotent), commission rules, reconciliation and the withdrawal queue.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod common;

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use common::{Browser, TestApp};
use linli_app::{
    Actor,
    jobs::JobRunner,
    money::{PayoutAccountForm, WithdrawForm},
    seed::{DEMO_ADMIN_PHONE, DEMO_CUSTOMERS, DEMO_PASSWORD, DEMO_PROVIDER_PHONE},
};
use linli_domain::{
    ids::OrderId,
    money::Money,
    time::{Clock, DAY_MS, Day, MINUTE_MS},
};
use linli_store::TokenKind;
use linli_testkit::{TestDb, backend_test};
use serde_json::{Value, json};

/// The demo world with payments, the operator's, the customer's and the provider's tokens,
/// and one order the customer has paid.
struct World {
    t: TestApp,
    operator: String,
    customer: String,
    provider: String,
    order: String,
    total_fen: i64,
}

fn yuan(fen: i64) -> String {
    Money::from_fen(fen).yuan_string()
}

async fn act_as(t: &TestApp, phone: &str) -> Actor {
    let u = t.app.store.user_by_phone(phone).await.unwrap().unwrap();
    let s = t.app.start_web_session(u.id).await.unwrap();
    t.app
        .authenticate(&s.secret, TokenKind::Session)
        .await
        .unwrap()
}

async fn world(db: TestDb) -> World {
    let t = TestApp::with_sandbox_payments(db).await;
    linli_app::seed::seed_demo(&t.app).await.unwrap();
    let operator = t.login(DEMO_ADMIN_PHONE, DEMO_PASSWORD).await;
    let customer = t.login(DEMO_CUSTOMERS[0].0, DEMO_PASSWORD).await;
    let provider = t.login(DEMO_PROVIDER_PHONE, DEMO_PASSWORD).await;
    let user = t
        .app
        .store
        .user_by_phone(DEMO_PROVIDER_PHONE)
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
    let r = t
        .json(
            "POST",
            "/api/v1/orders",
            Some(&customer),
            json!({"listing": listing, "address": address, "date": day.to_string(), "time": "10:00"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let order = r.json()["id"].as_str().unwrap().to_owned();
    let r = t
        .json(
            "POST",
            &format!("/api/v1/dev/orders/{order}/pay"),
            Some(&customer),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let total_fen = t
        .app
        .store
        .order(order.parse().unwrap())
        .await
        .unwrap()
        .unwrap()
        .total_fen;
    assert!(total_fen > 0);
    World {
        t,
        operator,
        customer,
        provider,
        order,
        total_fen,
    }
}

impl World {
    async fn trial_balance(&self) -> Value {
        let r = self
            .t
            .get("/api/v1/admin/finance/trial-balance", Some(&self.operator))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.json()
    }

    async fn ledger(&self) -> Value {
        let r = self
            .t
            .get(
                &format!("/api/v1/admin/finance/ledger/orders/{}", self.order),
                Some(&self.operator),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.json()
    }

    /// A POST with a JSON body, the operator's token and an optional idempotency key.
    async fn post(&self, path: &str, key: Option<&str>, body: Value) -> common::Reply {
        let mut b = Request::post(path)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {}", self.operator));
        if let Some(k) = key {
            b = b.header("idempotency-key", k);
        }
        self.t
            .send(b.body(Body::from(body.to_string())).unwrap())
            .await
    }
}

fn balance_of(tb: &Value, account: &str) -> i64 {
    tb["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["account"] == account)
        .map_or(0, |l| l["balance_fen"].as_i64().unwrap())
}

backend_test!(
    a_customer_is_refused_every_finance_api_and_page,
    |db: TestDb| async move {
        let w = world(db).await;
        let o = &w.order;
        let wid = linli_domain::ids::WithdrawalId::new();
        let gets = [
            "/api/v1/admin/finance/trial-balance".to_owned(),
            format!("/api/v1/admin/finance/ledger/orders/{o}"),
            format!("/api/v1/admin/finance/ledger/accounts/escrow:{o}"),
            "/api/v1/admin/finance/withdrawals".to_owned(),
            "/api/v1/admin/finance/commission-rules".to_owned(),
            "/api/v1/admin/finance/reconciliations".to_owned(),
        ];
        let posts = [
            (
                format!("/api/v1/admin/finance/withdrawals/{wid}/approve"),
                json!({}),
            ),
            (
                format!("/api/v1/admin/finance/withdrawals/{wid}/reject"),
                json!({"note": "x"}),
            ),
            (
                format!("/api/v1/admin/finance/orders/{o}/refund"),
                json!({"amount": "1.00", "reason": "x"}),
            ),
            (
                "/api/v1/admin/finance/commission-rules".to_owned(),
                json!({"scope": "default", "rate_percent": "0"}),
            ),
            (
                "/api/v1/admin/finance/reconciliations".to_owned(),
                json!({"day": "2026-11-25"}),
            ),
        ];
        for path in &gets {
            let r = w.t.get(path, Some(&w.customer)).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "GET {path}: {}", r.body);
            assert_eq!(r.code(), "forbidden");
            let r = w.t.get(path, Some(&w.provider)).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "provider GET {path}");
            let r = w.t.get(path, None).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "guest GET {path}");
        }
        for (path, body) in &posts {
            let r =
                w.t.json("POST", path, Some(&w.customer), body.clone())
                    .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "POST {path}: {}", r.body);
            assert_eq!(r.code(), "forbidden");
        }
        // Nothing moved: the escrow still holds the whole payment, no rule was written.
        let tb = w.trial_balance().await;
        assert_eq!(balance_of(&tb, &format!("escrow:{o}")), -w.total_fen);
        assert_eq!(balance_of(&tb, "refund_payable"), 0);
        let rules =
            w.t.get("/api/v1/admin/finance/commission-rules", Some(&w.operator))
                .await
                .json();
        assert!(rules["rules"].as_array().unwrap().is_empty());

        // The pages: a customer's browser is refused, and sees no finance link.
        let mut b = Browser::new(&w.t);
        let r = b.login(DEMO_CUSTOMERS[0].0, DEMO_PASSWORD).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        for page in [
            "/admin/finance".to_owned(),
            format!("/admin/finance/ledger?order={o}"),
            "/admin/finance/withdrawals".to_owned(),
            "/admin/finance/commission".to_owned(),
            "/admin/finance/reconciliation".to_owned(),
        ] {
            let r = b.get(&page).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{page}");
            assert!(!r.body.contains("nav-finance"));
        }
        let csrf = b.csrf("/me").await;
        let r = b
            .post_form(
                &format!("/admin/finance/orders/{o}/refund"),
                &[
                    ("_csrf", &csrf),
                    ("amount", "1.00"),
                    ("reason", "x"),
                    ("_once", "0123456789abcdef0123456789abcdef"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(
            balance_of(&w.trial_balance().await, "refund_payable"),
            0,
            "a refused form moves nothing"
        );
    }
);

backend_test!(
    after_a_paid_order_the_trial_balance_sums_to_zero_and_the_ledger_shows_the_capture,
    |db: TestDb| async move {
        let w = world(db).await;
        let tb = w.trial_balance().await;
        assert_eq!(tb["total_fen"], 0, "{tb}");
        let sum: i64 = tb["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["balance_fen"].as_i64().unwrap())
            .sum();
        assert_eq!(sum, 0);
        assert_eq!(balance_of(&tb, "psp"), w.total_fen);
        assert_eq!(
            balance_of(&tb, &format!("escrow:{}", w.order)),
            -w.total_fen
        );

        let l = w.ledger().await;
        assert_eq!(l["order_id"], w.order.as_str());
        assert_eq!(l["escrow_fen"], w.total_fen);
        let entries = l["entries"].as_array().unwrap();
        let capture = entries
            .iter()
            .find(|e| e["kind"] == "capture")
            .expect("the capture entry");
        let postings = capture["postings"].as_array().unwrap();
        assert_eq!(postings.len(), 2);
        assert!(
            postings
                .iter()
                .any(|p| p["account"] == "psp" && p["amount_fen"] == w.total_fen)
        );
        assert!(
            postings
                .iter()
                .any(|p| p["account"] == format!("escrow:{}", w.order).as_str()
                    && p["amount_fen"] == -w.total_fen)
        );

        // The escrow account's own ledger.
        let r =
            w.t.get(
                &format!("/api/v1/admin/finance/ledger/accounts/escrow:{}", w.order),
                Some(&w.operator),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let a = r.json();
        assert_eq!(a["account"]["balance_fen"], -w.total_fen);
        assert_eq!(a["entries"][0]["change_fen"], w.total_fen);

        // Bad ids are 4xx, never 500.
        let unknown = OrderId::new();
        for (path, status) in [
            (
                format!("/api/v1/admin/finance/ledger/orders/{unknown}"),
                StatusCode::NOT_FOUND,
            ),
            (
                "/api/v1/admin/finance/ledger/orders/nope".to_owned(),
                StatusCode::BAD_REQUEST,
            ),
            (
                "/api/v1/admin/finance/ledger/accounts/bank:1".to_owned(),
                StatusCode::BAD_REQUEST,
            ),
            (
                "/api/v1/admin/finance/ledger/accounts/escrow:nope".to_owned(),
                StatusCode::BAD_REQUEST,
            ),
            (
                "/api/v1/admin/finance/withdrawals?status=lost".to_owned(),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                "/api/v1/admin/finance/withdrawals?colour=red".to_owned(),
                StatusCode::BAD_REQUEST,
            ),
        ] {
            let r = w.t.get(&path, Some(&w.operator)).await;
            assert_eq!(r.status, status, "{path}: {}", r.body);
            assert!(!r.code().is_empty());
        }
    }
);

backend_test!(
    a_refund_above_what_the_order_holds_is_409_and_changes_nothing,
    |db: TestDb| async move {
        let w = world(db).await;
        let before = w.trial_balance().await;
        let entries_before = w.ledger().await["entries"].as_array().unwrap().len();
        let path = format!("/api/v1/admin/finance/orders/{}/refund", w.order);
        let r = w
            .post(
                &path,
                None,
                json!({"amount": yuan(w.total_fen + 1), "reason": "客户投诉"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        assert_eq!(r.code(), "amount_too_large");
        assert_eq!(w.trial_balance().await, before);
        assert_eq!(
            w.ledger().await["entries"].as_array().unwrap().len(),
            entries_before
        );

        // Malformed bodies are 4xx and change nothing either.
        for (body, status) in [
            (
                json!({"amount": "abc", "reason": "x"}),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                json!({"amount": "1.00", "reason": "  "}),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                json!({"amount": "1.00", "reason": "x", "to": "me"}),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (json!({"amount": "1.00"}), StatusCode::UNPROCESSABLE_ENTITY),
        ] {
            let r = w.post(&path, None, body.clone()).await;
            assert_eq!(r.status, status, "{body}: {}", r.body);
        }
        let r =
            w.t.raw("POST", &path, "application/json", "{not json")
                .await;
        assert!(r.status.is_client_error(), "{}", r.status);
        let r = w
            .post(
                &format!("/api/v1/admin/finance/orders/{}/refund", OrderId::new()),
                None,
                json!({"amount": "1.00", "reason": "x"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
        assert_eq!(w.trial_balance().await, before);
    }
);

backend_test!(
    an_idempotent_refund_repeated_with_the_same_key_answers_the_saved_response_and_moves_money_once,
    |db: TestDb| async move {
        let w = world(db).await;
        let path = format!("/api/v1/admin/finance/orders/{}/refund", w.order);
        let body = json!({"amount": "10.00", "reason": "服务不满意，部分退款"});
        let first = w.post(&path, Some("refund-1"), body.clone()).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.body);
        assert_eq!(first.json()["escrow_fen"], w.total_fen - 1_000);
        assert!(first.headers.get("idempotent-replayed").is_none());

        let again = w.post(&path, Some("refund-1"), body.clone()).await;
        assert_eq!(again.status, StatusCode::OK);
        assert_eq!(again.body, first.body, "the saved response");
        assert_eq!(
            again
                .headers
                .get("idempotent-replayed")
                .and_then(|v| v.to_str().ok()),
            Some("true")
        );

        let tb = w.trial_balance().await;
        assert_eq!(tb["total_fen"], 0);
        assert_eq!(balance_of(&tb, "refund_payable"), -1_000, "refunded once");
        assert_eq!(
            balance_of(&tb, &format!("escrow:{}", w.order)),
            -(w.total_fen - 1_000)
        );
        let refunds = w.ledger().await["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "refund_decided")
            .count();
        assert_eq!(refunds, 1);

        // The same key with another body is refused; a new key refunds again.
        let r = w
            .post(
                &path,
                Some("refund-1"),
                json!({"amount": "20.00", "reason": "x"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.code(), "idempotency_key_reused");
        let r = w.post(&path, Some("refund-2"), body).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(
            balance_of(&w.trial_balance().await, "refund_payable"),
            -2_000
        );
    }
);

backend_test!(
    commission_rules_refuse_a_rate_above_100_percent_and_keep_an_audit_trail,
    |db: TestDb| async move {
        let w = world(db).await;
        let path = "/api/v1/admin/finance/commission-rules";
        let r = w
            .post(
                path,
                None,
                json!({"scope": "category", "scope_id": "cleaning", "rate_percent": "101"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        for bad in [
            json!({"scope": "galaxy", "rate_percent": "10"}),
            json!({"scope": "default", "rate_percent": "10", "starts_on": "2026-12-10", "ends_on": "2026-12-01"}),
            json!({"scope": "default", "rate_percent": "10", "bps": 1000}),
            json!({"scope": "provider", "scope_id": "nope", "rate_percent": "10"}),
        ] {
            let r = w.post(path, None, bad.clone()).await;
            assert!(r.status.is_client_error(), "{bad}: {} {}", r.status, r.body);
        }
        let listed = w.t.get(path, Some(&w.operator)).await.json();
        assert!(listed["rules"].as_array().unwrap().is_empty(), "{listed}");
        assert!(listed["audit"].as_array().unwrap().is_empty());

        let r = w
            .post(
                path,
                None,
                json!({"scope": "category", "scope_id": "cleaning", "rate_percent": "12.5", "min_fee": "1", "note": "保洁类"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let rule = r.json();
        assert_eq!(rule["bps"], 1_250);
        assert_eq!(rule["rate_percent"], "12.5");
        assert_eq!(rule["min_fen"], 100);
        let id = rule["id"].as_str().unwrap().to_owned();

        let r = w
            .post(
                path,
                None,
                json!({"id": id, "scope": "category", "scope_id": "cleaning", "rate_percent": "8", "active": false}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["active"], false);

        let listed = w.t.get(path, Some(&w.operator)).await.json();
        let rules = listed["rules"].as_array().unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0]["bps"], 800);
        let audit = listed["audit"].as_array().unwrap();
        assert_eq!(audit.len(), 2, "{listed}");
        assert!(audit.iter().any(|a| a["action"] == "created"));
        let updated = audit.iter().find(|a| a["action"] == "updated").unwrap();
        assert!(
            updated["before"].as_str().unwrap().contains("12.5%"),
            "{updated}"
        );
        assert!(updated["after"].as_str().unwrap().contains("8%"));
    }
);

backend_test!(
    reconciliation_for_today_lists_no_differences_after_a_paid_order,
    |db: TestDb| async move {
        let w = world(db).await;
        let today = Day::of(w.t.clock.now()).to_string();
        let r = w
            .post(
                "/api/v1/admin/finance/reconciliations",
                None,
                json!({"day": today}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let report = r.json();
        assert_eq!(report["day"], today.as_str());
        assert!(report["matched"].as_i64().unwrap() >= 1, "{report}");
        assert_eq!(report["differences"], json!([]), "{report}");

        let listed =
            w.t.get("/api/v1/admin/finance/reconciliations", Some(&w.operator))
                .await;
        assert_eq!(listed.status, StatusCode::OK);
        assert!(
            listed
                .json()
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["day"] == today.as_str())
        );

        let tomorrow = Day::of(w.t.clock.now()).plus_days(1).to_string();
        for (body, status) in [
            (json!({"day": tomorrow}), StatusCode::UNPROCESSABLE_ENTITY),
            (
                json!({"day": "2026-13-40"}),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                json!({"day": today, "force": true}),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (json!({}), StatusCode::UNPROCESSABLE_ENTITY),
        ] {
            let r = w
                .post("/api/v1/admin/finance/reconciliations", None, body.clone())
                .await;
            assert_eq!(r.status, status, "{body}: {}", r.body);
        }
    }
);

/// Serves, confirms and settles the world's order, then the provider asks to withdraw
/// `amounts` one after the other; returns the withdrawal ids.
async fn withdrawals(w: &World, amounts: &[i64]) -> Vec<String> {
    let app = &w.t.app;
    let customer = act_as(&w.t, DEMO_CUSTOMERS[0].0).await;
    let provider = act_as(&w.t, DEMO_PROVIDER_PHONE).await;
    let id: OrderId = w.order.parse().unwrap();
    let o = app.store.order(id).await.unwrap().unwrap();
    if o.status == "awaiting_acceptance" {
        app.answer_order(&provider, id, true, "").await.unwrap();
    }
    let now = w.t.clock.now().0;
    w.t.clock.advance_ms(o.start_at.0 - 30 * MINUTE_MS - now);
    app.start_service(
        &provider,
        id,
        &linli_app::visits::CheckInForm {
            lat_micro: Some(o.lat_micro),
            lng_micro: Some(o.lng_micro),
            reason: String::new(),
        },
    )
    .await
    .unwrap();
    let code = app.visit_view(&customer, id).await.unwrap().service_code;
    app.enter_service_code(
        &provider,
        id,
        &linli_app::visits::ServiceCodeForm {
            code: code.unwrap(),
        },
    )
    .await
    .unwrap();
    let items = app.visit_view(&provider, id).await.unwrap().checklist;
    for item in items {
        let photo = item.photo_required.then(common::tiny_png);
        app.tick_checklist(&provider, id, item.index, photo)
            .await
            .unwrap();
    }
    app.complete_order(&provider, id).await.unwrap();
    app.confirm_order(&customer, id).await.unwrap();
    w.t.clock.advance_ms(DAY_MS + MINUTE_MS);
    JobRunner::new(app.clone()).run_due().await.unwrap();
    app.save_payout_account(
        &provider,
        &PayoutAccountForm {
            kind: "bank_card".into(),
            account_no: "6222020202020202".into(),
            holder_name: "张阿姨".into(),
        },
    )
    .await
    .unwrap();
    let mut ids = Vec::new();
    for a in amounts {
        let v = app
            .request_withdrawal(&provider, &WithdrawForm { amount: yuan(*a) })
            .await
            .unwrap();
        ids.push(v.id);
    }
    ids
}

backend_test!(
    the_operator_approves_one_withdrawal_and_rejects_another_with_a_note,
    |db: TestDb| async move {
        let mut w = world(db).await;
        let ids = withdrawals(&w, &[1_000, 2_000]).await;
        // A day went by: the morning's access token has expired.
        w.operator = w.t.login(DEMO_ADMIN_PHONE, DEMO_PASSWORD).await;
        let (first, second) = (&ids[0], &ids[1]);
        let queue =
            w.t.get("/api/v1/admin/finance/withdrawals", Some(&w.operator))
                .await;
        assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
        assert_eq!(queue.json().as_array().unwrap().len(), 2);

        let mut b = Browser::new(&w.t);
        b.login(DEMO_ADMIN_PHONE, DEMO_PASSWORD).await;
        let page = b.get("/admin/finance/withdrawals").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains(&format!("data-approve=\"{first}\"")));
        assert!(page.body.contains(&format!("data-reject=\"{second}\"")));

        let tb = w.trial_balance().await;
        let available_key = tb["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find_map(|l| {
                l["account"]
                    .as_str()
                    .filter(|a| a.starts_with("provider_available:"))
            })
            .unwrap()
            .to_owned();
        let available = balance_of(&tb, &available_key);

        let approve = format!("/api/v1/admin/finance/withdrawals/{first}/approve");
        let r = w.post(&approve, Some("approve-1"), json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["status"], "approved");
        let r = w.post(&approve, Some("approve-1"), json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "a retry gets the saved answer");
        let r = w.post(&approve, None, json!({})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.code(), "invalid_transition");

        let reject = format!("/api/v1/admin/finance/withdrawals/{second}/reject");
        let r = w.post(&reject, None, json!({"note": "  "})).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a note is needed"
        );
        let r = w.post(&reject, None, json!({"note": "账户信息有误"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["status"], "rejected");
        assert_eq!(r.json()["note"], "账户信息有误");
        let r = w.post(&reject, None, json!({"note": "again"})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

        // The rejected amount is back in the provider's available balance; books balance.
        let tb = w.trial_balance().await;
        assert_eq!(tb["total_fen"], 0);
        assert_eq!(balance_of(&tb, &available_key), available - 2_000);

        let r = w
            .post(
                &format!(
                    "/api/v1/admin/finance/withdrawals/{}/approve",
                    linli_domain::ids::WithdrawalId::new()
                ),
                None,
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = w
            .post(
                "/api/v1/admin/finance/withdrawals/nope/approve",
                None,
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);

        let rejected =
            w.t.get(
                "/api/v1/admin/finance/withdrawals?status=rejected",
                Some(&w.operator),
            )
            .await
            .json();
        assert_eq!(rejected[0]["id"], second.as_str());
    }
);

backend_test!(
    the_finance_pages_render_for_the_operator_and_a_page_refund_runs_once,
    |db: TestDb| async move {
        let w = world(db).await;
        let mut b = Browser::new(&w.t);
        let r = b.login(DEMO_ADMIN_PHONE, DEMO_PASSWORD).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);

        let home = b.get("/admin").await;
        assert!(home.body.contains("id=\"nav-finance\""), "the nav links it");

        let overview = b.get("/admin/finance").await;
        assert_eq!(overview.status, StatusCode::OK, "{}", overview.body);
        assert!(overview.body.contains("合计"));
        assert!(overview.body.contains("id=\"trial-total\""));
        let total_row = &overview.body[overview.body.find("id=\"trial-total\"").unwrap()..];
        let total_row = &total_row[..total_row.find("</tr>").unwrap()];
        assert!(total_row.contains("¥0.00"), "{total_row}");
        assert!(overview.body.contains("id=\"balance-chart\""), "the chart");
        assert!(
            overview.body.contains(&format!(
                "data-bar=\"admin_finance.chart_escrow\">¥{}<",
                yuan(w.total_fen)
            )),
            "the escrow bar shows what the paid order holds"
        );
        assert!(
            overview
                .body
                .contains(&format!("ledger?account=escrow%3A{}", w.order))
        );

        for page in [
            format!("/admin/finance/ledger?order={}", w.order),
            format!("/admin/finance/ledger?account=escrow:{}", w.order),
            "/admin/finance/ledger?account=psp".to_owned(),
            "/admin/finance/withdrawals".to_owned(),
            "/admin/finance/withdrawals?status=paid".to_owned(),
            "/admin/finance/commission".to_owned(),
            "/admin/finance/reconciliation".to_owned(),
        ] {
            let r = b.get(&page).await;
            assert_eq!(r.status, StatusCode::OK, "{page}: {}", r.body);
        }
        for missing in [
            format!("/admin/finance/ledger?order={}", OrderId::new()),
            "/admin/finance/ledger?order=nope".to_owned(),
            "/admin/finance/ledger?account=bank".to_owned(),
        ] {
            let r = b.get(&missing).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{missing}");
        }

        // The refund form on the order's ledger: once per form token.
        let ledger_path = format!("/admin/finance/ledger?order={}", w.order);
        let page = b.get(&ledger_path).await;
        assert!(page.body.contains("id=\"refund-form\""));
        assert!(
            page.body.contains("支付入担保"),
            "the capture entry is listed"
        );
        let find = |name: &str| {
            let marker = format!("name=\"{name}\" value=\"");
            let start = page.body.find(&marker).unwrap() + marker.len();
            let end = page.body[start..].find('"').unwrap() + start;
            page.body[start..end].to_owned()
        };
        let (csrf, once) = (find("_csrf"), find("_once"));
        let action = format!("/admin/finance/orders/{}/refund", w.order);
        let fields = [
            ("_csrf", csrf.as_str()),
            ("_once", once.as_str()),
            ("amount", "5.00"),
            ("reason", "上门迟到，部分退款"),
        ];
        let r = b.post_form(&action, &fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), ledger_path);
        let r = b.post_form(&action, &fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "a resubmission");
        assert_eq!(
            balance_of(&w.trial_balance().await, "refund_payable"),
            -500,
            "refunded once"
        );
        let page = b.get(&ledger_path).await;
        assert!(page.body.contains("上门迟到，部分退款"));

        // Commission and reconciliation forms.
        let r = b
            .post_form(
                "/admin/finance/commission",
                &[
                    ("_csrf", csrf.as_str()),
                    ("scope", "category"),
                    ("scope_id", "cleaning"),
                    ("rate_percent", "9.5"),
                    ("min_fee", ""),
                    ("starts_on", ""),
                    ("ends_on", ""),
                    ("new_provider_days", ""),
                    ("new_provider_orders", ""),
                    ("active", "1"),
                    ("note", "促销"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let page = b.get("/admin/finance/commission").await;
        assert!(page.body.contains("9.5%"), "{}", page.body);
        assert!(page.body.contains("id=\"rule-audit\""));
        let r = b
            .post_form(
                "/admin/finance/commission",
                &[
                    ("_csrf", csrf.as_str()),
                    ("scope", "default"),
                    ("rate_percent", "101"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let page = b.get(&r.location()).await;
        assert!(page.body.contains("flash-error"), "the refusal is shown");

        let today = Day::of(w.t.clock.now()).to_string();
        let r = b
            .post_form(
                "/admin/finance/reconciliation",
                &[("_csrf", csrf.as_str()), ("day", today.as_str())],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let page = b.get("/admin/finance/reconciliation").await;
        assert!(page.body.contains(&format!("data-day=\"{today}\"")));

        // English.
        let r = b.get("/lang/en?next=/admin/finance").await;
        assert!(r.status.is_redirection());
        let page = b.get("/admin/finance").await;
        assert!(page.body.contains("Trial balance"), "{}", page.body);
    }
);
