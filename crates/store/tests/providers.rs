//! Provider onboarding in the store, on both backends.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::sync::Arc;

use linli_domain::{
    DomainError,
    ids::{DocumentId, ProviderId, UserId},
    provider::ReviewAction,
    time::Timestamp,
};
use linli_store::{DocumentRow, NewUser, ProviderRow, ProviderStore, Store, StoreError};
use linli_testkit::{TestDb, backend_test};

const T0: Timestamp = Timestamp(1_795_568_400_000);

async fn user(store: &dyn Store, phone: &str) -> UserId {
    let id = UserId::new();
    store
        .create_user(&NewUser {
            id,
            phone: phone.into(),
            password_hash: None,
            nickname: "n".into(),
            now: T0,
        })
        .await
        .unwrap();
    id
}

fn application(user_id: UserId, name: &str) -> ProviderRow {
    ProviderRow {
        id: ProviderId::new(),
        user_id,
        kind: "individual".into(),
        display_name: name.into(),
        real_name_masked: "王*".into(),
        real_name_enc: "enc".into(),
        id_number_masked: "1101**********002X".into(),
        id_number_enc: "enc".into(),
        categories: vec!["cleaning".into()],
        districts: vec!["310115".into()],
        intro: "十年经验".into(),
        status: String::new(),
        review_note: None,
        submitted_at: T0,
        reviewed_at: None,
        approved_at: None,
        suspended: false,
        completed_orders: 0,
        rating_sum: 0,
        rating_count: 0,
    }
}

fn doc(kind: &str, expires_on: &str) -> DocumentRow {
    DocumentRow {
        id: DocumentId::new(),
        provider_id: ProviderId::new(),
        kind: kind.into(),
        photo: "documents/a.jpg".into(),
        thumb: "documents/a_thumb.jpg".into(),
        expires_on: expires_on.into(),
        status: "active".into(),
    }
}

backend_test!(
    an_application_moves_through_review_and_cannot_be_resubmitted_while_pending,
    |db: TestDb| async move {
        let s = &db.store;
        let u = user(s, "13800000101").await;
        let admin = user(s, "13800000102").await;
        let id = s
            .submit_application(
                &application(u, "王师傅"),
                &[doc("qualification", "2027-12-31")],
                T0,
            )
            .await
            .unwrap();
        let p = s.provider_by_user(u).await.unwrap().unwrap();
        assert_eq!((p.id, p.status.as_str()), (id, "pending"));
        assert!(matches!(
            s.submit_application(&application(u, "又一次"), &[], T0)
                .await,
            Err(StoreError::Rule(DomainError::InvalidTransition))
        ));
        let p = s
            .review_application(id, ReviewAction::RequestInfo, Some("请补充证书"), admin, T0)
            .await
            .unwrap();
        assert_eq!(
            (p.status.as_str(), p.review_note.as_deref()),
            ("needs_info", Some("请补充证书"))
        );
        // Resubmission keeps the id and replaces the documents of the same kind.
        let again = s
            .submit_application(
                &application(u, "王师傅保洁"),
                &[doc("qualification", "2028-01-31")],
                T0.plus_ms(1),
            )
            .await
            .unwrap();
        assert_eq!(again, id);
        let docs = s.provider_documents(id).await.unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs.iter().filter(|d| d.status == "replaced").count(), 1);
        let p = s
            .review_application(id, ReviewAction::Approve, None, admin, T0.plus_ms(2))
            .await
            .unwrap();
        assert_eq!(p.status, "approved");
        assert_eq!(p.approved_at, Some(T0.plus_ms(2)));
        assert!(matches!(
            s.review_application(id, ReviewAction::Reject, Some("x"), admin, T0)
                .await,
            Err(StoreError::Rule(_))
        ));
        assert!(matches!(
            s.review_application(ProviderId::new(), ReviewAction::Approve, None, admin, T0)
                .await,
            Err(StoreError::NotFound)
        ));
        let (pending, n) = s.list_providers(Some("pending"), 10, 0).await.unwrap();
        assert_eq!((pending.len(), n), (0, 0));
        let (all, n) = s.list_providers(None, 10, 0).await.unwrap();
        assert_eq!((all.len(), n), (1, 1));
    }
);

backend_test!(
    two_operators_deciding_at_once_produce_one_decision,
    |db: TestDb| async move {
        let s = Arc::new(db.store.clone());
        let u = user(&*s, "13800000103").await;
        let admin = user(&*s, "13800000104").await;
        let id = s
            .submit_application(&application(u, "李师傅"), &[], T0)
            .await
            .unwrap();
        let mut tasks = Vec::new();
        for i in 0..8 {
            let s = s.clone();
            let action = if i % 2 == 0 {
                ReviewAction::Approve
            } else {
                ReviewAction::Reject
            };
            tasks.push(tokio::spawn(async move {
                s.review_application(id, action, Some("r"), admin, T0).await
            }));
        }
        let mut ok = 0;
        for t in tasks {
            if t.await.unwrap().is_ok() {
                ok += 1;
            }
        }
        assert_eq!(ok, 1);
    }
);

backend_test!(
    the_expiry_sweep_warns_then_expires_and_suspends,
    |db: TestDb| async move {
        let s = &db.store;
        let u = user(s, "13800000105").await;
        let admin = user(s, "13800000106").await;
        let id = s
            .submit_application(
                &application(u, "张师傅"),
                &[
                    doc("qualification", "2026-12-10"),
                    doc("licence", "2027-06-30"),
                ],
                T0,
            )
            .await
            .unwrap();
        // Not approved yet: nothing to sweep.
        let sweep = s
            .sweep_document_expiry("2026-11-25", "2026-12-25")
            .await
            .unwrap();
        assert!(sweep.expiring.is_empty() && sweep.expired.is_empty());
        s.review_application(id, ReviewAction::Approve, None, admin, T0)
            .await
            .unwrap();
        let sweep = s
            .sweep_document_expiry("2026-11-25", "2026-12-25")
            .await
            .unwrap();
        assert_eq!(sweep.expiring.len(), 1);
        assert_eq!(sweep.expiring[0].1, u);
        assert!(sweep.expired.is_empty());
        let again = s
            .sweep_document_expiry("2026-11-25", "2026-12-25")
            .await
            .unwrap();
        assert!(again.expiring.is_empty(), "flagged once");
        let later = s
            .sweep_document_expiry("2026-12-11", "2027-01-10")
            .await
            .unwrap();
        assert_eq!(later.expired.len(), 1);
        assert!(s.provider(id).await.unwrap().unwrap().suspended);
        assert!(
            s.push_notification(u, "document.expiring", "证书即将到期", Some("k1"), T0)
                .await
                .unwrap()
        );
        assert!(
            !s.push_notification(u, "document.expiring", "证书即将到期", Some("k1"), T0)
                .await
                .unwrap()
        );
        assert_eq!(s.notifications(u, 10).await.unwrap().len(), 1);
        s.append_audit(admin, "identity.reveal", &format!("provider:{id}"), "", T0)
            .await
            .unwrap();
        assert_eq!(
            s.audit_entries(&format!("provider:{id}"))
                .await
                .unwrap()
                .len(),
            1
        );
    }
);
