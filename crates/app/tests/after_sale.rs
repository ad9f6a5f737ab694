//! After-sale (售后) on both backends: each outcome posts the ledger entries an operator
//! refund would, the SLA job accepts what the provider leaves unanswered, and bad input gets a
//! clear error and changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

mod common;

use common::{World, act_as, code, jpeg, serve_and_confirm, world};
use linli_app::{
    AppError,
    after_sale::{AfterSaleForm, AnswerForm, DecisionForm},
    jobs::JobRunner,
};
use linli_domain::{
    ids::{AfterSaleId, ProviderId},
    ledger::{Account, Commission},
    money::Money,
    time::{DAY_MS, HOUR_MS, MINUTE_MS, Timestamp},
};
use linli_testkit::{TestDb, backend_test};

const OPERATOR: &str = "13800000000";

async fn owed(w: &World, a: Account) -> i64 {
    a.owed(w.app.store.account_balance(&a.key()).await.unwrap())
}

/// The commission the platform keeps: revenue plus the slice set aside for the 先行赔付 fund.
async fn commission_kept(w: &World) -> i64 {
    owed(w, Account::CommissionRevenue).await + owed(w, Account::GuaranteeFund).await
}

async fn provider_id(w: &World) -> ProviderId {
    w.app
        .store
        .provider_by_user(w.provider.member().unwrap().id)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn run_jobs(w: &World) {
    JobRunner::new(w.app.clone()).run_due().await.unwrap();
}

/// Lets the sandbox settle refunds (100 ms), then runs the follow-up jobs.
async fn settle_psp(w: &World) {
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    w.clock.advance_ms(2 * MINUTE_MS);
    run_jobs(w).await;
}

/// The trial balance is zero and the PSP account matches what moved at the PSP.
async fn assert_books(w: &World) {
    let tb = w.app.trial_balance_unchecked().await.unwrap();
    assert_eq!(tb.total_fen, 0, "the trial balance sums to zero");
    let events = w
        .app
        .store
        .money_events(Timestamp(0), Timestamp(i64::MAX))
        .await
        .unwrap();
    let at_psp: i64 = events
        .iter()
        .map(|e| {
            if e.kind == "payment" {
                e.amount_fen
            } else {
                -e.amount_fen
            }
        })
        .sum();
    assert_eq!(owed(w, Account::Psp).await, at_psp);
}

fn form(kind: &str, amount: &str) -> AfterSaleForm {
    AfterSaleForm {
        kind: kind.into(),
        amount: amount.into(),
        reason: "厨房没有打扫干净".into(),
    }
}

fn yuan(fen: i64) -> String {
    Money::from_fen(fen).yuan_string()
}

fn commission_of(o: &linli_store::OrderRow) -> Commission {
    Commission {
        bps: o.commission_bps,
        min_fen: o.commission_min_fen,
    }
}

async fn provider_owed(w: &World, pid: ProviderId) -> i64 {
    owed(w, Account::ProviderPending(pid)).await + owed(w, Account::ProviderAvailable(pid)).await
}

backend_test!(
    an_admin_thirty_percent_award_posts_exact_ledger_lines,
    |db: TestDb| async move {
        let w = world(&db).await;
        let pid = provider_id(&w).await;
        let id = w.place("10:00").await.unwrap();
        let total = serve_and_confirm(&w, id).await;
        let o = w.app.store.order(id).await.unwrap().unwrap();
        let c = commission_of(&o);
        assert_eq!(
            provider_owed(&w, pid).await,
            c.split(Money::from_fen(total)).0.fen()
        );

        let r = w
            .app
            .open_after_sale(&w.customer, id, &form("full_refund", ""), vec![jpeg()])
            .await
            .unwrap();
        assert_eq!(
            r.amount_fen, total,
            "a full refund asks for everything kept"
        );
        assert_eq!(r.photos.len(), 1);
        let rid: AfterSaleId = r.id.parse().unwrap();
        let r = w
            .app
            .answer_after_sale(
                &w.provider,
                rid,
                &AnswerForm {
                    action: "reject".into(),
                    amount: String::new(),
                    note: "已按清单完成，有照片为证".into(),
                },
                vec![jpeg()],
            )
            .await
            .unwrap();
        assert_eq!(r.status, "rejected");
        assert_eq!(r.provider_photos.len(), 1);
        w.app.escalate_after_sale(&w.customer, rid).await.unwrap();

        let operator = act_as(&w.app, OPERATOR).await;
        let ev = w.app.after_sale_evidence(&operator, rid).await.unwrap();
        assert!(ev.checkin_at.is_some(), "the check-in time is gathered");
        assert!(
            ev.checkin_distance_m.is_some(),
            "the check-in place is gathered"
        );
        assert_eq!(
            ev.request.photos.len() + ev.request.provider_photos.len(),
            2
        );
        assert!(!ev.timeline.is_empty(), "the order timeline is gathered");
        assert_eq!(ev.paid_fen, total);
        // Both sides' photos are served to the operator.
        let file = ev.request.photos[0]
            .url
            .rsplit('/')
            .next()
            .unwrap()
            .to_owned();
        w.app.after_sale_photo(&operator, rid, &file).await.unwrap();
        // Another customer sees nothing.
        let other = act_as(&w.app, linli_app::seed::DEMO_CUSTOMERS[1].0).await;
        let e = w
            .app
            .after_sale_photo(&other, rid, &file)
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::NotFound));

        let before_commission = commission_kept(&w).await;
        let r = w
            .app
            .decide_after_sale(
                &operator,
                rid,
                &DecisionForm {
                    outcome: "partial".into(),
                    percent: "30".into(),
                    note: "部分未完成".into(),
                },
            )
            .await
            .unwrap();
        let award = total * 30 / 100;
        let kept = total - award;
        assert_eq!(r.status, "resolved");
        assert_eq!(r.outcome, "refund");
        assert_eq!(r.award_fen, award);
        assert_eq!(
            owed(&w, Account::Escrow(id)).await,
            0,
            "escrow was released"
        );
        assert_eq!(owed(&w, Account::RefundPayable).await, award);
        assert_eq!(
            commission_kept(&w).await,
            c.on(Money::from_fen(kept)).fen(),
            "commission comes back at the captured rate"
        );
        assert_eq!(
            before_commission - commission_kept(&w).await
                + (c.split(Money::from_fen(total)).0.fen() - provider_owed(&w, pid).await),
            award,
            "provider and commission together give back the award"
        );
        assert_eq!(
            provider_owed(&w, pid).await,
            c.split(Money::from_fen(kept)).0.fen()
        );
        let entries = w.app.store.order_entries(id).await.unwrap();
        let clawback = entries.iter().find(|e| e.kind == "clawback").unwrap();
        let refund_line: i64 = clawback
            .postings
            .iter()
            .filter(|(a, _)| *a == Account::RefundPayable.key())
            .map(|(_, v)| Account::RefundPayable.owed(*v))
            .sum();
        assert_eq!(refund_line, award);
        // A decided request is not decided twice.
        let e = w
            .app
            .decide_after_sale(
                &operator,
                rid,
                &DecisionForm {
                    outcome: "full_refund".into(),
                    ..DecisionForm::default()
                },
            )
            .await
            .unwrap_err();
        assert_eq!(code(&e), "not_escalated");
        run_jobs(&w).await;
        settle_psp(&w).await;
        assert_eq!(owed(&w, Account::RefundPayable).await, 0);
        assert_books(&w).await;
    }
);

