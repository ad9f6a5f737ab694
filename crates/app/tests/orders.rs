//! Booking on both backends: the three-step order, the order's life and its deadlines, fees,
//! bad input, and the race that must never double-book a provider.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

mod common;

use std::sync::Arc;

use common::{act_as, code, world};
use linli_app::{
    AppError,
    areas::AreaForm,
    jobs::JobRunner,
    orders::{Choice, ScheduleForm},
    profile::AddressFields,
};
use linli_domain::{
    ids::OrderId,
    time::{Clock, DAY_MS, Day, HOUR_MS, MINUTE_MS},
};
use linli_testkit::{TestDb, backend_test};

backend_test!(
    the_three_step_order_holds_its_slot_and_expires_exactly_once,
    |db: TestDb| async move {
        let w = world(&db).await;
        let offer = w
            .app
            .slots(
                &w.customer,
                w.listing.id,
                w.address.parse().unwrap(),
                &w.day,
                &Choice::default(),
            )
            .await
            .unwrap();
        assert!(offer.served);
        assert!(
            offer.times.contains(&"10:00".to_owned()),
            "{:?}",
            offer.times
        );
        let id = w.place("10:00").await.unwrap();
        let view = w.app.order_view(&w.customer, id).await.unwrap();
        assert_eq!(view.status, "pending_payment");
        assert_eq!(view.quote.total_fen, offer.quote.total_fen);
        assert!(view.quote.total_fen >= w.listing.price_fen);
        assert!(view.pay_deadline.is_some());
        assert!(!w.slots().await.contains(&"10:00".to_owned()));
        assert!(w.app.store.order_cells(id).await.unwrap() > 0);

        // The window passes: the job expires it and frees the slot, once.
        let runner = JobRunner::new(w.app.clone());
        w.clock.advance_ms(14 * MINUTE_MS);
        runner.run_due().await.unwrap();
        assert_eq!(w.status(id).await, "pending_payment");
        w.clock.advance_ms(2 * MINUTE_MS);
        runner.run_due().await.unwrap();
        assert_eq!(w.status(id).await, "expired");
        assert_eq!(w.app.store.order_cells(id).await.unwrap(), 0);
        assert!(
            !w.app.expire_order(id).await.unwrap(),
            "a second expiry changes nothing"
        );
        let timeline = w.app.order_view(&w.customer, id).await.unwrap().timeline;
        assert_eq!(
            timeline
                .iter()
                .map(|e| e.action.as_str())
                .collect::<Vec<_>>(),
            ["placed", "expired"]
        );
        assert!(w.slots().await.contains(&"10:00".to_owned()));
        // A paid-too-late order cannot be paid.
        assert!(w.app.mark_paid(id).await.is_err());
        w.place("10:00").await.unwrap();
    }
);

backend_test!(
    providers_answer_requests_and_contacts_stay_masked_until_accepted,
    |db: TestDb| async move {
        let w = world(&db).await;
        let runner = JobRunner::new(w.app.clone());
        let a = w.place("09:00").await.unwrap();
        w.app.mark_paid(a).await.unwrap();
        assert_eq!(w.status(a).await, "awaiting_acceptance");
        let seen = w.app.order_view(&w.provider, a).await.unwrap();
        assert!(seen.contact_phone.contains('*'), "{}", seen.contact_phone);
        assert!(seen.address.contains("***"));
        assert!(seen.actions.contains(&"accept".to_owned()));
        w.app.answer_order(&w.provider, a, true, "").await.unwrap();
        let seen = w.app.order_view(&w.provider, a).await.unwrap();
        assert_eq!(seen.contact_phone, "13912345678");
        assert!(seen.address.contains("幸福路"));

        // Another customer's order is not found; the customer cannot accept.
        let other = act_as(&w.app, linli_app::seed::DEMO_CUSTOMERS[1].0).await;
        assert!(matches!(
            w.app.order_view(&other, a).await,
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            w.app.answer_order(&w.customer, a, true, "").await,
            Err(AppError::NotFound)
        ));

        // A declined request frees its slot; an unanswered one is declined by the clock.
        let b = w.place("13:00").await.unwrap();
        w.app.mark_paid(b).await.unwrap();
        w.app
            .answer_order(&w.provider, b, false, "那天有事")
            .await
            .unwrap();
        assert_eq!(w.status(b).await, "declined");
        assert!(w.slots().await.contains(&"13:00".to_owned()));
        let c = w.place("15:00").await.unwrap();
        w.app.mark_paid(c).await.unwrap();
        w.clock.advance_ms(31 * MINUTE_MS);
        runner.run_due().await.unwrap();
        assert_eq!(w.status(c).await, "declined");
        let row = w.app.store.order(c).await.unwrap().unwrap();
        assert_eq!(row.refund_fen, row.total_fen);
        let p = w
            .app
            .store
            .provider_by_user(w.provider.member().unwrap().id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            w.app.store.reliability_marks(p.id).await.unwrap(),
            ["missed_deadline"]
        );

        // An instant-book service is accepted on payment, with no request to answer.
        let instant = w
            .app
            .store
            .listings_of(w.listing.provider_id)
            .await
            .unwrap()
            .into_iter()
            .find(|l| l.status == "published" && l.instant_book)
            .expect("the demo provider has an instant-book service");
        let mut f = w.form("08:00");
        f.listing = instant.id.to_string();
        let mut day = Day::parse(&w.day).unwrap().plus_days(1);
        while day.weekday_index() == 6 {
            day = day.plus_days(1);
        }
        f.date = day.to_string();
        let d: OrderId = w
            .app
            .place_order(&w.customer, &f)
            .await
            .unwrap()
            .id
            .parse()
            .unwrap();
        w.app.mark_paid(d).await.unwrap();
        assert_eq!(w.status(d).await, "accepted");
        let seen = w.app.order_view(&w.provider, d).await.unwrap();
        assert!(!seen.actions.contains(&"accept".to_owned()));
        assert_eq!(seen.contact_phone, "13912345678");
    }
);

