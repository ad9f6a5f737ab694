//! Money on both backends: payment notifications verified and applied once, escrow released on
//! confirmation at the captured commission rate, refunds, settlement, withdrawals, and the
//! ledger's invariants after every step of random journeys.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

mod common;

use std::sync::Arc;

use common::{World, act_as, code, world};
use linli_app::{
    Actor, AppError,
    jobs::JobRunner,
    money::{AdminRefundForm, PayoutAccountForm, RuleForm, WithdrawForm},
};
use linli_domain::{
    ids::{OrderId, ProviderId},
    ledger::{Account, Commission},
    money::Money,
    time::{Clock, DAY_MS, MINUTE_MS, SystemClock},
};
use linli_pay::{Keys, Notice, NotificationHeaders, Transaction};
use linli_testkit::{TestDb, backend_test};

const OPERATOR: &str = "13800000000";

fn wall() -> i64 {
    SystemClock.now().0
}

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

/// Starts paying `id` and has the sandbox take the money; returns the provider's view of the
/// transaction (what a notification carries).
async fn paid_at_psp(w: &World, id: OrderId) -> Transaction {
    let start = w.app.pay_order(&w.customer, id).await.unwrap();
    let sandbox = w.app.payments.as_ref().unwrap().sandbox.clone().unwrap();
    sandbox.pay_now(&start.out_trade_no).unwrap()
}

/// Headers and body of a signed notification.
type Signed = (Vec<(String, String)>, Vec<u8>);

fn notification(keys: &Keys, t: &Transaction, at_ms: i64, nonce: &str) -> Signed {
    linli_pay::sign_notification(
        keys,
        "TRANSACTION.SUCCESS",
        &Notice::Transaction(t.clone()),
        at_ms,
        nonce,
    )
    .unwrap()
}

async fn deliver(
    w: &World,
    (headers, body): &(Vec<(String, String)>, Vec<u8>),
) -> Result<(), AppError> {
    w.app
        .payment_notification(&NotificationHeaders::from_pairs(headers), body)
        .await
}

fn payment_code(e: &AppError) -> &str {
    match e {
        AppError::Payment { code, .. } => code,
        other => code(other),
    }
}

/// Sum of every account, entries of one order, and the order's status: what must not move.
async fn snapshot(w: &World, id: OrderId) -> (i64, usize, String) {
    let tb = w.app.trial_balance_unchecked().await.unwrap();
    (
        tb.total_fen,
        w.app.store.order_entries(id).await.unwrap().len(),
        w.status(id).await,
    )
}

/// The ledger's invariants: all accounts sum to zero; no escrow, refund or withdrawal hold is
/// negative; the provider's money at the payment provider matches the payments, refunds and
/// transfers recorded outside the ledger.
async fn assert_books(w: &World) {
    let tb = w.app.trial_balance_unchecked().await.unwrap();
    assert_eq!(tb.total_fen, 0, "the trial balance sums to zero");
    for l in &tb.lines {
        let a = Account::parse(&l.account).unwrap();
        if matches!(
            a,
            Account::Escrow(_) | Account::RefundPayable | Account::ProviderWithdrawing(_)
        ) {
            assert!(a.owed(l.balance_fen) >= 0, "{} is negative", l.account);
        }
    }
    let events = w
        .app
        .store
        .money_events(
            linli_domain::time::Timestamp(0),
            linli_domain::time::Timestamp(i64::MAX),
        )
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
    assert_eq!(
        owed(w, Account::Psp).await,
        at_psp,
        "psp balance = payments − refunds − payouts"
    );
}

async fn run_jobs(w: &World) {
    JobRunner::new(w.app.clone()).run_due().await.unwrap();
}

/// Lets the sandbox settle refunds and transfers (100 ms), then runs the follow-up jobs.
async fn settle_psp(w: &World) {
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    w.clock.advance_ms(2 * MINUTE_MS);
    run_jobs(w).await;
}

/// Moves the clock to an hour before the order's start.
async fn to_start(w: &World, id: OrderId) {
    let o = w.app.store.order(id).await.unwrap().unwrap();
    let now = w.clock.now().0;
    if o.start_at.0 - 30 * MINUTE_MS > now {
        w.clock.advance_ms(o.start_at.0 - 30 * MINUTE_MS - now);
    }
}

/// Pays, accepts, starts, completes and confirms an order; returns its total.
async fn serve_and_confirm(w: &World, id: OrderId) -> i64 {
    w.app.mark_paid(id).await.unwrap();
    w.app.answer_order(&w.provider, id, true, "").await.unwrap();
    to_start(w, id).await;
    w.check_in(id).await.unwrap();
    w.finish(id).await.unwrap();
    w.app.confirm_order(&w.customer, id).await.unwrap();
    w.app.store.order(id).await.unwrap().unwrap().total_fen
}