backend_test!(
    a_request_the_provider_leaves_unanswered_is_accepted_and_refunded_when_the_sla_passes,
    |db: TestDb| async move {
        let w = world(&db).await;
        let id = w.place("10:00").await.unwrap();
        let total = serve_and_confirm(&w, id).await;
        let r = w
            .app
            .open_after_sale(&w.customer, id, &form("full_refund", ""), vec![jpeg()])
            .await
            .unwrap();
        let rid: AfterSaleId = r.id.parse().unwrap();
        // Before the deadline the job has nothing to do.
        w.clock.advance_ms(47 * HOUR_MS);
        run_jobs(&w).await;
        assert_eq!(
            w.app.after_sale(&w.customer, rid).await.unwrap().status,
            "pending"
        );
        w.clock.advance_ms(HOUR_MS + MINUTE_MS);
        run_jobs(&w).await;
        let r = w.app.after_sale(&w.customer, rid).await.unwrap();
        assert_eq!(r.status, "resolved");
        assert_eq!(r.resolved_by, "system");
        assert_eq!(r.award_fen, total);
        // The provider can no longer answer.
        let e = w
            .app
            .answer_after_sale(
                &w.provider,
                rid,
                &AnswerForm {
                    action: "reject".into(),
                    amount: String::new(),
                    note: "不同意".into(),
                },
                vec![],
            )
            .await
            .unwrap_err();
        assert_eq!(code(&e), "not_pending");
        // The refund is paid out; re-running the job changes nothing.
        run_jobs(&w).await;
        settle_psp(&w).await;
        w.app.auto_accept_after_sale(rid).await.unwrap();
        assert_eq!(owed(&w, Account::RefundPayable).await, 0);
        assert_eq!(
            owed(&w, Account::Psp).await,
            0,
            "the whole payment went back"
        );
        let refunds = w.app.store.order_refunds(id).await.unwrap();
        assert_eq!(refunds.len(), 1);
        assert_eq!(refunds[0].status, "success");
        assert_books(&w).await;
    }
);