backend_test!(
    cancelling_charges_the_policy_fee_and_provider_cancels_give_credit,
    |db: TestDb| async move {
        let w = world(&db).await;
        let a = w.place("09:00").await.unwrap();
        // Unpaid: free.
        let preview = w.app.cancel_preview(&w.customer, a).await.unwrap();
        assert_eq!(preview.fee_fen, 0);
        w.app
            .cancel_order(&w.customer, a, "改主意了")
            .await
            .unwrap();
        assert_eq!(w.status(a).await, "cancelled");
        assert_eq!(w.app.store.order_cells(a).await.unwrap(), 0);

        // Accepted, then cancelled inside the last hours: the policy decides the fee.
        let b = w.place("11:00").await.unwrap();
        w.app.mark_paid(b).await.unwrap();
        w.app.answer_order(&w.provider, b, true, "").await.unwrap();
        let row = w.app.store.order(b).await.unwrap().unwrap();
        let to_start = row.start_at.0 - w.clock.now().0;
        w.clock.advance_ms(to_start - HOUR_MS);
        let preview = w.app.cancel_preview(&w.customer, b).await.unwrap();
        let expected_pct = match row.cancel_policy.as_str() {
            "flexible" => 50,
            _ => 100,
        };
        assert_eq!(preview.percent, expected_pct, "{}", row.cancel_policy);
        let done = w.app.cancel_order(&w.customer, b, "").await.unwrap();
        assert_eq!(done.status, "cancelled");
        let row = w.app.store.order(b).await.unwrap().unwrap();
        assert_eq!(row.fee_fen + row.refund_fen, row.total_fen);
        assert_eq!(row.fee_fen, row.total_fen * expected_pct / 100);

        // The provider cancelling gives the customer a credit and costs reliability.
        w.clock.advance_ms(DAY_MS * 2);
        let mut day = Day::of(w.clock.now()).plus_days(2);
        while day.weekday_index() == 6 {
            day = day.plus_days(1);
        }
        let mut f = w.form("09:00");
        f.date = day.to_string();
        let c: OrderId = w
            .app
            .place_order(&w.customer, &f)
            .await
            .unwrap()
            .id
            .parse()
            .unwrap();
        w.app.mark_paid(c).await.unwrap();
        w.app.answer_order(&w.provider, c, true, "").await.unwrap();
        let v = w.app.cancel_order(&w.provider, c, "车坏了").await.unwrap();
        assert_eq!(v.status, "cancelled");
        let row = w.app.store.order(c).await.unwrap().unwrap();
        assert_eq!(row.refund_fen, row.total_fen);
        assert!(row.credit_fen >= 1_000.min(row.total_fen));
        let p = w
            .app
            .store
            .provider_by_user(w.provider.member().unwrap().id)
            .await
            .unwrap()
            .unwrap();
        assert!(
            w.app
                .store
                .reliability_marks(p.id)
                .await
                .unwrap()
                .contains(&"provider_cancel".to_owned())
        );
    }
);

