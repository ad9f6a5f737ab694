//! Complaints and provider reliability on both backends: the ticket lifecycle with its
//! first-response SLA on the fake clock, internal notes hidden from the customer, permission
//! checks, bad input refused without changes, and the reliability score from seeded marks.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

mod common;

use common::{act_as, world};
use linli_app::{
    AppError,
    complaints::{ComplaintForm, NoteForm, StatusForm},
};
use linli_domain::{
    DomainError,
    ids::ComplaintId,
    time::{Clock, HOUR_MS, MINUTE_MS},
};
use linli_testkit::{TestDb, backend_test};

fn form(category: &str, text: &str, order: Option<String>) -> ComplaintForm {
    ComplaintForm {
        category: category.into(),
        text: text.into(),
        order_id: order,
        provider_id: None,
    }
}

backend_test!(
    a_complaint_goes_open_to_resolved_with_an_sla_and_notes_the_customer_never_sees,
    |db: TestDb| async move {
        let w = world(&db).await;
        let order = w.place("09:00").await.unwrap();
        let admin = act_as(&w.app, linli_app::seed::DEMO_ADMIN_PHONE).await;
        let other = act_as(&w.app, linli_app::seed::DEMO_CUSTOMERS[1].0).await;

        let c = w
            .app
            .file_complaint(
                &w.customer,
                &form(
                    "quality",
                    "师傅迟到一小时，打扫也不干净",
                    Some(order.to_string()),
                ),
            )
            .await
            .unwrap();
        assert_eq!(c.status, "open");
        assert_eq!(c.against, "provider");
        assert_eq!(c.category_label, "服务质量");
        assert_eq!(c.sla_remaining_ms, 24 * HOUR_MS);
        assert!(!c.overdue);
        let id: ComplaintId = c.id.parse().unwrap();

        // Bad input is refused and stores nothing.
        let bad = [
            form("quality", "   ", None),
            form("quality", &"长".repeat(1001), None),
            form("refund", "想退款", None),
            form("quality", "别人的订单", Some("not-an-id".into())),
        ];
        for f in &bad {
            let e = w.app.file_complaint(&w.customer, f).await.unwrap_err();
            assert!(matches!(e, AppError::Invalid(_)), "{e:?}");
        }
        let e = w
            .app
            .file_complaint(
                &other,
                &form("quality", "不是我的订单", Some(order.to_string())),
            )
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::NotFound), "{e:?}");
        assert!(w.app.my_complaints(&other).await.unwrap().is_empty());
        assert_eq!(w.app.my_complaints(&w.customer).await.unwrap().len(), 1);

        // Another customer cannot read it; customers cannot handle tickets.
        assert!(matches!(
            w.app.my_complaint(&other, id).await,
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            w.app.complaint_queue(&w.customer, None, false).await,
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            w.app.complaint_for_operator(&w.customer, id).await,
            Err(AppError::Forbidden)
        ));
        let note = |kind: &str, text: &str| NoteForm {
            kind: kind.into(),
            text: text.into(),
        };
        assert!(matches!(
            w.app
                .add_complaint_note(&w.customer, id, &note("reply", "自己回复"))
                .await,
            Err(AppError::Forbidden)
        ));

        // A day passes without a reply: the ticket is overdue and in the overdue queue.
        w.clock.advance_ms(25 * HOUR_MS);
        let mine = w.app.my_complaint(&w.customer, id).await.unwrap();
        assert!(mine.overdue);
        assert_eq!(mine.sla_remaining_ms, -HOUR_MS);
        let overdue = w.app.complaint_queue(&admin, None, true).await.unwrap();
        assert_eq!(overdue.len(), 1);
        assert_eq!(overdue[0].id, c.id);

        // An internal note changes nothing the customer sees.
        let v = w
            .app
            .add_complaint_note(&admin, id, &note("internal", "服务商有两次类似投诉"))
            .await
            .unwrap();
        assert_eq!(v.status, "open");
        assert_eq!(v.thread.len(), 1);
        let mine = w.app.my_complaint(&w.customer, id).await.unwrap();
        assert!(mine.thread.is_empty());
        assert!(mine.first_response_at.is_none());
        let e = w
            .app
            .add_complaint_note(&admin, id, &note("secret", "x"))
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Invalid(_)));

        // The first public reply starts the handling; it came late, so the mark stays.
        let v = w
            .app
            .add_complaint_note(&admin, id, &note("reply", "已联系服务商核实，稍后回复您"))
            .await
            .unwrap();
        assert_eq!(v.status, "in_progress");
        assert!(v.overdue);
        assert!(
            w.app
                .complaint_queue(&admin, None, true)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            w.app
                .complaint_queue(&admin, Some("in_progress"), false)
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(matches!(
            w.app.complaint_queue(&admin, Some("bogus"), false).await,
            Err(AppError::Invalid(_))
        ));

        // Resolved against the provider.
        let v = w
            .app
            .set_complaint_status(
                &admin,
                id,
                &StatusForm {
                    status: "resolved".into(),
                    upheld: true,
                },
            )
            .await
            .unwrap();
        assert_eq!(v.status, "resolved");
        assert!(v.upheld);
        let mine = w.app.my_complaint(&w.customer, id).await.unwrap();
        let kinds: Vec<&str> = mine.thread.iter().map(|t| t.kind.as_str()).collect();
        assert_eq!(kinds, ["reply", "status"]);
        assert!(mine.thread.iter().all(|t| !t.text.contains("类似投诉")));

        // Finished tickets do not move back and take no more replies.
        let e = w
            .app
            .set_complaint_status(
                &admin,
                id,
                &StatusForm {
                    status: "open".into(),
                    upheld: false,
                },
            )
            .await
            .unwrap_err();
        assert!(matches!(
            e,
            AppError::Invalid(DomainError::InvalidTransition)
        ));
        let e = w
            .app
            .add_complaint_note(&admin, id, &note("reply", "再补充"))
            .await
            .unwrap_err();
        assert!(matches!(
            e,
            AppError::Conflict {
                code: "complaint_finished",
                ..
            }
        ));
        assert_eq!(
            w.app
                .my_complaint(&w.customer, id)
                .await
                .unwrap()
                .thread
                .len(),
            2
        );

        // A complaint about the platform has no provider.
        let p = w
            .app
            .file_complaint(&w.customer, &form("platform", "App 支付页面打不开", None))
            .await
            .unwrap();
        assert_eq!(p.against, "platform");
        assert!(p.provider_id.is_none());
    }
);

