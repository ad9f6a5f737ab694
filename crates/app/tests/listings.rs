//! Service listings on both backends: publishing through the automatic filter, operator
//! review, ownership, and what guests can see.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::sync::Arc;

use linli_app::{
    Actor, App, AppConfig, AppError, Secret,
    listings::ListingForm,
    providers::{ApplicationForm, DocumentUpload},
};
use linli_domain::{
    ids::ListingId,
    listing::{PriceOption, SopItem},
    provider::ReviewAction,
};
use linli_store::TokenKind;
use linli_testkit::{FakeClock, TestDb, backend_test};

fn app(db: &TestDb, clock: &FakeClock) -> App {
    let dir = std::env::temp_dir().join(format!(
        "linli-listing-files-{}",
        linli_domain::ids::JobId::new()
    ));
    App::assemble(
        Arc::new(db.store.clone()),
        Arc::new(clock.clone()),
        AppConfig::new(Secret::new("test-secret"), true),
        dir,
    )
}

async fn session(app: &App, id: linli_domain::ids::UserId) -> Actor {
    let s = app.start_web_session(id).await.unwrap();
    app.authenticate(&s.secret, TokenKind::Session)
        .await
        .unwrap()
}

fn jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(80, 60, |x, y| image::Rgb([x as u8, y as u8 * 2, 120]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// An approved provider and an operator.
async fn setup(app: &App, phone: &str) -> (Actor, Actor) {
    linli_app::seed::seed_categories(app).await.unwrap();
    let u = app.register(phone, "secret123", None).await.unwrap();
    let provider = session(app, u.id).await;
    let form = ApplicationForm {
        kind: "individual".into(),
        display_name: "赵师傅保洁".into(),
        real_name: "赵敏".into(),
        id_number: "11010519491231002X".into(),
        categories: vec!["cleaning".into()],
        districts: vec!["310115".into()],
        intro: "专业保洁八年，口碑好，准时上门。".into(),
    };
    let view = app
        .submit_application(
            &provider,
            &form,
            vec![DocumentUpload {
                kind: "qualification".into(),
                expires_on: "2029-01-01".into(),
                bytes: jpeg(),
            }],
        )
        .await
        .unwrap();
    let admin_id = match app.store.user_by_phone("13800000000").await.unwrap() {
        Some(u) => u.id,
        None => app
            .bootstrap_admin("13800000000", "admin1234")
            .await
            .unwrap(),
    };
    let op = session(app, admin_id).await;
    app.admin_review(&op, view.id.parse().unwrap(), ReviewAction::Approve, None)
        .await
        .unwrap();
    (provider, op)
}

fn listing(description: &str) -> ListingForm {
    ListingForm {
        cancel_policy: None,
        instant_book: false,
        category: "cleaning-daily".into(),
        title: "日常保洁 3 小时".into(),
        description: description.into(),
        unit: "hour".into(),
        price: "45".into(),
        min_units: 3,
        minutes: 180,
        options: vec![PriceOption {
            kind: "addon".into(),
            name: "擦玻璃".into(),
            price_fen: 3000,
            minutes: 30,
        }],
        sop: vec![
            SopItem {
                text: "上门穿鞋套".into(),
                photo: false,
            },
            SopItem {
                text: "厨房油污清洁".into(),
                photo: true,
            },
        ],
        attributes: Vec::new(),
    }
}

backend_test!(
    a_clean_listing_from_an_approved_provider_goes_live_at_once,
    |db: TestDb| async move {
        let clock = FakeClock::new();
        let app = app(&db, &clock);
        let (provider, _) = setup(&app, "13911140001").await;
        let draft = app
            .save_listing(
                &provider,
                None,
                &listing("专业保洁员上门，自带工具，三小时起。"),
                vec![jpeg()],
            )
            .await
            .unwrap();
        assert_eq!(draft.status, "draft");
        assert_eq!(draft.price, "¥45.00");
        assert_eq!(draft.photos.len(), 1);
        let id: ListingId = draft.id.parse().unwrap();
        assert!(
            matches!(
                app.listing(&Actor::Guest, id).await,
                Err(AppError::NotFound)
            ),
            "drafts are private"
        );
        let live = app.submit_listing(&provider, id).await.unwrap();
        assert_eq!(live.status, "published");
        assert_eq!(
            app.listing(&Actor::Guest, id).await.unwrap().title,
            "日常保洁 3 小时"
        );
        assert_eq!(
            app.store.pending_events(100).await.unwrap().len(),
            2,
            "each change wrote an outbox event"
        );
        let off = app.take_listing_offline(&provider, id).await.unwrap();
        assert_eq!(off.status, "offline");
        assert!(matches!(
            app.listing(&Actor::Guest, id).await,
            Err(AppError::NotFound)
        ));
    }
);

backend_test!(
    contact_details_send_a_listing_to_review_and_prohibited_words_refuse_it,
    |db: TestDb| async move {
        let clock = FakeClock::new();
        let app = app(&db, &clock);
        let (provider, op) = setup(&app, "13911140002").await;
        let flagged = app
            .save_listing(
                &provider,
                None,
                &listing("加我微信 vx：clean2026 价格更低，电话 138 1234 5678"),
                vec![jpeg()],
            )
            .await
            .unwrap();
        let id: ListingId = flagged.id.parse().unwrap();
        let pending = app.submit_listing(&provider, id).await.unwrap();
        assert_eq!(pending.status, "pending");
        assert!(
            pending.flags.contains("Phone") && pending.flags.contains("WeChat"),
            "{}",
            pending.flags
        );
        assert!(
            matches!(
                app.save_listing(&provider, Some(id), &listing("改一改描述内容内容"), vec![])
                    .await,
                Err(AppError::Invalid(_))
            ),
            "not editable while pending"
        );
        assert!(
            matches!(
                app.admin_review_listing(&op, id, false, None).await,
                Err(AppError::Invalid(_))
            ),
            "a rejection needs a reason"
        );
        let rejected = app
            .admin_review_listing(&op, id, false, Some("请勿留联系方式"))
            .await
            .unwrap();
        assert_eq!(
            (rejected.status.as_str(), rejected.review_note.as_deref()),
            ("rejected", Some("请勿留联系方式"))
        );

        app.admin_put_word(&op, "代 开 发 票", "reject")
            .await
            .unwrap();
        let bad = app
            .save_listing(
                &provider,
                None,
                &listing("保洁服务，可代开发票，欢迎咨询下单。"),
                vec![jpeg()],
            )
            .await
            .unwrap();
        let err = app.submit_listing(&provider, bad.id.parse().unwrap()).await;
        assert!(
            matches!(
                err,
                Err(AppError::Conflict {
                    code: "content_rejected",
                    ..
                })
            ),
            "{err:?}"
        );
        assert_eq!(
            app.admin_words(&op).await.unwrap(),
            vec![("代开发票".to_string(), "reject".to_string())],
            "stored normalised"
        );
        assert!(matches!(
            app.admin_words(&provider).await,
            Err(AppError::Forbidden)
        ));
    }
);

backend_test!(
    only_approved_providers_publish_and_nobody_edits_another_providers_listing,
    |db: TestDb| async move {
        let clock = FakeClock::new();
        let app = app(&db, &clock);
        let (provider, _) = setup(&app, "13911140003").await;
        let stranger_id = app
            .register("13911140004", "secret123", None)
            .await
            .unwrap()
            .id;
        let stranger = session(&app, stranger_id).await;
        let err = app
            .save_listing(
                &stranger,
                None,
                &listing("专业保洁员上门，自带工具。"),
                vec![jpeg()],
            )
            .await;
        assert!(
            matches!(
                err,
                Err(AppError::Conflict {
                    code: "provider_not_approved",
                    ..
                })
            ),
            "{err:?}"
        );
        let (other_provider, _) = setup(&app, "13911140005").await;
        let mine = app
            .save_listing(
                &provider,
                None,
                &listing("专业保洁员上门，自带工具。"),
                vec![jpeg()],
            )
            .await
            .unwrap();
        let id: ListingId = mine.id.parse().unwrap();
        assert!(matches!(
            app.save_listing(
                &other_provider,
                Some(id),
                &listing("抢别人的服务改成我的"),
                vec![]
            )
            .await,
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            app.submit_listing(&other_provider, id).await,
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            app.take_listing_offline(&other_provider, id).await,
            Err(AppError::NotFound)
        ));
        let mut html = listing("专业保洁员上门，自带工具。");
        html.category = "cleaning".into();
        assert!(
            matches!(
                app.save_listing(&provider, None, &html, vec![]).await,
                Err(AppError::Invalid(_))
            ),
            "a top-level category is not a service category"
        );
        let too_many: Vec<Vec<u8>> = (0..10).map(|_| jpeg()).collect();
        assert!(matches!(
            app.save_listing(
                &provider,
                None,
                &listing("专业保洁员上门，自带工具。"),
                too_many
            )
            .await,
            Err(AppError::BadUpload(_))
        ));
        let no_photo = app
            .save_listing(
                &provider,
                None,
                &listing("专业保洁员上门，自带工具。"),
                vec![],
            )
            .await
            .unwrap();
        assert!(
            matches!(
                app.submit_listing(&provider, no_photo.id.parse().unwrap())
                    .await,
                Err(AppError::BadUpload(_))
            ),
            "a photo is required to publish"
        );
    }
);