async fn set_payout_account(w: &World, no: &str) {
    w.app
        .save_payout_account(
            &w.provider,
            &PayoutAccountForm {
                kind: "bank_card".into(),
                account_no: no.into(),
                holder_name: "张阿姨".into(),
            },
        )
        .await
        .unwrap();
}

fn yuan(fen: i64) -> String {
    Money::from_fen(fen).yuan_string()
}

backend_test!(
    a_paid_order_goes_from_escrow_to_the_providers_bank_account,
    |db: TestDb| async move {
        let w = world(&db).await;
        let pid = provider_id(&w).await;
        let id = w.place("10:00").await.unwrap();
        let total = w.app.store.order(id).await.unwrap().unwrap().total_fen;

        // Paid through a signed notification: the money sits in escrow.
        let t = paid_at_psp(&w, id).await;
        deliver(&w, &notification(&Keys::for_tests(), &t, wall(), "n-first"))
            .await
            .unwrap();
        assert_eq!(w.status(id).await, "awaiting_acceptance");
        assert_eq!(owed(&w, Account::Escrow(id)).await, total);
        assert_eq!(owed(&w, Account::Psp).await, total);
        assert_books(&w).await;

        w.app.answer_order(&w.provider, id, true, "").await.unwrap();
        to_start(&w, id).await;
        w.check_in(id).await.unwrap();
        w.finish(id).await.unwrap();
        assert_eq!(
            owed(&w, Account::Escrow(id)).await,
            total,
            "held until confirmed"
        );
        w.app.confirm_order(&w.customer, id).await.unwrap();

        // Released at the default 10 %: the share is pending, the commission is revenue.
        let (share, commission) = Commission {
            bps: 1_000,
            min_fen: 0,
        }
        .split(Money::from_fen(total));
        assert_eq!(owed(&w, Account::Escrow(id)).await, 0);
        assert_eq!(owed(&w, Account::ProviderPending(pid)).await, share.fen());
        // 10 % of the commission is set aside for the 先行赔付 fund; the rest is revenue.
        let fund = Commission::fund_slice(commission, 1_000);
        assert_eq!(owed(&w, Account::GuaranteeFund).await, fund.fen());
        assert_eq!(
            owed(&w, Account::CommissionRevenue).await,
            commission.fen() - fund.fen()
        );
        assert_books(&w).await;

        // The settlement delay passes: available.
        w.clock.advance_ms(DAY_MS + MINUTE_MS);
        run_jobs(&w).await;
        assert_eq!(owed(&w, Account::ProviderPending(pid)).await, 0);
        assert_eq!(owed(&w, Account::ProviderAvailable(pid)).await, share.fen());

        // Withdraw it all; the operator approves; the transfer pays it out less the fee.
        set_payout_account(&w, "6222020202020202").await;
        let view = w
            .app
            .request_withdrawal(
                &w.provider,
                &WithdrawForm {
                    amount: yuan(share.fen()),
                },
            )
            .await
            .unwrap();
        assert_eq!(owed(&w, Account::ProviderAvailable(pid)).await, 0);
        assert_eq!(
            owed(&w, Account::ProviderWithdrawing(pid)).await,
            share.fen()
        );
        let operator = act_as(&w.app, OPERATOR).await;
        let wid = view.id.parse().unwrap();
        w.app
            .decide_withdrawal(&operator, wid, true, "")
            .await
            .unwrap();
        run_jobs(&w).await;
        settle_psp(&w).await;
        let earnings = w.app.earnings(&w.provider).await.unwrap();
        assert_eq!(earnings.withdrawn_fen, share.fen());
        assert_eq!(
            earnings.available_fen + earnings.pending_fen + earnings.withdrawing_fen,
            0
        );
        let fee = w.app.store.withdrawal(wid).await.unwrap().unwrap().fee_fen;
        assert!(fee > 0);
        assert_eq!(owed(&w, Account::FeeRevenue).await, fee);
        assert_eq!(owed(&w, Account::Psp).await, total - (share.fen() - fee));
        assert_books(&w).await;
        // Deciding again changes nothing.
        let again = w
            .app
            .decide_withdrawal(&operator, wid, false, "")
            .await
            .unwrap_err();
        assert_eq!(code(&again), "invalid_transition");
    }
);

