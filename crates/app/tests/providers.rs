//! Provider onboarding use cases on both backends.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::sync::Arc;

use linli_app::{
    Actor, App, AppConfig, AppError, Secret,
    jobs::JobRunner,
    providers::{ApplicationForm, DocumentUpload},
};
use linli_domain::{ids::ProviderId, provider::ReviewAction, time::DAY_MS};
use linli_store::TokenKind;
use linli_testkit::{FakeClock, TestDb, backend_test};

fn app(db: &TestDb, clock: &FakeClock) -> App {
    let dir = std::env::temp_dir().join(format!(
        "linli-prov-files-{}",
        linli_domain::ids::JobId::new()
    ));
    App::assemble(
        Arc::new(db.store.clone()),
        Arc::new(clock.clone()),
        AppConfig::new(Secret::new("test-secret"), true),
        dir,
    )
}

async fn member(app: &App, phone: &str) -> Actor {
    let u = app.register(phone, "secret123", None).await.unwrap();
    let s = app.start_web_session(u.id).await.unwrap();
    app.authenticate(&s.secret, TokenKind::Session)
        .await
        .unwrap()
}

async fn admin(app: &App) -> Actor {
    let id = app
        .bootstrap_admin("13800000000", "admin1234")
        .await
        .unwrap();
    let s = app.start_web_session(id).await.unwrap();
    app.authenticate(&s.secret, TokenKind::Session)
        .await
        .unwrap()
}

fn jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 3, y as u8 * 5, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

fn form(kind: &str) -> ApplicationForm {
    ApplicationForm {
        kind: kind.into(),
        display_name: "王师傅家政".into(),
        real_name: "王小明".into(),
        id_number: "11010519491231002X".into(),
        categories: vec!["cleaning".into(), "cleaning-deep".into()],
        districts: vec!["310115".into(), "310104".into()],
        intro: "十年家政经验，专注深度保洁与开荒保洁。".into(),
    }
}

fn upload(kind: &str, expires_on: &str) -> DocumentUpload {
    DocumentUpload {
        kind: kind.into(),
        expires_on: expires_on.into(),
        bytes: jpeg(),
    }
}

backend_test!(
    an_applicant_applies_and_an_operator_approves_with_identity_masked_and_encrypted,
    |db: TestDb| async move {
        let clock = FakeClock::new();
        let app = app(&db, &clock);
        linli_app::seed::seed_categories(&app).await.unwrap();
        let applicant = member(&app, "13911120001").await;
        let view = app
            .submit_application(
                &applicant,
                &form("individual"),
                vec![upload("qualification", "2028-06-30")],
            )
            .await
            .unwrap();
        assert_eq!(view.status, "pending");
        assert_eq!(view.real_name, "王**");
        assert_eq!(view.id_number, "1101**********002X");
        assert_eq!(view.documents.len(), 1);
        let stored = app
            .store
            .provider_by_user(applicant.member().unwrap().id)
            .await
            .unwrap()
            .unwrap();
        assert!(
            !stored.real_name_enc.contains("王小明")
                && !stored.id_number_enc.contains("11010519491231002X"),
            "encrypted at rest"
        );
        // Not public until approved.
        let id: ProviderId = view.id.parse().unwrap();
        assert!(matches!(
            app.provider_profile(id).await,
            Err(AppError::NotFound)
        ));

        let op = admin(&app).await;
        assert!(
            matches!(
                app.admin_review(&op, id, ReviewAction::Reject, None).await,
                Err(AppError::Invalid(_))
            ),
            "a rejection needs a reason"
        );
        let approved = app
            .admin_review(&op, id, ReviewAction::Approve, None)
            .await
            .unwrap();
        assert_eq!(approved.status, "approved");
        let profile = app.provider_profile(id).await.unwrap();
        assert!(profile.verified_identity && profile.verified_qualification);
        assert_eq!(profile.districts, vec!["徐汇区", "浦东新区"]);
        assert!(profile.categories.contains(&"家庭保洁".to_string()));
        assert_eq!(
            app.my_notifications(&applicant).await.unwrap().len(),
            1,
            "the applicant is told"
        );
    }
);

