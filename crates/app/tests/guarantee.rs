//! 先行赔付 guarantee: the fund is financed by a slice of commission; an approved claim pays
//! the customer from the fund at once and charges the provider, whose available balance may
//! go negative until their next earnings repay it. Bad claims change nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

mod common;

use common::{World, act_as, code, world};
use linli_app::{
    AppError,
    guarantee::{GuaranteeClaimForm, GuaranteeDecisionForm},
    jobs::JobRunner,
};
use linli_domain::{
    ids::{OrderId, ProviderId},
    ledger::{Account, Commission},
    money::Money,
    time::{Clock, DAY_MS, MINUTE_MS},
};
use linli_testkit::{TestDb, backend_test};

const OPERATOR: &str = "13800000000";
const RATE: Commission = Commission {
    bps: 1_000,
    min_fen: 0,
};

async fn owed(w: &World, a: Account) -> i64 {
    a.owed(w.app.store.account_balance(&a.key()).await.unwrap())
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

async fn trial_total(w: &World) -> i64 {
    w.app.trial_balance_unchecked().await.unwrap().total_fen
}

async fn to_start(w: &World, id: OrderId) {
    let o = w.app.store.order(id).await.unwrap().unwrap();
    let now = w.clock.now().0;
    if o.start_at.0 - 30 * MINUTE_MS > now {
        w.clock.advance_ms(o.start_at.0 - 30 * MINUTE_MS - now);
    }
}

async fn serve_and_confirm(w: &World, id: OrderId) -> i64 {
    w.app.answer_order(&w.provider, id, true, "").await.unwrap();
    to_start(w, id).await;
    w.check_in(id).await.unwrap();
    w.finish(id).await.unwrap();
    w.app.confirm_order(&w.customer, id).await.unwrap();
    w.app.store.order(id).await.unwrap().unwrap().total_fen
}

fn yuan(fen: i64) -> String {
    Money::from_fen(fen).yuan_string()
}

fn claim(amount_fen: i64) -> GuaranteeClaimForm {
    GuaranteeClaimForm {
        kind: "damage".into(),
        description: "打扫时碰碎了花瓶".into(),
        amount: yuan(amount_fen),
    }
}

fn approve(amount_fen: i64) -> GuaranteeDecisionForm {
    GuaranteeDecisionForm {
        decision: "approve".into(),
        amount: yuan(amount_fen),
        note: "照片属实".into(),
    }
}

/// What must not move when a request is refused: the ledger and the order's claims.
async fn snapshot(w: &World, id: OrderId) -> (i64, usize, usize, Vec<String>) {
    let tb = w.app.trial_balance_unchecked().await.unwrap();
    (
        tb.total_fen,
        tb.lines.len(),
        w.app.store.order_entries(id).await.unwrap().len(),
        w.app
            .store
            .guarantee_claims_of_order(id)
            .await
            .unwrap()
            .iter()
            .map(|c| format!("{}:{}:{}", c.id, c.status, c.approved_fen))
            .collect(),
    )
}

backend_test!(
    a_confirmed_order_funds_the_guarantee_with_the_exact_slice,
    |db: TestDb| async move {
        let w = world(&db).await;
        let id = w.place("10:00").await.unwrap();
        w.app.mark_paid(id).await.unwrap();
        let total = serve_and_confirm(&w, id).await;
        let (_, commission) = RATE.split(Money::from_fen(total));
        let slice = Commission::fund_slice(commission, 1_000);
        assert!(slice.fen() > 0);
        assert_eq!(owed(&w, Account::GuaranteeFund).await, slice.fen());
        assert_eq!(
            owed(&w, Account::CommissionRevenue).await,
            commission.fen() - slice.fen()
        );
        assert_eq!(trial_total(&w).await, 0);
    }
);

backend_test!(
    a_payout_before_recovery_leaves_the_provider_negative_and_the_next_earnings_repay_it,
    |db: TestDb| async move {
        let w = world(&db).await;
        let pid = provider_id(&w).await;
        let operator = act_as(&w.app, OPERATOR).await;
        let a = w.place("09:00").await.unwrap();
        let b = w.place("15:00").await.unwrap();
        w.app.mark_paid(a).await.unwrap();
        w.app.mark_paid(b).await.unwrap();
        let total_a = serve_and_confirm(&w, a).await;
        let (share_a, _) = RATE.split(Money::from_fen(total_a));
        let fund_before = owed(&w, Account::GuaranteeFund).await;

        // The customer claims more than the order's share; the operator approves part of it.
        let claimed = share_a.fen() + 5_000;
        let payout = share_a.fen() + 3_000;
        let c = w
            .app
            .file_guarantee_claim(&w.customer, a, &claim(claimed))
            .await
            .unwrap();
        assert_eq!(c.status, "open");
        assert_eq!(c.claimed_fen, claimed);
        let queue = w
            .app
            .guarantee_queue(&operator, Some("open"))
            .await
            .unwrap();
        assert_eq!(queue.len(), 1);
        let d = w
            .app
            .decide_guarantee_claim(&operator, c.id, &approve(payout))
            .await
            .unwrap();
        assert_eq!(d.status, "approved");
        assert_eq!(d.approved_fen, payout);

        // Paid at once from the fund; the provider owes it, so the fund is whole again.
        let customer = w.customer.member().unwrap().id;
        assert_eq!(owed(&w, Account::CustomerCredit(customer)).await, payout);
        assert_eq!(owed(&w, Account::GuaranteeFund).await, fund_before);
        assert_eq!(
            owed(&w, Account::ProviderAvailable(pid)).await,
            -payout,
            "negative by exactly the payout before recovery"
        );
        assert_eq!(owed(&w, Account::ProviderPending(pid)).await, share_a.fen());
        assert_eq!(trial_total(&w).await, 0);
        let kinds: Vec<String> = w
            .app
            .store
            .order_entries(a)
            .await
            .unwrap()
            .iter()
            .map(|e| e.kind.clone())
            .collect();
        assert!(kinds.iter().any(|k| k == "guarantee_payout"));

        // The next order's earnings settle into available and repay it.
        let total_b = serve_and_confirm(&w, b).await;
        let (share_b, _) = RATE.split(Money::from_fen(total_b));
        w.clock.advance_ms(DAY_MS + MINUTE_MS);
        run_jobs(&w).await;
        assert_eq!(owed(&w, Account::ProviderPending(pid)).await, 0);
        assert_eq!(
            owed(&w, Account::ProviderAvailable(pid)).await,
            share_a.fen() + share_b.fen() - payout
        );
        assert_eq!(trial_total(&w).await, 0);

        // A decided claim cannot be decided again.
        let e = w
            .app
            .decide_guarantee_claim(&operator, c.id, &approve(1))
            .await
            .unwrap_err();
        assert_eq!(code(&e), "claim_decided");
    }
);

backend_test!(
    bad_claims_and_decisions_change_nothing,
    |db: TestDb| async move {
        let w = world(&db).await;
        let operator = act_as(&w.app, OPERATOR).await;
        let other = act_as(&w.app, linli_app::seed::DEMO_CUSTOMERS[1].0).await;
        let a = w.place("09:00").await.unwrap();
        let b = w.place("15:00").await.unwrap();
        w.app.mark_paid(a).await.unwrap();
        w.app.mark_paid(b).await.unwrap();

        // Not completed yet.
        let before = snapshot(&w, b).await;
        let e = w
            .app
            .file_guarantee_claim(&w.customer, b, &claim(1_000))
            .await
            .unwrap_err();
        assert_eq!(code(&e), "not_completed");
        assert_eq!(snapshot(&w, b).await, before);

        serve_and_confirm(&w, a).await;
        let before = snapshot(&w, a).await;

        // Someone else's order.
        let e = w
            .app
            .file_guarantee_claim(&other, a, &claim(1_000))
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::NotFound));
        // Above the ¥5,000 cap.
        let e = w
            .app
            .file_guarantee_claim(&w.customer, a, &claim(500_001))
            .await
            .unwrap_err();
        assert_eq!(code(&e), "amount_above_cap");
        // Empty description, unknown kind, zero amount.
        let mut f = claim(1_000);
        f.description = "  ".into();
        assert!(
            w.app
                .file_guarantee_claim(&w.customer, a, &f)
                .await
                .is_err()
        );
        let mut f = claim(1_000);
        f.kind = "other".into();
        assert!(
            w.app
                .file_guarantee_claim(&w.customer, a, &f)
                .await
                .is_err()
        );
        assert!(
            w.app
                .file_guarantee_claim(&w.customer, a, &claim(0))
                .await
                .is_err()
        );
        assert_eq!(snapshot(&w, a).await, before);

        // One open claim per order.
        let c = w
            .app
            .file_guarantee_claim(&w.customer, a, &claim(500_000))
            .await
            .unwrap();
        let before = snapshot(&w, a).await;
        let e = w
            .app
            .file_guarantee_claim(&w.customer, a, &claim(1_000))
            .await
            .unwrap_err();
        assert_eq!(code(&e), "claim_open");
        // Only finance operators decide; never more than claimed.
        let e = w
            .app
            .decide_guarantee_claim(&w.customer, c.id, &approve(1_000))
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Forbidden));
        let e = w
            .app
            .decide_guarantee_claim(&operator, c.id, &approve(500_001))
            .await
            .unwrap_err();
        assert_eq!(code(&e), "amount_too_large");
        assert_eq!(snapshot(&w, a).await, before);

        // Rejected: no money moves, and the customer may claim again within the window.
        let r = w
            .app
            .decide_guarantee_claim(
                &operator,
                c.id,
                &GuaranteeDecisionForm {
                    decision: "reject".into(),
                    amount: String::new(),
                    note: "证据不足".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(r.status, "rejected");
        assert_eq!(snapshot(&w, a).await.2, before.2, "no ledger entry");
        assert!(
            owed(&w, Account::GuaranteeFund).await > 0,
            "the fund kept its slice"
        );

        // After 14 days from completion: refused.
        let completed = w
            .app
            .store
            .order(a)
            .await
            .unwrap()
            .unwrap()
            .completed_at
            .unwrap();
        w.clock
            .advance_ms(completed.0 + 14 * DAY_MS + MINUTE_MS - w.clock.now().0);
        let before = snapshot(&w, a).await;
        let e = w
            .app
            .file_guarantee_claim(&w.customer, a, &claim(1_000))
            .await
            .unwrap_err();
        assert_eq!(code(&e), "guarantee_window_closed");
        assert_eq!(snapshot(&w, a).await, before);
        assert_eq!(trial_total(&w).await, 0);
    }
);