backend_test!(
    a_counter_offer_the_customer_accepts_refunds_that_amount,
    |db: TestDb| async move {
        let w = world(&db).await;
        let id = w.place("10:00").await.unwrap();
        let total = serve_and_confirm(&w, id).await;
        let asked = total / 2;
        let r = w
            .app
            .open_after_sale(
                &w.customer,
                id,
                &form("partial_refund", &yuan(asked)),
                vec![],
            )
            .await
            .unwrap();
        let rid: AfterSaleId = r.id.parse().unwrap();
        let counter = total / 5;
        let r = w
            .app
            .answer_after_sale(
                &w.provider,
                rid,
                &AnswerForm {
                    action: "counter".into(),
                    amount: yuan(counter),
                    note: "只退一部分".into(),
                },
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(r.status, "countered");
        assert_eq!(
            owed(&w, Account::RefundPayable).await,
            0,
            "nothing moves yet"
        );
        // The provider cannot accept their own counter-offer.
        let e = w
            .app
            .respond_counter(&w.provider, rid, true)
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::NotFound));
        let r = w.app.respond_counter(&w.customer, rid, true).await.unwrap();
        assert_eq!(r.status, "resolved");
        assert_eq!(r.award_fen, counter);
        assert_eq!(owed(&w, Account::RefundPayable).await, counter);
        run_jobs(&w).await;
        settle_psp(&w).await;
        assert_eq!(owed(&w, Account::Psp).await, total - counter);
        assert_books(&w).await;
        // Resolved: the customer may open a new request within the window.
        w.app
            .open_after_sale(&w.customer, id, &form("reservice", ""), vec![])
            .await
            .unwrap();
    }
);