backend_test!(
    identity_is_revealed_only_to_permitted_operators_and_each_reveal_is_audited,
    |db: TestDb| async move {
        let clock = FakeClock::new();
        let app = app(&db, &clock);
        linli_app::seed::seed_categories(&app).await.unwrap();
        let applicant = member(&app, "13911120002").await;
        let view = app
            .submit_application(
                &applicant,
                &form("individual"),
                vec![upload("qualification", "2028-06-30")],
            )
            .await
            .unwrap();
        let id: ProviderId = view.id.parse().unwrap();
        let op = admin(&app).await;
        let reviewer_role = app
            .admin_create_role(
                &op,
                "审核员",
                &["console.access".into(), "providers.review".into()],
            )
            .await
            .unwrap();
        let reviewer = member(&app, "13911120003").await;
        app.admin_grant_role(&op, "13911120003", reviewer_role.id.parse().unwrap())
            .await
            .unwrap();
        let reviewer = app
            .authenticate(
                &app.start_web_session(reviewer.member().unwrap().id)
                    .await
                    .unwrap()
                    .secret,
                TokenKind::Session,
            )
            .await
            .unwrap();
        assert!(
            app.admin_application(&reviewer, id).await.is_ok(),
            "reviewers see the masked application"
        );
        assert!(
            matches!(
                app.admin_reveal_identity(&reviewer, id).await,
                Err(AppError::Forbidden)
            ),
            "but not the identity"
        );
        assert!(matches!(
            app.admin_reveal_identity(&applicant, id).await,
            Err(AppError::Forbidden)
        ));
        assert!(app.admin_provider_audit(&op, id).await.unwrap().is_empty());
        let who = app.admin_reveal_identity(&op, id).await.unwrap();
        assert_eq!(
            (who.real_name.as_str(), who.id_number.as_str()),
            ("王小明", "11010519491231002X")
        );
        let audit = app.admin_provider_audit(&op, id).await.unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].1, "identity.reveal");
    }
);

backend_test!(
    bad_applications_are_refused_and_store_nothing,
    |db: TestDb| async move {
        let clock = FakeClock::new();
        let app = app(&db, &clock);
        linli_app::seed::seed_categories(&app).await.unwrap();
        let who = member(&app, "13911120004").await;
        let mut html = upload("qualification", "2028-06-30");
        html.bytes = b"<html><script>alert(1)</script></html>".to_vec();
        assert!(matches!(
            app.submit_application(&who, &form("individual"), vec![html])
                .await,
            Err(AppError::BadUpload(_))
        ));
        assert!(
            matches!(
                app.submit_application(
                    &who,
                    &form("company"),
                    vec![upload("qualification", "2028-06-30")]
                )
                .await,
                Err(AppError::BadUpload(_))
            ),
            "companies need a licence"
        );
        assert!(matches!(
            app.submit_application(&who, &form("individual"), vec![])
                .await,
            Err(AppError::BadUpload(_))
        ));
        assert!(
            matches!(
                app.submit_application(
                    &who,
                    &form("individual"),
                    vec![upload("qualification", "2020-01-01")]
                )
                .await,
                Err(AppError::Invalid(_))
            ),
            "an expired document"
        );
        let mut bad_id = form("individual");
        bad_id.id_number = "110105194912310021".into();
        assert!(matches!(
            app.submit_application(&who, &bad_id, vec![upload("qualification", "2028-06-30")])
                .await,
            Err(AppError::Invalid(_))
        ));
        let mut bad_cat = form("individual");
        bad_cat.categories = vec!["weapons".into()];
        assert!(matches!(
            app.submit_application(&who, &bad_cat, vec![upload("qualification", "2028-06-30")])
                .await,
            Err(AppError::Invalid(_))
        ));
        assert!(
            app.my_application(&who).await.unwrap().is_none(),
            "nothing was stored"
        );
        assert!(matches!(
            app.submit_application(&Actor::Guest, &form("individual"), vec![])
                .await,
            Err(AppError::Unauthenticated)
        ));
        // A second submission while one is pending is refused.
        app.submit_application(
            &who,
            &form("individual"),
            vec![upload("qualification", "2028-06-30")],
        )
        .await
        .unwrap();
        assert!(matches!(
            app.submit_application(
                &who,
                &form("individual"),
                vec![upload("qualification", "2028-06-30")]
            )
            .await,
            Err(AppError::Invalid(_))
        ));
    }
);