/// Makes the listing's category require `yuan` of deposit and has the provider pay it.
async fn paid_deposit(w: &World, yuan: &str) {
    let operator = act_as(&w.app, OPERATOR).await;
    w.app
        .set_category_deposit(&operator, &w.listing.category, yuan)
        .await
        .unwrap();
    let start = w.app.pay_deposit(&w.provider).await.unwrap();
    w.app.mark_deposit_paid(&start.out_trade_no).await.unwrap();
}

/// Files a claim of `fen` on `id` and has an operator approve all of it.
async fn paid_claim(w: &World, id: OrderId, fen: i64) {
    let operator = act_as(&w.app, OPERATOR).await;
    let c = w
        .app
        .file_guarantee_claim(&w.customer, id, &claim(fen))
        .await
        .unwrap();
    let d = w
        .app
        .decide_guarantee_claim(&operator, c.id, &approve(fen))
        .await
        .unwrap();
    assert_eq!((d.status.as_str(), d.approved_fen), ("approved", fen));
}

backend_test!(
    a_payout_covered_by_the_available_balance_leaves_the_deposit_alone,
    |db: TestDb| async move {
        let w = world(&db).await;
        let pid = provider_id(&w).await;
        paid_deposit(&w, "500").await;
        let a = w.place("09:00").await.unwrap();
        w.app.mark_paid(a).await.unwrap();
        let total = serve_and_confirm(&w, a).await;
        let (share, _) = RATE.split(Money::from_fen(total));
        w.clock.advance_ms(DAY_MS + MINUTE_MS);
        run_jobs(&w).await;
        assert_eq!(owed(&w, Account::ProviderAvailable(pid)).await, share.fen());
        assert_eq!(trial_total(&w).await, 0);

        let payout = share.fen() / 2;
        paid_claim(&w, a, payout).await;
        assert_eq!(
            owed(&w, Account::ProviderAvailable(pid)).await,
            share.fen() - payout
        );
        assert_eq!(owed(&w, Account::ProviderDeposit(pid)).await, 50_000);
        let customer = w.customer.member().unwrap().id;
        assert_eq!(owed(&w, Account::CustomerCredit(customer)).await, payout);
        assert_eq!(trial_total(&w).await, 0);
    }
);