backend_test!(
    bad_after_sale_input_is_refused_and_changes_nothing,
    |db: TestDb| async move {
        let w = world(&db).await;
        let id = w.place("10:00").await.unwrap();
        let total = serve_and_confirm(&w, id).await;
        // Someone else's order answers 404, the provider cannot open one either.
        let other = act_as(&w.app, linli_app::seed::DEMO_CUSTOMERS[1].0).await;
        let e = w
            .app
            .open_after_sale(&other, id, &form("full_refund", ""), vec![])
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::NotFound));
        let e = w
            .app
            .open_after_sale(&w.provider, id, &form("full_refund", ""), vec![])
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::NotFound));
        // More than was paid, an empty reason, an unknown kind.
        let e = w
            .app
            .open_after_sale(
                &w.customer,
                id,
                &form("partial_refund", &yuan(total + 1)),
                vec![],
            )
            .await
            .unwrap_err();
        assert_eq!(code(&e), "amount_too_large");
        let mut empty = form("full_refund", "");
        empty.reason = "  ".into();
        assert!(
            w.app
                .open_after_sale(&w.customer, id, &empty, vec![])
                .await
                .is_err()
        );
        let e = w
            .app
            .open_after_sale(&w.customer, id, &form("gift", ""), vec![])
            .await
            .unwrap_err();
        assert_eq!(code(&e), "bad_kind");
        assert!(w.app.store.order_after_sales(id).await.unwrap().is_empty());

        // A second open request on one order.
        let r = w
            .app
            .open_after_sale(&w.customer, id, &form("full_refund", ""), vec![])
            .await
            .unwrap();
        let rid: AfterSaleId = r.id.parse().unwrap();
        let e = w
            .app
            .open_after_sale(&w.customer, id, &form("reservice", ""), vec![])
            .await
            .unwrap_err();
        assert_eq!(code(&e), "after_sale_open");
        assert_eq!(w.app.store.order_after_sales(id).await.unwrap().len(), 1);

        // A rejection needs a reason; then escalation; an award above the amount paid.
        let reject = |note: &str| AnswerForm {
            action: "reject".into(),
            amount: String::new(),
            note: note.into(),
        };
        assert!(
            w.app
                .answer_after_sale(&w.provider, rid, &reject(""), vec![])
                .await
                .is_err()
        );
        w.app
            .answer_after_sale(&w.provider, rid, &reject("服务已完成"), vec![])
            .await
            .unwrap();
        let operator = act_as(&w.app, OPERATOR).await;
        let decide = |percent: &str| DecisionForm {
            outcome: "partial".into(),
            percent: percent.into(),
            note: String::new(),
        };
        let e = w
            .app
            .decide_after_sale(&operator, rid, &decide("30"))
            .await
            .unwrap_err();
        assert_eq!(
            code(&e),
            "not_escalated",
            "only escalated requests are arbitrated"
        );
        w.app.escalate_after_sale(&w.customer, rid).await.unwrap();
        let e = w
            .app
            .decide_after_sale(&operator, rid, &decide("150"))
            .await
            .unwrap_err();
        assert_eq!(code(&e), "award_too_large");
        let e = w
            .app
            .decide_after_sale(&w.customer, rid, &decide("30"))
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Forbidden));
        assert_eq!(
            w.app.after_sale(&w.customer, rid).await.unwrap().status,
            "escalated"
        );
        assert_eq!(owed(&w, Account::RefundPayable).await, 0, "no money moved");
        // Rejected by the operator: nothing moves and the order can take a new request.
        let r = w
            .app
            .decide_after_sale(
                &operator,
                rid,
                &DecisionForm {
                    outcome: "reject".into(),
                    ..DecisionForm::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(r.outcome, "rejected");
        assert_eq!(owed(&w, Account::RefundPayable).await, 0);

        // After the window.
        w.clock.advance_ms(8 * DAY_MS);
        let e = w
            .app
            .open_after_sale(&w.customer, id, &form("full_refund", ""), vec![])
            .await
            .unwrap_err();
        assert_eq!(code(&e), "after_sale_window_closed");
        assert_eq!(w.app.store.order_after_sales(id).await.unwrap().len(), 1);
        assert_books(&w).await;
    }
);

backend_test!(
    eight_concurrent_accepts_settle_a_request_once_with_one_refund,
    |db: TestDb| async move {
        let w = std::sync::Arc::new(world(&db).await);
        let id = w.place("10:00").await.unwrap();
        let total = serve_and_confirm(&w, id).await;
        let r = w
            .app
            .open_after_sale(&w.customer, id, &form("full_refund", ""), vec![jpeg()])
            .await
            .unwrap();
        let rid: AfterSaleId = r.id.parse().unwrap();
        let accept = AnswerForm {
            action: "accept".into(),
            amount: String::new(),
            note: String::new(),
        };
        // The refund and the request's move to resolved are one transaction, conditional on
        // the request still being pending: one caller wins, the others change nothing.
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (w, accept) = (std::sync::Arc::clone(&w), accept.clone());
                tokio::spawn(async move {
                    w.app
                        .answer_after_sale(&w.provider, rid, &accept, vec![])
                        .await
                })
            })
            .collect();
        let mut results = Vec::new();
        for t in tasks {
            results.push(t.await.unwrap());
        }
        let won = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(won, 1, "{results:?}");
        // A loser sees the request or the order moved on (409), whichever it noticed first.
        for e in results.iter().filter_map(|r| r.as_ref().err()) {
            assert!(
                [
                    "after_sale_changed",
                    "not_pending",
                    "order_changed",
                    "amount_too_large"
                ]
                .contains(&code(e)),
                "{}",
                code(e)
            );
        }
        let refunds = w.app.store.order_refunds(id).await.unwrap();
        assert_eq!(refunds.len(), 1, "one refund");
        assert_eq!(refunds[0].amount_fen, total);
        let r = w.app.after_sale(&w.customer, rid).await.unwrap();
        assert_eq!((r.status.as_str(), r.award_fen), ("resolved", total));
        assert_books(&w).await;
    }
);