backend_test!(
    the_reliability_score_adds_up_its_parts_from_recorded_marks,
    |db: TestDb| async move {
        let w = world(&db).await;
        let provider = w
            .app
            .store
            .provider_by_user(w.provider.member().unwrap().id)
            .await
            .unwrap()
            .unwrap();
        let clean = w.app.reliability_of(provider.id).await.unwrap();
        assert_eq!(clean.score, 100);

        let order = w.place("09:00").await.unwrap();
        let now = w.clock.now().0;
        let pool = db.store.pool();
        for kind in ["provider_cancel", "no_show", "no_show", "missed_deadline"] {
            sqlx::query(
                "INSERT INTO reliability_events (id, provider_id, order_id, kind, at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(ComplaintId::new().to_string())
            .bind(provider.id.to_string())
            .bind(order.to_string())
            .bind(kind)
            .bind(now)
            .execute(pool)
            .await
            .unwrap();
        }
        // Paid, then accepted 50 minutes later.
        for (to, actor, at) in [
            ("awaiting_acceptance", "customer", now),
            ("accepted", "provider", now + 50 * MINUTE_MS),
        ] {
            sqlx::query(
                "INSERT INTO order_events (id, order_id, at, actor, action, from_status, \
                 to_status, note) VALUES ($1, $2, $3, $4, 'test', NULL, $5, '')",
            )
            .bind(ComplaintId::new().to_string())
            .bind(order.to_string())
            .bind(at)
            .bind(actor)
            .bind(to)
            .execute(pool)
            .await
            .unwrap();
        }
        // Ten reviews averaging 4.0 stars.
        sqlx::query("UPDATE providers SET rating_sum = 40, rating_count = 10 WHERE id = $1")
            .bind(provider.id.to_string())
            .execute(pool)
            .await
            .unwrap();
        // One complaint resolved against the provider.
        let admin = act_as(&w.app, linli_app::seed::DEMO_ADMIN_PHONE).await;
        let c = w
            .app
            .file_complaint(
                &w.customer,
                &form("attitude", "态度很差", Some(order.to_string())),
            )
            .await
            .unwrap();
        let status = |s: &str, upheld: bool| StatusForm {
            status: s.into(),
            upheld,
        };
        w.app
            .set_complaint_status(&admin, c.id.parse().unwrap(), &status("resolved", true))
            .await
            .unwrap();
        // A complaint closed without upholding it does not count.
        let c2 = w
            .app
            .file_complaint(
                &w.customer,
                &form("other", "再说一次", Some(order.to_string())),
            )
            .await
            .unwrap();
        w.app
            .set_complaint_status(&admin, c2.id.parse().unwrap(), &status("closed", true))
            .await
            .unwrap();

        let r = w.app.my_reliability(&w.provider).await.unwrap();
        let parts: Vec<(&str, i64, i64)> = r
            .parts
            .iter()
            .map(|p| (p.key.as_str(), p.value, p.deduction))
            .collect();
        assert_eq!(
            parts,
            [
                ("provider_cancels", 1, 10),
                ("no_shows", 2, 30),
                ("missed_deadlines", 1, 5),
                ("disputes_lost", 1, 10),
                ("response_time", 50, 3),
                ("ratings", 40, 5),
            ]
        );
        assert_eq!(r.score, 37);
        assert_eq!(w.app.reliability_of(provider.id).await.unwrap(), r);

        // Marks older than the window no longer count.
        w.clock.advance_ms(91 * 24 * HOUR_MS);
        let later = w.app.reliability_of(provider.id).await.unwrap();
        assert_eq!(later.score, 100 - 5);

        // A customer without a provider record has no reliability page.
        assert!(matches!(
            w.app.my_reliability(&w.customer).await,
            Err(AppError::Forbidden)
        ));
    }
);