backend_test!(
    document_images_are_private_to_their_owner_and_reviewers,
    |db: TestDb| async move {
        let clock = FakeClock::new();
        let app = app(&db, &clock);
        linli_app::seed::seed_categories(&app).await.unwrap();
        let owner = member(&app, "13911120005").await;
        let other = member(&app, "13911120006").await;
        let view = app
            .submit_application(
                &owner,
                &form("individual"),
                vec![upload("qualification", "2028-06-30")],
            )
            .await
            .unwrap();
        let doc = view.documents[0].id.parse().unwrap();
        let (bytes, mime) = app.document_image(&owner, doc, false).await.unwrap();
        assert_eq!(mime, "image/jpeg");
        assert!(image::load_from_memory(&bytes).is_ok());
        assert!(app.document_image(&owner, doc, true).await.is_ok());
        assert!(matches!(
            app.document_image(&other, doc, false).await,
            Err(AppError::NotFound)
        ));
        let op = admin(&app).await;
        assert!(app.document_image(&op, doc, false).await.is_ok());
    }
);

backend_test!(
    the_daily_job_warns_30_days_ahead_then_suspends_on_expiry,
    |db: TestDb| async move {
        let clock = FakeClock::new(); // 2026-11-25
        let app = app(&db, &clock);
        linli_app::seed::seed_categories(&app).await.unwrap();
        let owner = member(&app, "13911120007").await;
        let view = app
            .submit_application(
                &owner,
                &form("individual"),
                vec![upload("qualification", "2027-01-10")],
            )
            .await
            .unwrap();
        let id: ProviderId = view.id.parse().unwrap();
        let op = admin(&app).await;
        app.admin_review(&op, id, ReviewAction::Approve, None)
            .await
            .unwrap();
        app.ensure_recurring_jobs().await.unwrap();
        let runner = JobRunner::new(app.clone());
        clock.advance_ms(DAY_MS);
        runner.run_due().await.unwrap();
        assert_eq!(
            app.my_notifications(&owner).await.unwrap().len(),
            1,
            "only the approval so far (expiry is 46 days away)"
        );
        clock.advance_ms(20 * DAY_MS);
        runner.run_due().await.unwrap();
        let notes = app.my_notifications(&owner).await.unwrap();
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].1.contains("2027-01-10"));
        clock.advance_ms(30 * DAY_MS);
        runner.run_due().await.unwrap();
        let p = app.my_application(&owner).await.unwrap().unwrap();
        assert!(p.suspended, "suspended once the document expired");
        assert_eq!(app.my_notifications(&owner).await.unwrap().len(), 3);
        // A new document brings the provider back through review.
        let again = app
            .submit_application(
                &owner,
                &form("individual"),
                vec![upload("qualification", "2030-01-31")],
            )
            .await
            .unwrap();
        assert_eq!(again.status, "pending");
        app.admin_review(&op, id, ReviewAction::Approve, None)
            .await
            .unwrap();
        assert!(
            !app.my_application(&owner).await.unwrap().unwrap().suspended,
            "approval lifts the suspension"
        );
    }
);