backend_test!(
    fifty_duplicate_notifications_capture_once_and_forgeries_move_nothing,
    |db: TestDb| async move {
        let w = Arc::new(world(&db).await);
        let id = w.place("10:00").await.unwrap();
        let total = w.app.store.order(id).await.unwrap().unwrap().total_fen;
        let t = paid_at_psp(&w, id).await;
        let keys = Keys::for_tests();
        let before = snapshot(&w, id).await;

        // Forgeries, each refused with its own code, and nothing moves.
        let mut foreign = keys.clone();
        foreign.psp_private = Some(Keys::foreign_test_key());
        let mut more = t.clone();
        more.amount = total + 1;
        more.payer_total = total + 1;
        let mut unknown = t.clone();
        unknown.out_trade_no = "00000000000000000000000000000000".into();
        let mut other_merchant = t.clone();
        other_merchant.mchid = "1900000999".into();
        let (h, mut tampered) = notification(&keys, &t, wall(), "n-tamper");
        let pos = tampered.len() / 2;
        tampered[pos] ^= 1;
        let cases: Vec<(&str, Signed)> = vec![
            (
                "bad_signature",
                notification(&foreign, &t, wall(), "n-foreign"),
            ),
            ("bad_signature", (h, tampered)),
            (
                "stale_timestamp",
                notification(&keys, &t, wall() - 6 * MINUTE_MS, "n-stale"),
            ),
            (
                "amount_mismatch",
                notification(&keys, &more, wall(), "n-more"),
            ),
            (
                "unknown_order",
                notification(&keys, &unknown, wall(), "n-unknown"),
            ),
        ];
        for (want, n) in &cases {
            let e = deliver(&w, n).await.unwrap_err();
            assert_eq!(payment_code(&e), *want);
            assert_eq!(snapshot(&w, id).await, before, "{want} moved something");
        }
        let e = deliver(&w, &notification(&keys, &other_merchant, wall(), "n-mch"))
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Payment { .. }), "{e:?}");
        assert_eq!(snapshot(&w, id).await, before);

        // The storm: 50 genuine duplicates, concurrently, in scrambled order; some repeat a
        // nonce. Exactly one capture.
        let mut storm: Vec<_> = (0..50)
            .map(|i| {
                notification(
                    &keys,
                    &t,
                    wall() - (i % 7) * 1000,
                    &format!("storm-{}", i % 40),
                )
            })
            .collect();
        storm.reverse();
        storm.swap(3, 41);
        let tasks: Vec<_> = storm
            .into_iter()
            .map(|n| {
                let w = Arc::clone(&w);
                tokio::spawn(async move { deliver(&w, &n).await })
            })
            .collect();
        for t in tasks {
            if let Err(e) = t.await.unwrap() {
                assert_eq!(payment_code(&e), "replayed_nonce", "{e:?}");
            }
        }
        let captures = w
            .app
            .store
            .order_entries(id)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == "capture")
            .count();
        assert_eq!(captures, 1);
        assert_eq!(owed(&w, Account::Escrow(id)).await, total);
        assert_eq!(w.status(id).await, "awaiting_acceptance");
        assert_books(&w).await;

        // A replay of an applied notification's nonce is refused.
        let e = deliver(&w, &notification(&keys, &t, wall(), "storm-1"))
            .await
            .unwrap_err();
        assert_eq!(payment_code(&e), "replayed_nonce");
        // The query-back path finds it captured already and changes nothing.
        let o = w.app.store.order_payments(id).await.unwrap();
        w.app.query_payment(&o[0].out_trade_no).await.unwrap();
        assert_eq!(w.app.store.order_entries(id).await.unwrap().len(), 1);
    }
);

backend_test!(
    a_refund_after_a_rate_change_gives_back_commission_at_the_captured_rate,
    |db: TestDb| async move {
        let w = world(&db).await;
        let pid = provider_id(&w).await;
        let operator = act_as(&w.app, OPERATOR).await;
        let rule = |id: Option<String>, rate: &str| RuleForm {
            id,
            scope: "default".into(),
            scope_id: String::new(),
            rate_percent: rate.into(),
            min_fee: String::new(),
            starts_on: String::new(),
            ends_on: String::new(),
            new_provider_days: None,
            new_provider_orders: None,
            active: true,
            note: String::new(),
        };
        let r = w
            .app
            .save_commission_rule(&operator, &rule(None, "8"))
            .await
            .unwrap();
        let id = w.place("10:00").await.unwrap();
        w.app.mark_paid(id).await.unwrap();
        // The rate changes after the capture.
        w.app
            .save_commission_rule(&operator, &rule(Some(r.id.to_string()), "20"))
            .await
            .unwrap();
        let (rules, audit) = w.app.commission_rules(&operator).await.unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].bps, 2_000);
        assert_eq!(audit.len(), 2, "both changes audited");
        assert!(audit[0].before.contains("800"));

        w.app.answer_order(&w.provider, id, true, "").await.unwrap();
        to_start(&w, id).await;
        w.check_in(id).await.unwrap();
        w.finish(id).await.unwrap();
        w.app.confirm_order(&w.customer, id).await.unwrap();
        let total = w.app.store.order(id).await.unwrap().unwrap().total_fen;
        let captured = Commission {
            bps: 800,
            min_fen: 0,
        };
        assert_eq!(
            commission_kept(&w).await,
            captured.on(Money::from_fen(total)).fen()
        );

        // 30 % refunded by the operator after release: commission comes back at 8 %.
        let refund = total * 30 / 100;
        w.app
            .admin_refund(
                &operator,
                id,
                &AdminRefundForm {
                    amount: yuan(refund),
                    reason: "部分服务未完成".into(),
                },
            )
            .await
            .unwrap();
        let kept = total - refund;
        assert_eq!(
            commission_kept(&w).await,
            captured.on(Money::from_fen(kept)).fen()
        );
        assert_eq!(
            owed(&w, Account::ProviderPending(pid)).await,
            captured.split(Money::from_fen(kept)).0.fen()
        );
        assert_eq!(owed(&w, Account::RefundPayable).await, refund);
        // More than the order still holds is refused and changes nothing.
        let e = w
            .app
            .admin_refund(
                &operator,
                id,
                &AdminRefundForm {
                    amount: yuan(kept + 1),
                    reason: "再退".into(),
                },
            )
            .await
            .unwrap_err();
        assert_eq!(code(&e), "amount_too_large");
        assert_eq!(owed(&w, Account::RefundPayable).await, refund);
        // The refund is paid out by the provider.
        run_jobs(&w).await;
        settle_psp(&w).await;
        assert_eq!(owed(&w, Account::RefundPayable).await, 0);
        assert_eq!(owed(&w, Account::Psp).await, kept);
        assert_books(&w).await;
        // A customer may not refund.
        let e = w
            .app
            .admin_refund(
                &w.customer,
                id,
                &AdminRefundForm {
                    amount: "1".into(),
                    reason: "x".into(),
                },
            )
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Forbidden));
    }
);

