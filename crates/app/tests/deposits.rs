//! Provider deposits (保证金) on both backends: a category's requirement stops bookings of the
//! provider's listings in it until the deposit is paid; the payment arrives through signed
//! notifications and is posted exactly once however many (and however concurrent) they are.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

mod common;

use std::sync::Arc;

use common::{World, act_as, code, world};
use linli_app::AppError;
use linli_domain::{ids::ProviderId, ledger::Account};
use linli_testkit::{TestDb, backend_test};

const OPERATOR: &str = "13800000000";

async fn provider_id(w: &World) -> ProviderId {
    w.app
        .store
        .provider_by_user(w.provider.member().unwrap().id)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn trial_total(w: &World) -> i64 {
    w.app.trial_balance_unchecked().await.unwrap().total_fen
}

backend_test!(
    a_deposit_is_required_before_booking_and_paid_once_however_many_notifications_arrive,
    |db: TestDb| async move {
        let w = Arc::new(world(&db).await);
        let pid = provider_id(&w).await;
        let operator = act_as(&w.app, OPERATOR).await;
        // The customer may not set requirements; an operator asks ¥500 of the category.
        let e = w
            .app
            .set_category_deposit(&w.customer, &w.listing.category, "500")
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Forbidden));
        w.app
            .set_category_deposit(&operator, &w.listing.category, "500")
            .await
            .unwrap();
        assert_eq!(
            w.app.deposit_shortfall_fen(&w.listing).await.unwrap(),
            50_000
        );

        // Booking is refused and nothing is written.
        let e = w.place("10:00").await.unwrap_err();
        assert_eq!(code(&e), "deposit_required");
        assert!(matches!(e, AppError::Conflict { .. }));
        assert!(
            w.app
                .my_orders(&w.customer, "all")
                .await
                .unwrap()
                .is_empty()
        );
        let d = w.app.deposit(&w.provider).await.unwrap();
        assert_eq!((d.required_fen, d.held_fen, d.due_fen), (50_000, 0, 50_000));
        assert_eq!(d.requirements.len(), 1);
        assert_eq!(d.requirements[0].category, w.listing.category);

        // The provider pays; 30 genuine notifications (some repeating a nonce) arrive at once.
        let start = w.app.pay_deposit(&w.provider).await.unwrap();
        assert_eq!(start.amount, "¥500.00");
        let again = w.app.pay_deposit(&w.provider).await.unwrap();
        assert_eq!(
            again.out_trade_no, start.out_trade_no,
            "a pending payment is reused"
        );
        let sandbox = w.app.payments.as_ref().unwrap().sandbox.clone().unwrap();
        let t = sandbox.pay_now(&start.out_trade_no).unwrap();
        common::notify_thirty_at_once(&w, &t, "deposit").await;
        // And the query-back path finds it paid already.
        w.app.query_payment(&start.out_trade_no).await.unwrap();
        let deposit = Account::ProviderDeposit(pid);
        let entries = w
            .app
            .store
            .account_entries(&deposit.key(), 100)
            .await
            .unwrap();
        assert_eq!(entries.len(), 1, "posted exactly once");
        assert_eq!(entries[0].kind, "deposit_paid");
        assert_eq!(w.app.deposit_held_fen(pid).await.unwrap(), 50_000);
        assert_eq!(
            Account::Psp.owed(w.app.store.account_balance("psp").await.unwrap()),
            50_000
        );
        assert_eq!(trial_total(&w).await, 0);
        let d = w.app.deposit(&w.provider).await.unwrap();
        assert_eq!((d.held_fen, d.due_fen), (50_000, 0));
        assert_eq!(d.payments[0].status, "success");
        let e = w.app.pay_deposit(&w.provider).await.unwrap_err();
        assert_eq!(code(&e), "deposit_not_due");

        // Now the listing can be booked.
        let id = w.place("10:00").await.unwrap();
        assert_eq!(w.status(id).await, "pending_payment");

        // A requirement raised on the parent category applies to its children.
        let parent = w
            .app
            .store
            .categories()
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.slug == w.listing.category)
            .and_then(|c| c.parent_id)
            .unwrap();
        let parent_slug = parent.trim_start_matches("cat-").to_owned();
        w.app
            .set_category_deposit(&operator, &parent_slug, "800")
            .await
            .unwrap();
        let e = w.place("15:00").await.unwrap_err();
        assert_eq!(code(&e), "deposit_required");
        assert_eq!(w.app.deposit(&w.provider).await.unwrap().due_fen, 30_000);
        assert_eq!(trial_total(&w).await, 0);
    }
);

backend_test!(
    bad_deposit_settings_change_nothing,
    |db: TestDb| async move {
        let w = world(&db).await;
        let operator = act_as(&w.app, OPERATOR).await;
        for (slug, amount) in [
            (w.listing.category.as_str(), "-5"),
            (w.listing.category.as_str(), "abc"),
            (w.listing.category.as_str(), "1.234"),
            ("no-such-category", "10"),
        ] {
            assert!(
                w.app
                    .set_category_deposit(&operator, slug, amount)
                    .await
                    .is_err(),
                "{slug} {amount}"
            );
        }
        assert_eq!(w.app.deposit_shortfall_fen(&w.listing).await.unwrap(), 0);
        // With nothing required there is nothing to pay.
        let e = w.app.pay_deposit(&w.provider).await.unwrap_err();
        assert_eq!(code(&e), "deposit_not_due");
        assert!(w.place("10:00").await.is_ok());
    }
);