backend_test!(
    a_payout_beyond_the_available_balance_is_taken_from_the_deposit,
    |db: TestDb| async move {
        let w = world(&db).await;
        let pid = provider_id(&w).await;
        paid_deposit(&w, "500").await;
        let a = w.place("09:00").await.unwrap();
        w.app.mark_paid(a).await.unwrap();
        let total = serve_and_confirm(&w, a).await;
        let (share, _) = RATE.split(Money::from_fen(total));
        // Nothing available yet: the earnings are inside the settlement delay.
        assert_eq!(owed(&w, Account::ProviderAvailable(pid)).await, 0);
        let fund = owed(&w, Account::GuaranteeFund).await;

        paid_claim(&w, a, 30_000).await;
        assert_eq!(owed(&w, Account::ProviderDeposit(pid)).await, 20_000);
        assert_eq!(owed(&w, Account::ProviderAvailable(pid)).await, 0);
        assert_eq!(owed(&w, Account::ProviderPending(pid)).await, share.fen());
        assert_eq!(owed(&w, Account::GuaranteeFund).await, fund, "made whole");
        let e = w
            .app
            .store
            .order_entries(a)
            .await
            .unwrap()
            .into_iter()
            .find(|e| e.kind == "guarantee_payout")
            .unwrap();
        assert!(e.memo.contains("保证金 ¥300.00"), "{}", e.memo);
        assert_eq!(trial_total(&w).await, 0);
        // The deposit is short again: the listing cannot be booked until it is topped up.
        assert_eq!(
            w.app.deposit_shortfall_fen(&w.listing).await.unwrap(),
            30_000
        );
        assert_eq!(
            code(&w.place("15:00").await.unwrap_err()),
            "deposit_required"
        );
    }
);