backend_test!(
    twenty_concurrent_withdrawals_of_the_whole_balance_accept_exactly_one,
    |db: TestDb| async move {
        let w = Arc::new(world(&db).await);
        let pid = provider_id(&w).await;
        let id = w.place("10:00").await.unwrap();
        serve_and_confirm(&w, id).await;
        w.clock.advance_ms(DAY_MS + MINUTE_MS);
        run_jobs(&w).await;
        let available = owed(&w, Account::ProviderAvailable(pid)).await;
        assert!(available >= 1_000, "{available}");
        // No account yet: refused.
        let e = w
            .app
            .request_withdrawal(
                &w.provider,
                &WithdrawForm {
                    amount: yuan(available),
                },
            )
            .await
            .unwrap_err();
        assert_eq!(code(&e), "no_payout_account");
        set_payout_account(&w, "6222020202020202").await;
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let w = Arc::clone(&w);
                let amount = yuan(available);
                tokio::spawn(async move {
                    w.app
                        .request_withdrawal(&w.provider, &WithdrawForm { amount })
                        .await
                })
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => ok += 1,
                Err(e) => assert_eq!(code(&e), "insufficient_balance"),
            }
        }
        assert_eq!(ok, 1);
        assert_eq!(owed(&w, Account::ProviderAvailable(pid)).await, 0);
        assert_eq!(owed(&w, Account::ProviderWithdrawing(pid)).await, available);
        // Below the minimum and malformed amounts are refused.
        for bad in ["5", "abc", "-10", "1e3"] {
            assert!(
                w.app
                    .request_withdrawal(&w.provider, &WithdrawForm { amount: bad.into() })
                    .await
                    .is_err()
            );
        }
        // A rejected withdrawal returns the money; a failed transfer does too.
        let operator = act_as(&w.app, OPERATOR).await;
        let wid = w.app.earnings(&w.provider).await.unwrap().withdrawals[0]
            .id
            .parse()
            .unwrap();
        w.app
            .decide_withdrawal(&operator, wid, false, "账户信息不符")
            .await
            .unwrap();
        assert_eq!(owed(&w, Account::ProviderAvailable(pid)).await, available);
        set_payout_account(&w, "6222020202020000").await; // the sandbox fails accounts ending 0000
        let v = w
            .app
            .request_withdrawal(
                &w.provider,
                &WithdrawForm {
                    amount: yuan(available),
                },
            )
            .await
            .unwrap();
        w.app
            .decide_withdrawal(&operator, v.id.parse().unwrap(), true, "")
            .await
            .unwrap();
        run_jobs(&w).await;
        settle_psp(&w).await;
        let row = w
            .app
            .store
            .withdrawal(v.id.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.status, "failed");
        assert_eq!(owed(&w, Account::ProviderAvailable(pid)).await, available);
        assert_books(&w).await;
    }
);

