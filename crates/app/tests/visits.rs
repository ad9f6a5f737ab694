//! Verified visits on both backends: check-in near the address (or with a recorded reason),
//! the customer's service code, the checklist with photos, and check-out with the actual
//! duration and, for hourly services, the final price.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

mod common;

use common::{accepted_and_due, code, jpeg, world};
use linli_app::{
    orders::OrderForm,
    visits::{CheckInForm, ServiceCodeForm},
};
use linli_domain::{
    ids::OrderId,
    time::{Clock, MINUTE_MS},
};
use linli_testkit::{TestDb, backend_test};

fn at(w_lat: i64, w_lng: i64, reason: &str) -> CheckInForm {
    CheckInForm {
        lat_micro: Some(w_lat),
        lng_micro: Some(w_lng),
        reason: reason.into(),
    }
}

backend_test!(
    a_check_in_5_km_away_needs_a_reason_which_the_timeline_shows,
    |db: TestDb| async move {
        let w = world(&db).await;
        let id = w.place("09:00").await.unwrap();
        accepted_and_due(&w, id).await;
        let o = w.app.store.order(id).await.unwrap().unwrap();
        // 0.045° of latitude is about 5 km.
        let far = at(o.lat_micro + 45_000, o.lng_micro, "");
        let e = w
            .app
            .start_service(&w.provider, id, &far)
            .await
            .unwrap_err();
        assert_eq!(code(&e), "too_far");
        assert_eq!(w.status(id).await, "accepted", "nothing changed");
        let v = w.app.visit_view(&w.provider, id).await.unwrap();
        assert!(v.checked_in_at.is_none());
        let e = w
            .app
            .start_service(&w.provider, id, &CheckInForm::default())
            .await
            .unwrap_err();
        assert_eq!(code(&e), "position_required");

        let reason = at(o.lat_micro + 45_000, o.lng_micro, "小区封路，在北门外等候");
        let seen = w.app.start_service(&w.provider, id, &reason).await.unwrap();
        assert_eq!(seen.status, "in_service");
        let started = seen
            .timeline
            .iter()
            .find(|t| t.action == "started")
            .unwrap();
        assert!(started.note.contains("小区封路"), "{}", started.note);
        let v = w.app.visit_view(&w.customer, id).await.unwrap();
        let d = v.distance_m.unwrap();
        assert!((4900..=5100).contains(&d), "{d}");
        assert_eq!(v.override_reason, "小区封路，在北门外等候");
        assert!(v.checked_in_at.is_some());
    }
);

