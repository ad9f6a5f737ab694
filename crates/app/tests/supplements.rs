//! Overrun supplements (补款) on both backends: an hourly job checked out past its booked time
//! waits for the customer, who pays the extra through the payment provider (posted once
//! however many notifications arrive, into the order's escrow, counted by release and
//! refunds), declines it, or lets its window pass; bad requests change nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

mod common;

use std::sync::Arc;

use common::{World, accepted_and_due, act_as, code, world};
use linli_app::{
    AppError, jobs::JobRunner, money::AdminRefundForm, supplements::DeclineSupplementForm,
};
use linli_domain::{
    ids::OrderId,
    ledger::Account,
    money::Money,
    time::{DAY_MS, HOUR_MS, MINUTE_MS},
};
use linli_store::OrderRow;
use linli_testkit::{TestDb, backend_test};

const OPERATOR: &str = "13800000000";

async fn owed(w: &World, a: Account) -> i64 {
    a.owed(w.app.store.account_balance(&a.key()).await.unwrap())
}

async fn trial_total(w: &World) -> i64 {
    w.app.trial_balance_unchecked().await.unwrap().total_fen
}

async fn run_jobs(w: &World) {
    JobRunner::new(w.app.clone()).run_due().await.unwrap();
}

/// An hourly order, paid and accepted, checked out 20 minutes past its booked time (billed as
/// 30): the order as booked and the supplement in 分.
async fn overrun(w: &World) -> (OrderRow, i64) {
    let listing = w.hourly_listing().await;
    let id = w.place_listing(&listing, "09:00").await;
    accepted_and_due(w, id).await;
    w.check_in(id).await.unwrap();
    let o = w.app.store.order(id).await.unwrap().unwrap();
    let booked = (o.end_at.0 - o.start_at.0) / MINUTE_MS;
    w.clock.advance_ms((booked + 20) * MINUTE_MS);
    let seen = w.finish(id).await.unwrap();
    assert_eq!(seen.status, "awaiting_supplement");
    let extra = (listing.price_fen * 30 + 30) / 60;
    (o, extra)
}

async fn order(w: &World, id: OrderId) -> OrderRow {
    w.app.store.order(id).await.unwrap().unwrap()
}