backend_test!(
    cancelling_a_paid_order_refunds_escrow_less_the_fee_through_the_provider,
    |db: TestDb| async move {
        let w = world(&db).await;
        let pid = provider_id(&w).await;
        // Declined: everything back.
        let a = w.place("09:00").await.unwrap();
        w.app.mark_paid(a).await.unwrap();
        w.app
            .answer_order(&w.provider, a, false, "没空")
            .await
            .unwrap();
        let total_a = w.app.store.order(a).await.unwrap().unwrap().total_fen;
        assert_eq!(owed(&w, Account::Escrow(a)).await, 0);
        assert_eq!(owed(&w, Account::RefundPayable).await, total_a);
        run_jobs(&w).await;
        settle_psp(&w).await;
        assert_eq!(owed(&w, Account::RefundPayable).await, 0);
        let refunds = w.app.store.order_refunds(a).await.unwrap();
        assert_eq!(refunds.len(), 1);
        assert_eq!(refunds[0].status, "success");
        assert_eq!(refunds[0].amount_fen, total_a);
        let view = w.app.order_view(&w.customer, a).await.unwrap();
        assert_eq!(view.paid, Money::from_fen(total_a).to_string());
        assert_eq!(view.refunds.len(), 1);
        assert_eq!(view.refunds[0].status, "success");

        // Accepted, then cancelled by the customer close to the start: the policy fee stays
        // with the provider (less commission), the rest goes back.
        let b = w.place("15:00").await.unwrap();
        w.app.mark_paid(b).await.unwrap();
        w.app.answer_order(&w.provider, b, true, "").await.unwrap();
        let o = w.app.store.order(b).await.unwrap().unwrap();
        w.clock
            .advance_ms(o.start_at.0 - w.clock.now().0 - 3 * 60 * MINUTE_MS);
        let preview = w.app.cancel_preview(&w.customer, b).await.unwrap();
        w.app
            .cancel_order(&w.customer, b, "临时有事")
            .await
            .unwrap();
        let o = w.app.store.order(b).await.unwrap().unwrap();
        assert_eq!(o.fee_fen, preview.fee_fen);
        let (share, _) = Commission {
            bps: 1_000,
            min_fen: 0,
        }
        .split(Money::from_fen(o.fee_fen));
        assert_eq!(owed(&w, Account::Escrow(b)).await, 0);
        assert_eq!(owed(&w, Account::ProviderPending(pid)).await, share.fen());
        run_jobs(&w).await;
        settle_psp(&w).await;
        assert_eq!(owed(&w, Account::Psp).await, o.fee_fen);
        assert_books(&w).await;
    }
);

/// Deterministic pseudo-random numbers for the journeys (xorshift).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// What the provider should have earned in total (pending + available + withdrawing +
/// withdrawn), worked out from the operations alone.
struct Model {
    earned: i64,
    /// How often each kind of step changed something: confirm, cancel, refund, withdraw.
    done: [u32; 4],
}

async fn step(
    w: &World,
    rng: &mut Rng,
    orders: &mut Vec<OrderId>,
    m: &mut Model,
    operator: &Actor,
) {
    let c = Commission {
        bps: 1_250,
        min_fen: 100,
    };
    let pid = provider_id(w).await;
    let pick = |rng: &mut Rng, orders: &Vec<OrderId>| {
        (!orders.is_empty()).then(|| orders[rng.below(orders.len() as u64) as usize])
    };
    match rng.below(9) {
        0 => {
            let times = w.slots().await;
            if !times.is_empty() {
                let t = &times[rng.below(times.len() as u64) as usize];
                if let Ok(id) = w.place(t).await
                    && w.app.mark_paid(id).await.is_ok()
                {
                    orders.push(id);
                }
            }
        }
        1 => {
            if let Some(id) = pick(rng, orders) {
                let _ = w
                    .app
                    .answer_order(&w.provider, id, rng.below(4) != 0, "")
                    .await;
            }
        }
        2 => {
            if let Some(id) = pick(rng, orders)
                && w.app.cancel_order(&w.customer, id, "").await.is_ok()
            {
                m.done[1] += 1;
                let o = w.app.store.order(id).await.unwrap().unwrap();
                m.earned += c.split(Money::from_fen(o.fee_fen)).0.fen();
            }
        }
        3 => {
            if let Some(id) = pick(rng, orders)
                && w.app.cancel_order(&w.provider, id, "").await.is_ok()
            {
                let o = w.app.store.order(id).await.unwrap().unwrap();
                m.earned -= o.credit_fen;
            }
        }
        4 => {
            if let Some(id) = pick(rng, orders) {
                let o = w.app.store.order(id).await.unwrap().unwrap();
                if o.status == "accepted" {
                    to_start(w, id).await;
                    let _ = w.check_in(id).await;
                    let _ = w.finish(id).await;
                }
            }
        }
        5 => {
            if let Some(id) = pick(rng, orders) {
                let held = owed(w, Account::Escrow(id)).await;
                if w.app.confirm_order(&w.customer, id).await.is_ok() {
                    m.done[0] += 1;
                    m.earned += c.split(Money::from_fen(held)).0.fen();
                }
            }
        }
        6 => {
            if let Some(id) = pick(rng, orders) {
                let o = w.app.store.order(id).await.unwrap().unwrap();
                let held = owed(w, Account::Escrow(id)).await;
                let entries = w.app.store.order_entries(id).await.unwrap();
                let released: i64 = entries
                    .iter()
                    .filter(|e| e.kind == "release")
                    .flat_map(|e| e.postings.iter())
                    .filter(|(a, _)| *a == Account::Escrow(id).key())
                    .map(|(_, v)| *v)
                    .sum();
                let clawed: i64 = entries
                    .iter()
                    .filter(|e| e.kind == "clawback")
                    .flat_map(|e| e.postings.iter())
                    .filter(|(a, _)| *a == Account::RefundPayable.key())
                    .map(|(_, v)| -*v)
                    .sum();
                let room = if o.released_at.is_some() {
                    released - clawed
                } else {
                    held
                };
                if room > 1 {
                    let amount = 1 + rng.below((room / 2) as u64) as i64;
                    let r = w
                        .app
                        .admin_refund(
                            operator,
                            id,
                            &AdminRefundForm {
                                amount: yuan(amount),
                                reason: "售后".into(),
                            },
                        )
                        .await;
                    if r.is_ok() {
                        m.done[2] += 1;
                    }
                    if r.is_ok() && o.released_at.is_some() {
                        let back =
                            c.given_back(Money::from_fen(room), Money::from_fen(room - amount));
                        m.earned -= amount - back.fen();
                    }
                }
            }
        }
        7 => {
            w.clock
                .advance_ms((1 + rng.below(30) as i64) * 60 * MINUTE_MS);
            settle_psp(w).await;
        }
        _ => {
            let available = owed(w, Account::ProviderAvailable(pid)).await;
            if available >= 1_000 {
                let amount = 1_000 + rng.below((available - 999) as u64) as i64;
                if let Ok(v) = w
                    .app
                    .request_withdrawal(
                        &w.provider,
                        &WithdrawForm {
                            amount: yuan(amount),
                        },
                    )
                    .await
                {
                    m.done[3] += 1;
                    let _ = w
                        .app
                        .decide_withdrawal(operator, v.id.parse().unwrap(), rng.below(3) != 0, "")
                        .await;
                }
            }
        }
    }
}