backend_test!(
    bad_bookings_are_refused_and_change_nothing,
    |db: TestDb| async move {
        let w = world(&db).await;
        let before = w.app.my_orders(&w.customer, "all").await.unwrap().len();
        // Outside working hours, off the grid, too soon, too far, unknown variant.
        for (time, want) in [
            ("07:00", "slot_outside_hours"),
            ("10:15", "slot_outside_hours"),
            ("21:30", "slot_outside_hours"),
            ("25:00", "invalid_value"),
        ] {
            let e = w.place(time).await.unwrap_err();
            assert_eq!(code(&e), want, "{time}");
        }
        let mut past = w.form("10:00");
        past.date = Day::of(w.clock.now()).plus_days(-1).to_string();
        assert_eq!(
            code(&w.app.place_order(&w.customer, &past).await.unwrap_err()),
            "slot_too_soon"
        );
        let mut far = w.form("10:00");
        far.date = Day::of(w.clock.now()).plus_days(60).to_string();
        let e = w.app.place_order(&w.customer, &far).await.unwrap_err();
        assert!(
            ["slot_too_far", "slot_outside_hours"].contains(&code(&e)),
            "{e:?}"
        );
        let mut odd = w.form("10:00");
        odd.variant = Some("不存在的规格".into());
        assert!(w.app.place_order(&w.customer, &odd).await.is_err());
        // Someone else's address is not found; a malformed listing id is refused.
        let other = act_as(&w.app, linli_app::seed::DEMO_CUSTOMERS[1].0).await;
        assert!(matches!(
            w.app.place_order(&other, &w.form("10:00")).await,
            Err(AppError::NotFound)
        ));
        let mut bad = w.form("10:00");
        bad.listing = "not-an-id".into();
        assert!(w.app.place_order(&w.customer, &bad).await.is_err());
        // An address outside the area.
        let far_address = w
            .app
            .save_address(
                &w.customer,
                None,
                &AddressFields {
                    district_code: "310151".into(),
                    detail: "崇明岛某村".into(),
                    contact_name: "王小明".into(),
                    contact_phone: "13912345678".into(),
                    is_default: false,
                },
            )
            .await
            .unwrap()
            .id;
        let mut island = w.form("10:00");
        island.address = far_address;
        // Unless a radius zone happens to reach the island, it is not served.
        let placed = match w.app.place_order(&w.customer, &island).await {
            Ok(_) => 1,
            Err(e) => {
                assert_eq!(code(&e), "not_served");
                0
            }
        };
        assert_eq!(
            w.app.my_orders(&w.customer, "all").await.unwrap().len(),
            before + placed
        );

        // Rescheduling into a taken slot is a conflict and leaves both orders as they were.
        let a = w.place("09:00").await.unwrap();
        let b = w.place("13:00").await.unwrap();
        let e = w
            .app
            .reschedule(&w.customer, b, &w.day, "09:00")
            .await
            .unwrap_err();
        assert_eq!(code(&e), "slot_taken");
        let rb = w.app.store.order(b).await.unwrap().unwrap();
        assert_eq!(rb.times_moved, 0);
        assert!(w.app.store.order_cells(b).await.unwrap() > 0);
        let cells = w.app.store.order_cells(b).await.unwrap();
        let moved = w
            .app
            .reschedule(&w.customer, b, &w.day, "15:00")
            .await
            .unwrap();
        assert_eq!(moved.times_moved, 1);
        assert!(moved.start.ends_with("15:00"), "{}", moved.start);
        // The old cells went with the old time: the same number are held, no more.
        assert_eq!(w.app.store.order_cells(b).await.unwrap(), cells);
        assert_eq!(w.status(a).await, "pending_payment");
    }
);

backend_test!(
    working_hours_and_leave_shape_the_slots,
    |db: TestDb| async move {
        let w = world(&db).await;
        let mut weekly = vec!["09:00-18:00".to_owned(); 6];
        weekly.push(String::new());
        let leave = format!("{} leave 09:00-12:00", w.day);
        w.app
            .save_schedule(
                &w.provider,
                &ScheduleForm {
                    weekly,
                    exceptions: leave,
                    capacity: 1,
                    min_notice_min: 60,
                    horizon_days: 14,
                    buffer_min: 0,
                },
            )
            .await
            .unwrap();
        let slots = w.slots().await;
        assert!(!slots.is_empty());
        assert!(
            slots
                .iter()
                .all(|t| t.as_str() >= "12:00" && t.as_str() < "18:00"),
            "{slots:?}"
        );
        let bad = ScheduleForm {
            weekly: vec!["09:00-08:00".into(); 7],
            ..ScheduleForm::default()
        };
        assert!(w.app.save_schedule(&w.provider, &bad).await.is_err());
        assert!(w.app.save_schedule(&w.customer, &bad).await.is_err());
    }
);