backend_test!(
    an_overrun_waits_for_the_supplement_which_paid_once_under_30_notifications_completes_the_order_into_escrow,
    |db: TestDb| async move {
        let w = Arc::new(world(&db).await);
        let (o, extra) = overrun(&w).await;
        let id = o.id;
        assert!(extra > 0);

        // Nothing charged yet; the customer sees the supplement with its explanation.
        assert_eq!(order(&w, id).await.paid_fen, o.total_fen);
        let view = w.app.order_view(&w.customer, id).await.unwrap();
        assert_eq!(view.status, "awaiting_supplement");
        assert!(view.actions.contains(&"pay_supplement".to_owned()));
        assert!(view.actions.contains(&"decline_supplement".to_owned()));
        let s = view.supplement.clone().expect("the supplement is shown");
        assert_eq!((s.state.as_str(), s.amount_fen), ("awaiting", extra));
        assert_eq!(s.amount, format!("¥{}", Money::from_fen(extra).yuan_string()));
        let booked = (o.end_at.0 - o.start_at.0) / MINUTE_MS;
        assert_eq!(
            (s.booked_minutes, s.actual_minutes, s.billed_extra_minutes, s.step_minutes),
            (booked, booked + 20, 30, 15)
        );
        assert!(s.explanation.contains("15 分钟"), "{}", s.explanation);
        assert!(s.deadline_ms.is_some());
        let pro = w.app.order_view(&w.provider, id).await.unwrap();
        assert!(!pro.actions.iter().any(|a| a.contains("supplement")));
        assert_eq!(pro.supplement.unwrap().amount_fen, extra);
        // The slot is freed like a completion; the auto-confirm clock has not started.
        assert_eq!(w.app.store.order_cells(id).await.unwrap(), 0);
        assert!(order(&w, id).await.completed_at.is_none());

        // The customer pays: 30 genuine notifications (some repeating a nonce) arrive at once.
        let start = w.app.pay_supplement(&w.customer, id).await.unwrap();
        assert_eq!(start.amount, s.amount);
        let again = w.app.pay_supplement(&w.customer, id).await.unwrap();
        assert_eq!(again.out_trade_no, start.out_trade_no, "a pending payment is reused");
        let sandbox = w.app.payments.as_ref().unwrap().sandbox.clone().unwrap();
        let t = sandbox.pay_now(&start.out_trade_no).unwrap();
        assert_eq!(t.amount, extra);
        common::notify_thirty_at_once(&w, &t, "supplement").await;
        w.app.query_payment(&start.out_trade_no).await.unwrap();

        let paid = order(&w, id).await;
        assert_eq!(paid.status, "completed");
        assert_eq!(paid.paid_fen, o.total_fen + extra, "the paid amount includes it");
        assert_eq!(paid.commission_bps, o.commission_bps, "the captured rate stays");
        assert!(paid.completed_at.is_some());
        let entries = w.app.store.order_entries(id).await.unwrap();
        let captures: Vec<_> = entries.iter().filter(|e| e.kind == "capture").collect();
        assert_eq!(captures.len(), 2, "the booking's payment and the supplement, once");
        let sup = captures
            .iter()
            .find(|e| e.reference.as_deref() == Some(&format!("capture:{}", start.out_trade_no)))
            .expect("the supplement's capture");
        let mut lines = sup.postings.clone();
        lines.sort();
        let mut expected = vec![
            (Account::Escrow(id).key(), -extra),
            (Account::Psp.key(), extra),
        ];
        expected.sort();
        assert_eq!(lines, expected, "psp debited, the order's escrow credited");
        assert_eq!(owed(&w, Account::Escrow(id)).await, o.total_fen + extra);
        assert_eq!(trial_total(&w).await, 0);
        let v = w.app.order_view(&w.customer, id).await.unwrap();
        assert_eq!(v.supplement.unwrap().state, "paid");
        assert!(v.timeline.iter().any(|e| e.action == "supplement_paid"));
        assert!(v.actions.contains(&"confirm".to_owned()));
        let e = w.app.pay_supplement(&w.customer, id).await.unwrap_err();
        assert_eq!(code(&e), "supplement_not_due");

        // Confirmed automatically after the window: release counts the supplement.
        w.clock.advance_ms(w.app.config.money.auto_confirm_ms + MINUTE_MS);
        run_jobs(&w).await;
        let done = order(&w, id).await;
        assert_eq!(done.status, "confirmed");
        assert_eq!(owed(&w, Account::Escrow(id)).await, 0);
        let release = w
            .app
            .store
            .order_entries(id)
            .await
            .unwrap()
            .into_iter()
            .find(|e| e.kind == "release")
            .unwrap();
        let escrow_out: i64 = release
            .postings
            .iter()
            .filter(|(a, _)| *a == Account::Escrow(id).key())
            .map(|(_, v)| *v)
            .sum();
        assert_eq!(escrow_out, o.total_fen + extra, "released with the supplement");
        assert_eq!(trial_total(&w).await, 0);

        // A full refund reaches back into both payments, each up to its amount.
        let operator = act_as(&w.app, OPERATOR).await;
        let all = Money::from_fen(o.total_fen + extra).yuan_string();
        w.app
            .admin_refund(
                &operator,
                id,
                &AdminRefundForm {
                    amount: all,
                    reason: "全额退款".into(),
                },
            )
            .await
            .unwrap();
        let refunds = w.app.store.order_refunds(id).await.unwrap();
        let mut parts: Vec<(String, i64)> = refunds
            .iter()
            .map(|r| (r.out_trade_no.clone(), r.amount_fen))
            .collect();
        parts.sort_by_key(|(_, a)| *a);
        let first = w
            .app
            .store
            .order_payments(id)
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.purpose == "order")
            .unwrap();
        let mut expected = vec![
            (first.out_trade_no, o.total_fen),
            (start.out_trade_no.clone(), extra),
        ];
        expected.sort_by_key(|(_, a)| *a);
        assert_eq!(parts, expected);
        run_jobs(&w).await;
        assert_eq!(trial_total(&w).await, 0);
    }
);