backend_test!(
    a_payout_beyond_balance_and_deposit_leaves_a_negative_balance_that_later_earnings_repay,
    |db: TestDb| async move {
        let w = world(&db).await;
        let pid = provider_id(&w).await;
        paid_deposit(&w, "100").await;
        let a = w.place("09:00").await.unwrap();
        let b = w.place("15:00").await.unwrap();
        w.app.mark_paid(a).await.unwrap();
        w.app.mark_paid(b).await.unwrap();
        let total_a = serve_and_confirm(&w, a).await;
        let (share_a, _) = RATE.split(Money::from_fen(total_a));

        // ¥300 against ¥0 available and a ¥100 deposit: ¥100 from the deposit, ¥200 owed.
        paid_claim(&w, a, 30_000).await;
        assert_eq!(owed(&w, Account::ProviderDeposit(pid)).await, 0);
        assert_eq!(owed(&w, Account::ProviderAvailable(pid)).await, -20_000);
        assert_eq!(trial_total(&w).await, 0);

        // The orders' earnings settle into available and repay it.
        let total_b = serve_and_confirm(&w, b).await;
        let (share_b, _) = RATE.split(Money::from_fen(total_b));
        w.clock.advance_ms(DAY_MS + MINUTE_MS);
        run_jobs(&w).await;
        assert_eq!(owed(&w, Account::ProviderPending(pid)).await, 0);
        assert_eq!(
            owed(&w, Account::ProviderAvailable(pid)).await,
            share_a.fen() + share_b.fen() - 20_000
        );
        assert_eq!(owed(&w, Account::ProviderDeposit(pid)).await, 0);
        assert_eq!(trial_total(&w).await, 0);
    }
);