backend_test!(
    sixty_four_concurrent_orders_for_one_slot_have_one_winner_every_round,
    |db: TestDb| async move {
        let w = Arc::new(world(&db).await);
        for round in 0..50 {
            let mut tasks = Vec::new();
            for _ in 0..64 {
                let w = Arc::clone(&w);
                tasks.push(tokio::spawn(async move { w.place("10:00").await }));
            }
            let mut won = Vec::new();
            let mut conflicts = 0;
            for t in tasks {
                match t.await.unwrap() {
                    Ok(id) => won.push(id),
                    Err(AppError::Conflict {
                        code: "slot_taken", ..
                    }) => conflicts += 1,
                    Err(e) => panic!("round {round}: unexpected {e:?}"),
                }
            }
            assert_eq!(won.len(), 1, "round {round}: {} winners", won.len());
            assert_eq!(conflicts, 63, "round {round}");
            // Free the slot for the next round.
            w.app.cancel_order(&w.customer, won[0], "").await.unwrap();
        }
    }
);

backend_test!(
    both_sides_are_reminded_before_the_job_once,
    |db: TestDb| async move {
        let w = world(&db).await;
        let runner = JobRunner::new(w.app.clone());
        let id = w.place("10:00").await.unwrap();
        w.app.mark_paid(id).await.unwrap();
        w.app.answer_order(&w.provider, id, true, "").await.unwrap();
        let row = w.app.store.order(id).await.unwrap().unwrap();
        let sms_before = w.app.store.sms_outbox(100).await.unwrap().len();
        // Just before the reminder time nothing is sent; at two hours before, both sides hear.
        let to_reminder = row.start_at.0 - 2 * HOUR_MS - w.clock.now().0;
        w.clock.advance_ms(to_reminder - MINUTE_MS);
        runner.run_due().await.unwrap();
        let reminders =
            |n: &[(String, String)]| n.iter().filter(|(_, b)| b.contains("提醒")).count();
        assert_eq!(
            reminders(&w.app.my_notifications(&w.customer).await.unwrap()),
            0
        );
        w.clock.advance_ms(2 * MINUTE_MS);
        runner.run_due().await.unwrap();
        runner.run_due().await.unwrap();
        assert_eq!(
            reminders(&w.app.my_notifications(&w.customer).await.unwrap()),
            1
        );
        assert_eq!(
            reminders(&w.app.my_notifications(&w.provider).await.unwrap()),
            1
        );
        let sms = w.app.store.sms_outbox(100).await.unwrap();
        assert_eq!(sms.len(), sms_before + 2);
        assert!(
            sms.iter()
                .any(|m| m.phone == "13912345678" && m.body.contains("提醒"))
        );
    }
);

backend_test!(
    a_request_answered_twice_at_once_has_one_answer,
    |db: TestDb| async move {
        let w = Arc::new(world(&db).await);
        // Two requests for overlapping times cannot both exist: the second is refused at once.
        let a = w.place("10:00").await.unwrap();
        assert_eq!(code(&w.place("10:30").await.unwrap_err()), "slot_taken");
        w.app.mark_paid(a).await.unwrap();
        assert_eq!(w.status(a).await, "awaiting_acceptance");
        // Accepts and declines race on one request: exactly one answer wins.
        let mut tasks = Vec::new();
        for i in 0..12 {
            let w = Arc::clone(&w);
            tasks.push(tokio::spawn(async move {
                w.app
                    .answer_order(&w.provider, a, i % 2 == 0, "")
                    .await
                    .is_ok()
            }));
        }
        let mut wins = 0;
        for t in tasks {
            wins += usize::from(t.await.unwrap());
        }
        assert_eq!(wins, 1, "one answer wins");
        let events = w.app.order_view(&w.customer, a).await.unwrap().timeline;
        assert_eq!(events.len(), 3, "placed, paid and one answer: {events:?}");
    }
);

