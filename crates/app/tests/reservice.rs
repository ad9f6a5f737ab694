//! Re-service (返工) on both backends: a request resolved as a re-service lets its customer
//! book the same service again at no charge, once at a time; the ¥0 order runs its usual life
//! without moving money; bad input changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

mod common;

use std::sync::Arc;

use common::{World, act_as, code, jpeg, serve_and_confirm, world};
use linli_app::after_sale::{AfterSaleForm, AnswerForm};
use linli_domain::{
    ids::{AfterSaleId, OrderId},
    time::Day,
};
use linli_testkit::{TestDb, backend_test};

/// A served, confirmed order whose customer asked for a re-service that the provider
/// accepted; returns the order and the request.
async fn reservice_granted(w: &World) -> (OrderId, AfterSaleId) {
    let id = w.place("09:00").await.unwrap();
    serve_and_confirm(w, id).await;
    let r = w
        .app
        .open_after_sale(
            &w.customer,
            id,
            &AfterSaleForm {
                kind: "reservice".into(),
                amount: String::new(),
                reason: "窗户没有擦干净，请重新上门".into(),
            },
            vec![jpeg()],
        )
        .await
        .unwrap();
    let rid: AfterSaleId = r.id.parse().unwrap();
    let r = w
        .app
        .answer_after_sale(
            &w.provider,
            rid,
            &AnswerForm {
                action: "accept".into(),
                amount: String::new(),
                note: String::new(),
            },
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        (r.status.as_str(), r.outcome.as_str()),
        ("resolved", "reservice")
    );
    (id, rid)
}

/// A later working day than the world's.
fn later(w: &World, days: i64) -> String {
    let mut d = Day::parse(&w.day).unwrap().plus_days(days);
    while d.weekday_index() == 6 {
        d = d.plus_days(1);
    }
    d.to_string()
}

backend_test!(
    a_re_service_is_booked_free_once_and_runs_without_moving_money,
    |db: TestDb| async move {
        let w = world(&db).await;
        let (original, rid) = reservice_granted(&w).await;
        let day = later(&w, 1);
        let tb_before = w.app.trial_balance_unchecked().await.unwrap();

        let slots = w.app.reservice_slots(&w.customer, rid, &day).await.unwrap();
        assert!(
            slots.times.contains(&"10:00".to_owned()),
            "{:?}",
            slots.times
        );
        assert_eq!(slots.quote.total_fen, 0, "nothing to pay");
        let booked = w
            .app
            .book_reservice(&w.customer, rid, &day, "10:00")
            .await
            .unwrap();
        assert_eq!(booked.status, "awaiting_acceptance", "no payment step");
        assert_eq!(booked.quote.total_fen, 0);
        let new_id: OrderId = booked.id.parse().unwrap();
        let row = w.app.store.order(new_id).await.unwrap().unwrap();
        let first = w.app.store.order(original).await.unwrap().unwrap();
        assert_eq!(row.reservice_of, Some(rid));
        assert_eq!(
            (row.address_id.as_str(), row.end_at.0 - row.start_at.0),
            (first.address_id.as_str(), first.end_at.0 - first.start_at.0),
            "same address, same duration"
        );
        assert!(
            w.app.store.order_cells(new_id).await.unwrap() > 0,
            "slot held"
        );
        let v = w.app.after_sale(&w.customer, rid).await.unwrap();
        assert_eq!(v.reservice_order_id.as_deref(), Some(booked.id.as_str()));

        // A second booking while the first stands is refused and writes nothing.
        let e = w
            .app
            .book_reservice(&w.customer, rid, &day, "15:00")
            .await
            .unwrap_err();
        assert_eq!(code(&e), "reservice_booked");
        assert_eq!(w.app.my_orders(&w.customer, "all").await.unwrap().len(), 2);

        // The provider declines: the slot frees and the customer may book again.
        w.app
            .answer_order(&w.provider, new_id, false, "那天没空")
            .await
            .unwrap();
        assert_eq!(w.status(new_id).await, "declined");
        assert_eq!(w.app.store.order_cells(new_id).await.unwrap(), 0);
        let again = w
            .app
            .book_reservice(&w.customer, rid, &day, "15:00")
            .await
            .unwrap();
        let again_id: OrderId = again.id.parse().unwrap();
        // It is served to the end like any order, and no money moves.
        serve_and_confirm(&w, again_id).await;
        assert_eq!(w.status(again_id).await, "confirmed");
        assert!(
            w.app
                .store
                .order_entries(again_id)
                .await
                .unwrap()
                .is_empty()
        );
        let tb = w.app.trial_balance_unchecked().await.unwrap();
        assert_eq!(tb.total_fen, 0);
        assert_eq!(
            format!("{:?}", tb.lines),
            format!("{:?}", tb_before.lines),
            "the books are as they were before the re-service"
        );
        // Done is done: no third one.
        let e = w
            .app
            .book_reservice(&w.customer, rid, &later(&w, 2), "10:00")
            .await
            .unwrap_err();
        assert_eq!(code(&e), "reservice_booked");
    }
);

