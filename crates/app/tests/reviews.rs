//! Reviews on both backends: only a confirmed order's customer reviews it, once; the provider
//! replies once and rates the customer; the word filter and reports feed the operators' queue;
//! ratings are Bayesian averages; unreviewed orders get the default positive review after
//! seven days.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

mod common;

use common::{World, act_as, code, jpeg, world};
use linli_app::{
    AppError,
    jobs::JobRunner,
    reviews::{CustomerRatingForm, ReviewForm, ReviewQuery},
};
use linli_domain::{
    ids::{OrderId, ProviderId},
    time::{Clock, DAY_MS, MINUTE_MS},
};
use linli_testkit::{TestDb, backend_test};

const OPERATOR: &str = "13800000000";

fn form(stars: i64, text: &str) -> ReviewForm {
    ReviewForm {
        stars,
        punctual: 5,
        professional: 4,
        attitude: 0,
        text: text.into(),
        anonymous: false,
    }
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

/// Places, pays, accepts, starts and completes an order at `time` (not confirmed).
async fn completed(w: &World, time: &str) -> OrderId {
    let id = w.place(time).await.unwrap();
    w.app.mark_paid(id).await.unwrap();
    w.app.answer_order(&w.provider, id, true, "").await.unwrap();
    let o = w.app.store.order(id).await.unwrap().unwrap();
    let now = w.clock.now().0;
    if o.start_at.0 - 30 * MINUTE_MS > now {
        w.clock.advance_ms(o.start_at.0 - 30 * MINUTE_MS - now);
    }
    w.check_in(id).await.unwrap();
    w.finish(id).await.unwrap();
    id
}

async fn confirmed(w: &World, time: &str) -> OrderId {
    let id = completed(w, time).await;
    w.app.confirm_order(&w.customer, id).await.unwrap();
    id
}

backend_test!(
    a_confirmed_order_is_reviewed_once_by_its_customer_with_photos,
    |db: TestDb| async move {
        let w = world(&db).await;
        let pid = provider_id(&w).await;
        let id = completed(&w, "09:00").await;
        // Not confirmed yet: refused, nothing stored.
        let e = w
            .app
            .review_order(&w.customer, id, &form(5, "很好"), vec![])
            .await
            .unwrap_err();
        assert_eq!(code(&e), "not_confirmed");
        w.app.confirm_order(&w.customer, id).await.unwrap();

        // Someone else's order: 404. The provider cannot review it either.
        let other = act_as(&w.app, linli_app::seed::DEMO_CUSTOMERS[1].0).await;
        for actor in [&other, &w.provider] {
            let e = w
                .app
                .review_order(actor, id, &form(5, ""), vec![])
                .await
                .unwrap_err();
            assert!(matches!(e, AppError::NotFound), "{e:?}");
        }
        // Stars out of range, ten photos, too long: 422-class errors.
        for (f, photos) in [
            (form(0, ""), 0),
            (form(6, ""), 0),
            (form(5, &"长".repeat(501)), 0),
            (form(5, ""), 10),
        ] {
            let e = w
                .app
                .review_order(&w.customer, id, &f, vec![jpeg(); photos])
                .await
                .unwrap_err();
            assert!(matches!(e, AppError::Invalid(_)), "{e:?}");
        }
        let mut dims = form(5, "");
        dims.attitude = 9;
        assert!(
            w.app
                .review_order(&w.customer, id, &dims, vec![])
                .await
                .is_err()
        );
        assert!(w.app.store.review_of_order(id).await.unwrap().is_none());

        let r = w
            .app
            .review_order(
                &w.customer,
                id,
                &form(5, "阿姨很细心，准时到达"),
                vec![jpeg(), jpeg()],
            )
            .await
            .unwrap();
        assert_eq!(
            (r.stars, r.punctual, r.professional, r.attitude),
            (5, 5, 4, 5),
            "a dimension left out takes the overall stars"
        );
        assert_eq!(r.photos.len(), 2);
        assert!(r.photos[0].thumb_url.contains("_thumb"));
        assert_eq!(r.status, "published");
        let thumb = r.photos[0].thumb_url.trim_start_matches("/files/");
        assert!(!w.app.files.get(thumb).await.unwrap().is_empty());

        // Once per order.
        let e = w
            .app
            .review_order(&w.customer, id, &form(4, "再评一次"), vec![])
            .await
            .unwrap_err();
        assert_eq!(code(&e), "already_reviewed");

        // One five-star review is a Bayesian 4.6 with one review, not 5.0.
        let page = w
            .app
            .provider_reviews(pid, &ReviewQuery::default())
            .await
            .unwrap();
        assert_eq!(
            (page.rating_x10, page.rating_count, page.total),
            (Some(46), 1, 1)
        );
        let profile = w.app.provider_profile(pid).await.unwrap();
        assert_eq!((profile.rating_x10, profile.rating_count), (Some(46), 1));
        let listing = w
            .app
            .listing_reviews(w.listing.id, &ReviewQuery::default())
            .await
            .unwrap();
        assert_eq!((listing.rating_x10, listing.total), (Some(46), 1));
    }
);

backend_test!(
    filters_by_photos_and_stars_and_anonymous_authors,
    |db: TestDb| async move {
        let w = world(&db).await;
        let pid = provider_id(&w).await;
        let a = confirmed(&w, "09:00").await;
        let b = confirmed(&w, "14:00").await;
        w.app
            .review_order(&w.customer, a, &form(5, "有图"), vec![jpeg()])
            .await
            .unwrap();
        let mut anon = form(2, "一般");
        anon.anonymous = true;
        let r = w
            .app
            .review_order(&w.customer, b, &anon, vec![])
            .await
            .unwrap();
        assert_eq!(r.author, "匿名用户");
        let q = |with_photos: Option<bool>, stars: Option<i64>| ReviewQuery {
            with_photos,
            stars,
            page: None,
        };
        let all = w.app.provider_reviews(pid, &q(None, None)).await.unwrap();
        assert_eq!(all.total, 2);
        // (22.5 + 5 + 2) / 7 = 4.21.
        assert_eq!(all.rating_x10, Some(42));
        let photos = w
            .app
            .provider_reviews(pid, &q(Some(true), None))
            .await
            .unwrap();
        assert_eq!(photos.total, 1);
        assert_eq!(photos.reviews[0].text, "有图");
        let two = w
            .app
            .provider_reviews(pid, &q(None, Some(2)))
            .await
            .unwrap();
        assert_eq!((two.total, two.reviews[0].author.as_str()), (1, "匿名用户"));
        assert!(
            w.app
                .provider_reviews(pid, &q(None, Some(7)))
                .await
                .is_err()
        );
        let page2 = w
            .app
            .provider_reviews(
                pid,
                &ReviewQuery {
                    page: Some(2),
                    ..ReviewQuery::default()
                },
            )
            .await
            .unwrap();
        assert!(page2.reviews.is_empty());
        assert_eq!(page2.pages, 1);
    }
);

backend_test!(
    the_provider_replies_once_and_rates_the_customer_for_providers_only,
    |db: TestDb| async move {
        let w = world(&db).await;
        let id = confirmed(&w, "09:00").await;
        let r = w
            .app
            .review_order(&w.customer, id, &form(4, "不错"), vec![])
            .await
            .unwrap();
        let rid = r.id.parse().unwrap();
        // The customer cannot reply.
        assert!(w.app.reply_review(&w.customer, rid, "谢谢").await.is_err());
        let replied = w
            .app
            .reply_review(&w.provider, rid, "感谢支持")
            .await
            .unwrap();
        assert_eq!(replied.reply.as_deref(), Some("感谢支持"));
        let e = w
            .app
            .reply_review(&w.provider, rid, "再回复")
            .await
            .unwrap_err();
        assert_eq!(code(&e), "already_replied");

        let rate = CustomerRatingForm {
            stars: 5,
            text: "好沟通".into(),
        };
        assert!(w.app.rate_customer(&w.customer, id, &rate).await.is_err());
        let bad = CustomerRatingForm {
            stars: 0,
            text: String::new(),
        };
        assert!(w.app.rate_customer(&w.provider, id, &bad).await.is_err());
        w.app.rate_customer(&w.provider, id, &rate).await.unwrap();
        let e = w
            .app
            .rate_customer(&w.provider, id, &rate)
            .await
            .unwrap_err();
        assert_eq!(code(&e), "already_rated");
        let panel = w.app.order_review_panel(&w.provider, id).await.unwrap();
        assert_eq!(
            (
                panel.customer_rating,
                panel.customer_rating_count,
                panel.can_rate_customer
            ),
            (Some(5), 1, false)
        );
        // The customer's own view of the order says nothing about the rating.
        let mine = w.app.order_review_panel(&w.customer, id).await.unwrap();
        assert_eq!(
            (mine.customer_rating, mine.customer_rating_count),
            (None, 0)
        );
        assert!(!mine.can_review);
    }
);

backend_test!(
    filtered_and_reported_reviews_go_to_the_operators_queue,
    |db: TestDb| async move {
        let w = world(&db).await;
        let pid = provider_id(&w).await;
        let op = act_as(&w.app, OPERATOR).await;
        w.app.admin_put_word(&op, "骗子", "reject").await.unwrap();
        w.app.admin_put_word(&op, "退钱", "review").await.unwrap();
        let a = confirmed(&w, "09:00").await;
        let b = confirmed(&w, "14:00").await;

        // Blocked words: refused with content_rejected, nothing stored.
        let e = w
            .app
            .review_order(&w.customer, a, &form(1, "就是个骗子"), vec![])
            .await
            .unwrap_err();
        assert_eq!(code(&e), "content_rejected");
        assert!(w.app.store.review_of_order(a).await.unwrap().is_none());

        // Words to review: held, not counted, queued.
        let held = w
            .app
            .review_order(&w.customer, a, &form(1, "要求退钱"), vec![])
            .await
            .unwrap();
        assert_eq!(held.status, "pending");
        let page = w
            .app
            .provider_reviews(pid, &ReviewQuery::default())
            .await
            .unwrap();
        assert_eq!((page.total, page.rating_count), (0, 0));

        // A published review reported by another customer joins the queue.
        let ok = w
            .app
            .review_order(&w.customer, b, &form(5, "很好"), vec![])
            .await
            .unwrap();
        let other = act_as(&w.app, linli_app::seed::DEMO_CUSTOMERS[1].0).await;
        let okid = ok.id.parse().unwrap();
        assert!(w.app.report_review(&other, okid, " ").await.is_err());
        w.app.report_review(&other, okid, "虚假评价").await.unwrap();
        w.app.report_review(&other, okid, "虚假评价").await.unwrap();

        assert!(matches!(
            w.app.review_queue(&w.customer).await,
            Err(AppError::Forbidden)
        ));
        let queue = w.app.review_queue(&op).await.unwrap();
        assert_eq!(queue.len(), 2);
        let reported = queue.iter().find(|q| q.review.id == ok.id).unwrap();
        assert_eq!((reported.report_count, reported.reasons.len()), (1, 1));
        let filtered = queue.iter().find(|q| q.review.id == held.id).unwrap();
        assert!(filtered.flags.contains("退钱"), "{}", filtered.flags);

        // Keep the held one (now counted), hide the reported one (no longer counted).
        w.app
            .decide_review(&op, held.id.parse().unwrap(), false)
            .await
            .unwrap();
        w.app.decide_review(&op, okid, true).await.unwrap();
        assert!(w.app.review_queue(&op).await.unwrap().is_empty());
        assert!(
            w.app.decide_review(&op, okid, false).await.is_err(),
            "no longer queued"
        );
        let page = w
            .app
            .provider_reviews(pid, &ReviewQuery::default())
            .await
            .unwrap();
        assert_eq!((page.total, page.rating_count), (1, 1));
        assert_eq!(page.reviews[0].id, held.id);
        // (22.5 + 1) / 6 = 3.92.
        assert_eq!(page.rating_x10, Some(39));
        // A hidden review cannot be reported or replied to.
        assert!(w.app.report_review(&other, okid, "again").await.is_err());
        assert!(w.app.reply_review(&w.provider, okid, "谢谢").await.is_err());
    }
);

backend_test!(
    orders_left_unreviewed_for_seven_days_get_the_default_positive_review,
    |db: TestDb| async move {
        let w = world(&db).await;
        let pid = provider_id(&w).await;
        w.app.ensure_recurring_jobs().await.unwrap();
        let a = confirmed(&w, "09:00").await;
        let b = confirmed(&w, "14:00").await;
        w.app
            .review_order(&w.customer, b, &form(3, "还行"), vec![])
            .await
            .unwrap();
        let runner = JobRunner::new(w.app.clone());
        w.clock.advance_ms(6 * DAY_MS);
        runner.run_due().await.unwrap();
        assert!(
            w.app.store.review_of_order(a).await.unwrap().is_none(),
            "not before 7 days"
        );
        w.clock.advance_ms(DAY_MS + 2 * 60 * MINUTE_MS);
        runner.run_due().await.unwrap();
        let r = w.app.store.review_of_order(a).await.unwrap().unwrap();
        assert!(r.is_default);
        assert_eq!((r.stars, r.dims, r.body.as_str()), (5, [5, 5, 5], ""));
        let b_review = w.app.store.review_of_order(b).await.unwrap().unwrap();
        assert!(!b_review.is_default, "a written review is left alone");
        // Running again changes nothing.
        assert_eq!(w.app.give_default_reviews().await.unwrap(), 0);
        let page = w
            .app
            .provider_reviews(pid, &ReviewQuery::default())
            .await
            .unwrap();
        // (22.5 + 5 + 3) / 7 = 4.36.
        assert_eq!((page.total, page.rating_x10), (2, Some(44)));
        let shown = page.reviews.iter().find(|v| v.is_default).unwrap();
        assert_eq!(shown.order_id, a.to_string());
        // The customer can no longer write one.
        let e = w
            .app
            .review_order(&w.customer, a, &form(1, ""), vec![])
            .await
            .unwrap_err();
        assert_eq!(code(&e), "already_reviewed");
    }
);