backend_test!(
    a_provider_who_does_not_come_owes_a_credit,
    |db: TestDb| async move {
        let w = world(&db).await;
        let id = w.place("10:00").await.unwrap();
        w.app.mark_paid(id).await.unwrap();
        w.app.answer_order(&w.provider, id, true, "").await.unwrap();
        let row = w.app.store.order(id).await.unwrap().unwrap();
        // Before the start (and until 30 minutes after it) a no-show cannot be reported.
        assert!(w.app.report_no_show(&w.customer, id).await.is_err());
        w.clock
            .advance_ms(row.start_at.0 - w.clock.now().0 + 20 * MINUTE_MS);
        assert!(w.app.report_no_show(&w.customer, id).await.is_err());
        assert!(matches!(
            w.app.report_no_show(&w.provider, id).await,
            Err(AppError::NotFound)
        ));
        w.clock.advance_ms(11 * MINUTE_MS);
        let v = w.app.report_no_show(&w.customer, id).await.unwrap();
        assert_eq!(v.status, "cancelled");
        let row = w.app.store.order(id).await.unwrap().unwrap();
        assert_eq!(row.refund_fen, row.total_fen);
        assert!(row.credit_fen > 0);
        let p = w
            .app
            .store
            .provider_by_user(w.provider.member().unwrap().id)
            .await
            .unwrap()
            .unwrap();
        assert!(
            w.app
                .store
                .reliability_marks(p.id)
                .await
                .unwrap()
                .contains(&"no_show".to_owned())
        );
        assert!(w.app.report_no_show(&w.customer, id).await.is_err(), "once");
    }
);

backend_test!(
    the_buffer_under_the_lock_is_kept_on_the_order_and_its_cells,
    |db: TestDb| async move {
        let w = world(&db).await;
        let mut weekly = vec!["08:00-22:00".to_owned(); 6];
        weekly.push(String::new());
        w.app
            .save_schedule(
                &w.provider,
                &ScheduleForm {
                    weekly,
                    exceptions: String::new(),
                    capacity: 1,
                    min_notice_min: 120,
                    horizon_days: 14,
                    buffer_min: 30,
                },
            )
            .await
            .unwrap();
        let id = w.place("10:00").await.unwrap();
        let row = w.app.store.order(id).await.unwrap().unwrap();
        assert_eq!(row.buffer_min, 30);
        let minutes = (row.end_at.0 - row.start_at.0) / MINUTE_MS;
        assert_eq!(
            w.app.store.order_cells(id).await.unwrap(),
            (minutes + 30 + 14) / 15
        );
    }
);

backend_test!(
    the_price_takes_the_cheapest_zone_covering_the_address_read_with_the_listing,
    |db: TestDb| async move {
        let w = world(&db).await;
        let plain = w
            .app
            .place_order(&w.customer, &w.form("09:00"))
            .await
            .unwrap()
            .quote
            .total_fen;
        // Replace the district zone by two radius zones around the customer's district, with
        // different surcharges: the cheaper one applies.
        let district = w
            .app
            .addresses(&w.customer)
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.id == w.address)
            .unwrap()
            .district_code;
        let zones = w.app.my_areas(&w.provider).await.unwrap();
        for (km, fee) in [(5, "35"), (8, "20")] {
            w.app
                .add_area(
                    &w.provider,
                    &AreaForm {
                        kind: "radius".into(),
                        districts: Vec::new(),
                        center: district.clone(),
                        km,
                        surcharge: fee.into(),
                    },
                )
                .await
                .unwrap();
        }
        for z in &zones {
            w.app.delete_area(&w.provider, &z.id).await.unwrap();
        }
        let slots = w
            .app
            .slots(
                &w.customer,
                w.listing.id,
                w.address.parse().unwrap(),
                &w.day,
                &Choice::default(),
            )
            .await
            .unwrap();
        assert!(slots.served);
        assert!(!slots.times.is_empty());
        let placed = w
            .app
            .place_order(&w.customer, &w.form("13:00"))
            .await
            .unwrap();
        assert_eq!(placed.quote.total_fen, plain + 2000, "the ¥20 zone applies");
        let stored = w.app.store.order(placed.id.parse().unwrap()).await.unwrap();
        assert_eq!(stored.unwrap().total_fen, plain + 2000);

        // Only a zone far away (崇明, 1 km): the listing is still found, the address is not
        // served, and nothing is written.
        w.app
            .add_area(
                &w.provider,
                &AreaForm {
                    kind: "radius".into(),
                    districts: Vec::new(),
                    center: "310151".into(),
                    km: 1,
                    surcharge: String::new(),
                },
            )
            .await
            .unwrap();
        for z in w.app.my_areas(&w.provider).await.unwrap() {
            if !z.label.contains("崇明") {
                w.app.delete_area(&w.provider, &z.id).await.unwrap();
            }
        }
        let before = w.app.my_orders(&w.customer, "all").await.unwrap().len();
        let e = w.place("16:00").await.unwrap_err();
        assert_eq!(code(&e), "not_served");
        assert!(w.slots().await.is_empty());
        assert_eq!(
            w.app.my_orders(&w.customer, "all").await.unwrap().len(),
            before
        );
    }
);