backend_test!(
    declining_the_supplement_completes_the_order_at_the_amount_paid_and_tells_the_provider,
    |db: TestDb| async move {
        let w = world(&db).await;
        let (o, extra) = overrun(&w).await;
        let id = o.id;
        // Someone else's order is not found; the provider cannot answer for the customer.
        let other = act_as(&w.app, linli_app::seed::DEMO_CUSTOMERS[1].0).await;
        for actor in [&other, &w.provider] {
            let e = w
                .app
                .decline_supplement(actor, id, &DeclineSupplementForm::default())
                .await
                .unwrap_err();
            assert!(matches!(e, AppError::NotFound), "{e:?}");
            let e = w.app.pay_supplement(actor, id).await.unwrap_err();
            assert!(matches!(e, AppError::NotFound), "{e:?}");
        }
        let e = w
            .app
            .decline_supplement(
                &w.customer,
                id,
                &DeclineSupplementForm {
                    reason: "超".repeat(201),
                },
            )
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Invalid(_)), "{e:?}");
        assert_eq!(w.status(id).await, "awaiting_supplement", "nothing changed");

        // A payment started but not made before the decline.
        let start = w.app.pay_supplement(&w.customer, id).await.unwrap();
        let seen = w
            .app
            .decline_supplement(
                &w.customer,
                id,
                &DeclineSupplementForm {
                    reason: "  超时是服务者迟到造成的  ".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(seen.status, "completed");
        let declined = seen
            .timeline
            .iter()
            .find(|e| e.action == "supplement_declined")
            .unwrap();
        assert_eq!(declined.actor, "customer");
        assert!(declined.note.contains("服务者迟到"), "{}", declined.note);
        assert_eq!(seen.supplement.unwrap().state, "declined");
        let now = order(&w, id).await;
        assert_eq!(now.paid_fen, o.total_fen, "nothing more charged");
        let pro_user = w.provider.member().unwrap().id;
        let told = w.app.store.notifications(pro_user, 20).await.unwrap();
        assert!(
            told.iter()
                .any(|n| n.body.contains("拒绝补款") && n.body.contains("投诉")),
            "{told:?}"
        );
        // Answered once.
        let e = w
            .app
            .decline_supplement(&w.customer, id, &DeclineSupplementForm::default())
            .await
            .unwrap_err();
        assert_eq!(code(&e), "supplement_not_due");
        assert!(matches!(e, AppError::Conflict { .. }));

        // Money paid at the cashier after the decline is refunded at once.
        let sandbox = w.app.payments.as_ref().unwrap().sandbox.clone().unwrap();
        sandbox.pay_now(&start.out_trade_no).unwrap();
        w.app.query_payment(&start.out_trade_no).await.unwrap();
        let after = order(&w, id).await;
        assert_eq!(
            (after.status.as_str(), after.paid_fen),
            ("completed", o.total_fen)
        );
        let refunds = w.app.store.order_refunds(id).await.unwrap();
        assert_eq!(refunds.len(), 1);
        assert_eq!(
            (refunds[0].out_trade_no.as_str(), refunds[0].amount_fen),
            (start.out_trade_no.as_str(), extra)
        );
        run_jobs(&w).await;
        assert_eq!(trial_total(&w).await, 0);

        // Confirmed automatically after the usual window, at the amount paid.
        w.clock
            .advance_ms(w.app.config.money.auto_confirm_ms + MINUTE_MS);
        run_jobs(&w).await;
        assert_eq!(w.status(id).await, "confirmed");
        assert_eq!(owed(&w, Account::Escrow(id)).await, 0);
        assert_eq!(trial_total(&w).await, 0);
    }
);

backend_test!(
    a_supplement_left_unanswered_completes_the_order_at_the_amount_paid_when_its_window_closes,
    |db: TestDb| async move {
        let w = world(&db).await;
        let (o, _) = overrun(&w).await;
        let id = o.id;
        let window = w.app.config.money.supplement_window_ms;
        assert_eq!(window, 2 * DAY_MS);
        w.clock.advance_ms(window - HOUR_MS);
        run_jobs(&w).await;
        assert_eq!(w.status(id).await, "awaiting_supplement", "not yet");
        w.clock.advance_ms(HOUR_MS + MINUTE_MS);
        run_jobs(&w).await;
        let done = order(&w, id).await;
        assert_eq!(done.status, "completed");
        assert_eq!(done.paid_fen, o.total_fen);
        let v = w.app.order_view(&w.customer, id).await.unwrap();
        assert_eq!(v.supplement.unwrap().state, "lapsed");
        let lapsed: Vec<_> = v
            .timeline
            .iter()
            .filter(|e| e.action == "supplement_lapsed")
            .collect();
        assert_eq!(lapsed.len(), 1);
        assert_eq!(lapsed[0].actor, "system");
        // Running the deadline again changes nothing.
        assert!(!w.app.supplement_deadline(id).await.unwrap());
        let e = w.app.pay_supplement(&w.customer, id).await.unwrap_err();
        assert_eq!(code(&e), "supplement_not_due");
        w.clock
            .advance_ms(w.app.config.money.auto_confirm_ms + MINUTE_MS);
        run_jobs(&w).await;
        assert_eq!(w.status(id).await, "confirmed");
        assert_eq!(trial_total(&w).await, 0);
    }
);

backend_test!(
    a_job_within_its_booked_time_completes_directly_and_has_no_supplement_to_pay,
    |db: TestDb| async move {
        let w = world(&db).await;
        let listing = w.hourly_listing().await;
        let id = w.place_listing(&listing, "09:00").await;
        accepted_and_due(&w, id).await;
        let e = w.app.pay_supplement(&w.customer, id).await.unwrap_err();
        assert_eq!(code(&e), "supplement_not_due");
        w.check_in(id).await.unwrap();
        let o = order(&w, id).await;
        let booked = (o.end_at.0 - o.start_at.0) / MINUTE_MS;
        w.clock.advance_ms((booked - 10) * MINUTE_MS);
        let done = w.finish(id).await.unwrap();
        assert_eq!(done.status, "completed");
        assert!(done.supplement.is_none());
        let e = w
            .app
            .decline_supplement(&w.customer, id, &DeclineSupplementForm::default())
            .await
            .unwrap_err();
        assert_eq!(code(&e), "supplement_not_due");
        assert_eq!(w.status(id).await, "completed");
        assert_eq!(trial_total(&w).await, 0);
    }
);