backend_test!(
    eight_concurrent_re_service_bookings_have_one_winner,
    |db: TestDb| async move {
        let w = Arc::new(world(&db).await);
        let (_, rid) = reservice_granted(&w).await;
        let day = later(&w, 1);
        let times = [
            "09:00", "10:00", "11:00", "12:00", "13:00", "14:00", "15:00", "16:00",
        ];
        let tasks: Vec<_> = times
            .iter()
            .map(|t| {
                let w = Arc::clone(&w);
                let day = day.clone();
                let t = (*t).to_owned();
                tokio::spawn(async move { w.app.book_reservice(&w.customer, rid, &day, &t).await })
            })
            .collect();
        let mut won = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => won += 1,
                Err(e) => assert_eq!(code(&e), "reservice_booked", "{e:?}"),
            }
        }
        assert_eq!(won, 1, "exactly one re-service order");
        let live: Vec<_> = w
            .app
            .my_orders(&w.customer, "active")
            .await
            .unwrap()
            .into_iter()
            .filter(|o| o.quote.total_fen == 0)
            .collect();
        assert_eq!(live.len(), 1);
    }
);

backend_test!(
    bad_re_service_bookings_are_refused_and_change_nothing,
    |db: TestDb| async move {
        let w = world(&db).await;
        let (original, rid) = reservice_granted(&w).await;
        let day = later(&w, 1);
        let count = || async { w.app.my_orders(&w.customer, "all").await.unwrap().len() };
        let before = count().await;
        // Another customer and the provider do not see the request as theirs to book.
        let other = act_as(&w.app, linli_app::seed::DEMO_CUSTOMERS[1].0).await;
        for who in [&other, &w.provider] {
            let e = w
                .app
                .book_reservice(who, rid, &day, "10:00")
                .await
                .unwrap_err();
            assert_eq!(code(&e), "not_found");
        }
        // Outside working hours, in the past, malformed.
        for (date, time, want) in [
            (day.as_str(), "07:00", "slot_outside_hours"),
            (day.as_str(), "25:00", "invalid_value"),
            ("2020-01-01", "10:00", "slot_too_soon"),
            ("not-a-day", "10:00", "invalid_date"),
        ] {
            let e = w
                .app
                .book_reservice(&w.customer, rid, date, time)
                .await
                .unwrap_err();
            assert_eq!(code(&e), want, "{date} {time}");
        }
        // A slot the provider is busy in is taken.
        let mut busy = w.form("10:00");
        busy.date = day.clone();
        w.app.place_order(&w.customer, &busy).await.unwrap();
        let e = w
            .app
            .book_reservice(&w.customer, rid, &day, "10:00")
            .await
            .unwrap_err();
        assert_eq!(code(&e), "slot_taken");
        // A refund request is not a re-service.
        let refund = w
            .app
            .open_after_sale(
                &w.customer,
                original,
                &AfterSaleForm {
                    kind: "partial_refund".into(),
                    amount: "1".into(),
                    reason: "少擦了一扇窗".into(),
                },
                vec![],
            )
            .await
            .unwrap();
        let e = w
            .app
            .book_reservice(&w.customer, refund.id.parse().unwrap(), &day, "15:00")
            .await
            .unwrap_err();
        assert_eq!(code(&e), "reservice_not_due");
        assert_eq!(
            count().await,
            before + 1,
            "only the ordinary booking was placed"
        );
        assert!(w.app.store.reservice_order(rid).await.unwrap().is_none());
    }
);