backend_test!(
    random_journeys_keep_the_books_balanced_after_every_step,
    |db: TestDb| async move {
        let mut w = world(&db).await;
        // Confirmations come from the journey's own steps, not the 7-day automatic one.
        w.app.config.money.auto_confirm_ms = 3650 * DAY_MS;
        let pid = provider_id(&w).await;
        let operator = act_as(&w.app, OPERATOR).await;
        w.app
            .save_commission_rule(
                &operator,
                &RuleForm {
                    id: None,
                    scope: "default".into(),
                    scope_id: String::new(),
                    rate_percent: "12.5".into(),
                    min_fee: "1".into(),
                    starts_on: String::new(),
                    ends_on: String::new(),
                    new_provider_days: None,
                    new_provider_orders: None,
                    active: true,
                    note: String::new(),
                },
            )
            .await
            .unwrap();
        set_payout_account(&w, "6222020202020202").await;
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut orders = Vec::new();
        let mut m = Model {
            earned: 0,
            done: [0; 4],
        };
        for _ in 0..60 {
            step(&w, &mut rng, &mut orders, &mut m, &operator).await;
            assert_books(&w).await;
            let e = w.app.earnings_of(pid).await.unwrap();
            assert_eq!(
                e.pending_fen + e.available_fen + e.withdrawing_fen + e.withdrawn_fen,
                m.earned,
                "the provider's balances equal what the operations earned"
            );
        }
        assert!(
            orders.len() >= 3,
            "the journey placed orders: {}",
            orders.len()
        );
    }
);

backend_test!(
    the_database_refuses_to_edit_delete_or_unbalance_the_ledger,
    |db: TestDb| async move {
        let w = world(&db).await;
        let id = w.place("10:00").await.unwrap();
        w.app.mark_paid(id).await.unwrap();
        let pool = db.store.pool();
        for sql in [
            "UPDATE postings SET amount = amount + 1",
            "DELETE FROM postings",
            "UPDATE journal_entries SET memo = 'x'",
            "DELETE FROM journal_entries",
        ] {
            assert!(
                sqlx::query(sql).execute(pool).await.is_err(),
                "{sql} must be refused"
            );
        }
        // An entry whose postings do not balance cannot be sealed.
        let mut tx = pool.begin().await.unwrap();
        sqlx::query(
            "INSERT INTO postings (entry_id, line, account, amount, created_at) \
             VALUES ('e-bad', 0, 'psp', 100, 0)",
        )
        .execute(&mut *tx)
        .await
        .unwrap();
        let sealed = sqlx::query(
            "INSERT INTO journal_entries (id, kind, order_id, reference, memo, created_at) \
             VALUES ('e-bad', 'capture', NULL, NULL, '', 0)",
        )
        .execute(&mut *tx)
        .await;
        assert!(sealed.is_err(), "an unbalanced entry is refused");
        drop(tx);
        // Nor can a posting join a sealed entry.
        let entry = &w.app.store.order_entries(id).await.unwrap()[0];
        let late = sqlx::query(
            "INSERT INTO postings (entry_id, line, account, amount, created_at) \
             VALUES ($1, 9, 'psp', 5, 0)",
        )
        .bind(&entry.id)
        .execute(pool)
        .await;
        assert!(late.is_err());
        assert_books(&w).await;
    }
);