backend_test!(
    the_customer_holds_the_service_code_and_wrong_codes_are_refused_then_locked,
    |db: TestDb| async move {
        let w = world(&db).await;
        let id = w.place("09:00").await.unwrap();
        w.app.mark_paid(id).await.unwrap();
        let before = w.app.visit_view(&w.customer, id).await.unwrap();
        if w.status(id).await == "awaiting_acceptance" {
            assert!(before.service_code.is_none(), "no code before acceptance");
        }
        accepted_and_due(&w, id).await;
        let mine = w.app.visit_view(&w.customer, id).await.unwrap();
        let code_text = mine.service_code.clone().expect("shown once accepted");
        assert_eq!(code_text.len(), 6);
        assert!(code_text.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(
            w.app
                .visit_view(&w.customer, id)
                .await
                .unwrap()
                .service_code,
            Some(code_text.clone()),
            "the code is stable"
        );
        assert!(
            w.app
                .visit_view(&w.provider, id)
                .await
                .unwrap()
                .service_code
                .is_none(),
            "the provider never sees it"
        );
        // Not before check-in.
        let e = w
            .app
            .enter_service_code(
                &w.provider,
                id,
                &ServiceCodeForm {
                    code: code_text.clone(),
                },
            )
            .await
            .unwrap_err();
        assert_eq!(code(&e), "not_checked_in");
        w.check_in(id).await.unwrap();
        let wrong = if code_text == "000000" {
            "111111"
        } else {
            "000000"
        };
        let e = w
            .app
            .enter_service_code(&w.provider, id, &ServiceCodeForm { code: wrong.into() })
            .await
            .unwrap_err();
        assert_eq!(code(&e), "wrong_service_code");
        let v = w.app.visit_view(&w.provider, id).await.unwrap();
        assert!(!v.code_verified);
        assert_eq!(v.code_attempts_left, 4);
        // The customer cannot enter it, and another customer cannot see it.
        let e = w
            .app
            .enter_service_code(
                &w.customer,
                id,
                &ServiceCodeForm {
                    code: code_text.clone(),
                },
            )
            .await
            .unwrap_err();
        assert_eq!(code(&e), "not_found");
        let right = w
            .app
            .enter_service_code(
                &w.provider,
                id,
                &ServiceCodeForm {
                    code: code_text.clone(),
                },
            )
            .await
            .unwrap();
        assert!(right.code_verified);
        assert!(
            w.app
                .visit_view(&w.customer, id)
                .await
                .unwrap()
                .service_code
                .is_none(),
            "a used code is no longer shown"
        );

        // A second order: five wrong codes lock it, even for the right one.
        let b = w.place("15:00").await.unwrap();
        accepted_and_due(&w, b).await;
        let code_b = w
            .app
            .visit_view(&w.customer, b)
            .await
            .unwrap()
            .service_code
            .unwrap();
        w.check_in(b).await.unwrap();
        let wrong = if code_b == "000000" {
            "111111"
        } else {
            "000000"
        };
        for _ in 0..5 {
            let e = w
                .app
                .enter_service_code(&w.provider, b, &ServiceCodeForm { code: wrong.into() })
                .await
                .unwrap_err();
            assert_eq!(code(&e), "wrong_service_code");
        }
        let e = w
            .app
            .enter_service_code(&w.provider, b, &ServiceCodeForm { code: code_b })
            .await
            .unwrap_err();
        assert_eq!(code(&e), "service_code_locked");
        assert!(
            !w.app
                .visit_view(&w.provider, b)
                .await
                .unwrap()
                .code_verified
        );
    }
);

backend_test!(
    completion_is_refused_until_every_checklist_item_and_photo_is_in,
    |db: TestDb| async move {
        let w = world(&db).await;
        let id = w.place("09:00").await.unwrap();
        accepted_and_due(&w, id).await;
        let e = w.app.complete_order(&w.provider, id).await.unwrap_err();
        assert_eq!(code(&e), "invalid_transition", "not in service yet");
        w.check_in(id).await.unwrap();
        let e = w.app.complete_order(&w.provider, id).await.unwrap_err();
        assert_eq!(code(&e), "service_code_required");
        let c = w
            .app
            .visit_view(&w.customer, id)
            .await
            .unwrap()
            .service_code
            .unwrap();
        w.app
            .enter_service_code(&w.provider, id, &ServiceCodeForm { code: c })
            .await
            .unwrap();
        let v = w.app.visit_view(&w.provider, id).await.unwrap();
        assert!(!v.checklist.is_empty());
        let with_photo = v
            .checklist
            .iter()
            .find(|i| i.photo_required)
            .expect("the demo checklist has an item needing a photo")
            .index;
        // Every item but the photo one: still refused.
        for item in v.checklist.iter().filter(|i| !i.photo_required) {
            w.app
                .tick_checklist(&w.provider, id, item.index, None)
                .await
                .unwrap();
        }
        let e = w
            .app
            .tick_checklist(&w.provider, id, with_photo, None)
            .await
            .unwrap_err();
        assert_eq!(code(&e), "photo_required");
        let e = w.app.complete_order(&w.provider, id).await.unwrap_err();
        assert_eq!(code(&e), "checklist_incomplete");
        assert_eq!(w.status(id).await, "in_service", "nothing changed");
        let e = w
            .app
            .tick_checklist(&w.provider, id, 99, None)
            .await
            .unwrap_err();
        assert_eq!(code(&e), "not_found");

        for item in v.checklist.iter().filter(|i| i.photo_required) {
            w.app
                .tick_checklist(&w.provider, id, item.index, Some(jpeg()))
                .await
                .unwrap();
        }
        w.clock.advance_ms(95 * MINUTE_MS);
        let done = w.app.complete_order(&w.provider, id).await.unwrap();
        assert_eq!(done.status, "completed");
        let seen = w.app.visit_view(&w.customer, id).await.unwrap();
        assert!(seen.checklist_done);
        let item = &seen.checklist[usize::try_from(with_photo).unwrap()];
        let url = item.photo_url.clone().unwrap();
        assert!(
            url.starts_with(&format!("/orders/{id}/visit-photos/")),
            "{url}"
        );
        assert!(item.thumb_url.clone().unwrap().contains("_thumb"));
        assert_eq!(seen.actual_minutes, Some(95));
        assert!(seen.checked_out_at.is_some());
    }
);

backend_test!(
    an_hourly_job_is_priced_by_its_actual_duration_in_quarter_hours,
    |db: TestDb| async move {
        let w = world(&db).await;
        let p = w
            .app
            .store
            .provider_by_user(w.provider.member().unwrap().id)
            .await
            .unwrap()
            .unwrap();
        let hourly = w
            .app
            .store
            .listings_of(p.id)
            .await
            .unwrap()
            .into_iter()
            .filter(|l| l.status == "published" && l.unit == "hour" && l.min_units <= 4)
            .min_by_key(|l| l.min_units)
            .expect("the demo provider has an hourly service");
        let order = w
            .app
            .place_order(
                &w.customer,
                &OrderForm {
                    listing: hourly.id.to_string(),
                    variant: None,
                    addons: Vec::new(),
                    units: None,
                    address: w.address.clone(),
                    date: w.day.clone(),
                    time: "09:00".into(),
                    note: String::new(),
                },
            )
            .await
            .unwrap();
        let id: OrderId = order.id.parse().unwrap();
        accepted_and_due(&w, id).await;
        w.check_in(id).await.unwrap();
        let o = w.app.store.order(id).await.unwrap().unwrap();
        let booked = (o.end_at.0 - o.start_at.0) / MINUTE_MS;
        // 20 minutes over: billed as 30.
        w.clock.advance_ms((booked + 20) * MINUTE_MS);
        let done = w.finish(id).await.unwrap();
        let v = w.app.visit_view(&w.customer, id).await.unwrap();
        assert!(v.hourly);
        assert_eq!(v.actual_minutes, Some(booked + 20));
        let hourly_fen = hourly.price_fen;
        let expected = o.total_fen + (hourly_fen * 30 + 30) / 60;
        let final_price = linli_domain::money::Money::from_fen(expected).to_string();
        assert_eq!(v.final_price.as_deref(), Some(final_price.as_str()));
        let extra = linli_domain::money::Money::from_fen(expected - o.paid_fen).to_string();
        assert_eq!(
            v.extra.as_deref(),
            Some(extra.as_str()),
            "awaiting approval"
        );
        assert_eq!(done.status, "awaiting_supplement", "not completed yet");
        let note = &done
            .timeline
            .iter()
            .find(|t| t.action == "awaiting_supplement")
            .unwrap()
            .note;
        assert!(note.contains("待客户补款"), "{note}");
        assert_eq!(
            w.app.store.order(id).await.unwrap().unwrap().paid_fen,
            o.paid_fen,
            "nothing more was charged"
        );
    }
);

backend_test!(
    a_status_change_whose_visit_record_cannot_be_written_is_rolled_back_with_it,
    |db: TestDb| async move {
        let w = world(&db).await;
        let id = w.place("09:00").await.unwrap();
        accepted_and_due(&w, id).await;
        let o = w.app.store.order(id).await.unwrap().unwrap();
        // No visit was opened for this order, so the check-in cannot be recorded: the status
        // change in the same transaction must not happen either.
        let at = linli_store::CheckInRow {
            lat_micro: o.lat_micro,
            lng_micro: o.lng_micro,
            distance_m: 0,
            reason: "",
        };
        let e = w
            .app
            .store
            .change_order(&linli_store::OrderChange {
                id,
                from: "accepted",
                to: "in_service",
                action: "started",
                actor: "provider",
                note: "签到",
                accept_deadline: None,
                amounts: None,
                reliability: None,
                jobs: &[],
                entries: &[],
                refunds: &[],
                capture: None,
                money_version: None,
                visit: Some(linli_store::VisitRecord::CheckIn(&at)),
                after_sale: None,
                now: w.clock.now(),
            })
            .await
            .unwrap_err();
        assert!(matches!(e, linli_store::StoreError::NotFound), "{e:?}");
        assert_eq!(
            w.status(id).await,
            "accepted",
            "the status change was rolled back"
        );
        let events = w.app.store.order_events(id).await.unwrap();
        assert!(
            events.iter().all(|e| e.action != "started"),
            "no timeline entry either"
        );
    }
);