backend_test!(
    a_lost_notification_is_made_up_by_asking_back_and_a_late_payment_is_refunded,
    |db: TestDb| async move {
        let w = world(&db).await;
        // Paid at the provider, but the notification never arrives: the query job captures it.
        let a = w.place("09:00").await.unwrap();
        paid_at_psp(&w, a).await;
        assert_eq!(w.status(a).await, "pending_payment");
        w.clock.advance_ms(2 * MINUTE_MS + 1);
        run_jobs(&w).await;
        assert_eq!(w.status(a).await, "awaiting_acceptance");
        let total_a = w.app.store.order(a).await.unwrap().unwrap().total_fen;
        assert_eq!(owed(&w, Account::Escrow(a)).await, total_a);

        // Never paid: after the window the order expires and the payment is closed at the
        // provider too, so it can no longer take money.
        let b = w.place("14:00").await.unwrap();
        let start = w.app.pay_order(&w.customer, b).await.unwrap();
        w.clock.advance_ms(17 * MINUTE_MS);
        run_jobs(&w).await;
        assert_eq!(w.status(b).await, "expired");
        let p = w
            .app
            .store
            .payment(&start.out_trade_no)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(p.status, "closed");
        let sandbox = w.app.payments.as_ref().unwrap().sandbox.clone().unwrap();
        assert!(sandbox.pay_now(&start.out_trade_no).is_err());
        assert!(
            w.app.pay_order(&w.customer, b).await.is_err(),
            "an expired order cannot be paid"
        );

        // Paid at the last second while the order expired: captured and refunded in full.
        let c = w.place("17:00").await.unwrap();
        let t = paid_at_psp(&w, c).await;
        w.clock.advance_ms(16 * MINUTE_MS);
        w.app.expire_order(c).await.unwrap();
        assert_eq!(w.status(c).await, "expired");
        deliver(&w, &notification(&Keys::for_tests(), &t, wall(), "late-1"))
            .await
            .unwrap();
        assert_eq!(w.status(c).await, "expired");
        let total_c = w.app.store.order(c).await.unwrap().unwrap().total_fen;
        assert_eq!(owed(&w, Account::Escrow(c)).await, 0);
        let refunds = w.app.store.order_refunds(c).await.unwrap();
        assert_eq!(refunds.len(), 1);
        assert_eq!(refunds[0].amount_fen, total_c);
        run_jobs(&w).await;
        settle_psp(&w).await;
        assert_eq!(
            w.app.store.order_refunds(c).await.unwrap()[0].status,
            "success"
        );
        assert_books(&w).await;
    }
);

backend_test!(
    reconciliation_matches_the_providers_statement_and_lists_every_difference,
    |db: TestDb| async move {
        let w = world(&db).await;
        let a = w.place("09:00").await.unwrap();
        w.app.mark_paid(a).await.unwrap();
        w.app.answer_order(&w.provider, a, false, "").await.unwrap();
        run_jobs(&w).await;
        settle_psp(&w).await;
        let day = linli_domain::time::Day::of(w.clock.now()).to_string();
        let report = w.app.reconcile(&day).await.unwrap();
        assert_eq!(report.matched, 2, "the payment and its refund: {report:?}");
        assert!(report.differences.is_empty(), "{report:?}");

        // Money the provider took that the ledger never recorded (a payment captured nowhere).
        let b = w.place("14:00").await.unwrap();
        let t = paid_at_psp(&w, b).await;
        let report = w.app.reconcile(&day).await.unwrap();
        assert_eq!(report.differences.len(), 1);
        assert_eq!(report.differences[0].kind, "missing_in_ledger");
        assert_eq!(report.differences[0].reference, t.out_trade_no);
        // Once captured, it matches; the saved report is the latest run.
        w.app.query_payment(&t.out_trade_no).await.unwrap();
        let report = w.app.reconcile(&day).await.unwrap();
        assert!(report.differences.is_empty(), "{report:?}");
        let operator = act_as(&w.app, OPERATOR).await;
        let saved = w.app.reconciliations(&operator).await.unwrap();
        assert_eq!(saved.len(), 1);
        assert_eq!(saved[0].matched, 3);
        assert!(w.app.reconcile("2026-13-01").await.is_err());
    }
);

backend_test!(
    the_commission_in_force_prefers_promotions_then_the_most_specific_rule,
    |db: TestDb| async move {
        let w = world(&db).await;
        let pid = provider_id(&w).await;
        let operator = act_as(&w.app, OPERATOR).await;
        let id = w.place("10:00").await.unwrap();
        let o = w.app.store.order(id).await.unwrap().unwrap();
        let rate = || async { w.app.commission_for(&o).await.unwrap() };
        assert_eq!(
            rate().await,
            Commission {
                bps: 1_000,
                min_fen: 0
            },
            "the configured default"
        );
        let save = |scope: &str, scope_id: String, pct: &str, min: &str| RuleForm {
            id: None,
            scope: scope.into(),
            scope_id,
            rate_percent: pct.into(),
            min_fee: min.into(),
            starts_on: String::new(),
            ends_on: String::new(),
            new_provider_days: None,
            new_provider_orders: None,
            active: true,
            note: String::new(),
        };
        w.app
            .save_commission_rule(&operator, &save("default", String::new(), "9", ""))
            .await
            .unwrap();
        assert_eq!(rate().await.bps, 900);
        w.app
            .save_commission_rule(
                &operator,
                &save("category", w.listing.category.clone(), "15", "2"),
            )
            .await
            .unwrap();
        assert_eq!(
            rate().await,
            Commission {
                bps: 1_500,
                min_fen: 200
            }
        );
        w.app
            .save_commission_rule(&operator, &save("provider", pid.to_string(), "5", ""))
            .await
            .unwrap();
        assert_eq!(
            rate().await.bps,
            500,
            "a provider's own rate beats the category"
        );
        // A new-provider promotion: 0 % for the first 20 paid orders wins while it lasts.
        let mut promo = save("default", String::new(), "0", "");
        promo.new_provider_orders = Some(20);
        w.app.save_commission_rule(&operator, &promo).await.unwrap();
        assert_eq!(rate().await.bps, 0);
        // A window that has ended no longer applies.
        let mut past = save("provider", pid.to_string(), "1", "");
        past.starts_on = "2026-01-01".into();
        past.ends_on = "2026-02-01".into();
        w.app.save_commission_rule(&operator, &past).await.unwrap();
        assert_eq!(rate().await.bps, 0);
        // Bad rules are refused.
        for bad in [
            save("default", String::new(), "101", ""),
            save("default", String::new(), "abc", ""),
            save("provider", "not-an-id".into(), "5", ""),
            save("galaxy", String::new(), "5", ""),
        ] {
            assert!(w.app.save_commission_rule(&operator, &bad).await.is_err());
        }
        let mut window = save("default", String::new(), "5", "");
        window.starts_on = "2026-03-01".into();
        window.ends_on = "2026-02-01".into();
        assert!(
            w.app
                .save_commission_rule(&operator, &window)
                .await
                .is_err()
        );
        assert!(matches!(
            w.app
                .save_commission_rule(&w.customer, &save("default", String::new(), "5", ""))
                .await,
            Err(AppError::Forbidden)
        ));
        assert_eq!(w.app.commission_rules(&operator).await.unwrap().0.len(), 5);
    }
);

backend_test!(
    unanswered_requests_are_refunded_and_unconfirmed_jobs_confirm_themselves,
    |db: TestDb| async move {
        let w = world(&db).await;
        let pid = provider_id(&w).await;
        // Paid, never answered: declined at the deadline and refunded in full.
        let a = w.place("09:00").await.unwrap();
        w.app.mark_paid(a).await.unwrap();
        let total_a = w.app.store.order(a).await.unwrap().unwrap().total_fen;
        w.clock.advance_ms(31 * MINUTE_MS);
        run_jobs(&w).await;
        assert_eq!(w.status(a).await, "declined");
        assert_eq!(owed(&w, Account::Escrow(a)).await, 0);
        settle_psp(&w).await;
        let refunds = w.app.store.order_refunds(a).await.unwrap();
        assert_eq!(
            (refunds[0].amount_fen, refunds[0].status.as_str()),
            (total_a, "success")
        );

        // Completed and never confirmed by the customer: confirmed after 7 days, released.
        let b = w.place("15:00").await.unwrap();
        w.app.mark_paid(b).await.unwrap();
        w.app.answer_order(&w.provider, b, true, "").await.unwrap();
        to_start(&w, b).await;
        w.check_in(b).await.unwrap();
        w.finish(b).await.unwrap();
        let total_b = w.app.store.order(b).await.unwrap().unwrap().total_fen;
        w.clock.advance_ms(7 * DAY_MS - MINUTE_MS);
        run_jobs(&w).await;
        assert_eq!(w.status(b).await, "completed", "not before seven days");
        w.clock.advance_ms(2 * MINUTE_MS);
        run_jobs(&w).await;
        assert_eq!(w.status(b).await, "confirmed");
        let (share, _) = Commission {
            bps: 1_000,
            min_fen: 0,
        }
        .split(Money::from_fen(total_b));
        assert_eq!(owed(&w, Account::ProviderPending(pid)).await, share.fen());
        let timeline = w.app.order_view(&w.customer, b).await.unwrap().timeline;
        assert_eq!(timeline.last().unwrap().action, "auto_confirmed");
        assert_books(&w).await;
    }
);
