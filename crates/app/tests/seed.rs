//! The demo seed on both backends: a living marketplace (approved providers in every district,
//! published services with photos in every category), real review trails, a working demo
//! provider login, a second run that changes nothing, and how long it takes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::{collections::HashSet, sync::Arc, time::Instant};

use linli_app::{
    Actor, App, AppConfig, Secret,
    seed::{
        self, DEMO_ACCOUNT_COUNT, DEMO_LISTING_COUNT, DEMO_PASSWORD, DEMO_PROVIDER_COUNT,
        DEMO_PROVIDER_NAME, DEMO_PROVIDER_PHONE,
    },
};
use linli_domain::district::DISTRICTS;
use linli_store::TokenKind;
use linli_testkit::{FakeClock, TestDb, backend_test};

fn app(db: &TestDb, clock: &FakeClock) -> App {
    let dir = std::env::temp_dir().join(format!(
        "linli-seed-files-{}",
        linli_domain::ids::JobId::new()
    ));
    App::assemble(
        Arc::new(db.store.clone()),
        Arc::new(clock.clone()),
        AppConfig::new(Secret::new("test-secret"), true),
        dir,
    )
}

/// What a second run must leave exactly as it was.
async fn counts(app: &App) -> (i64, i64, i64, usize) {
    let users = app.store.count_users().await.unwrap();
    let (_, providers) = app.store.list_providers(None, 1, 0).await.unwrap();
    let (_, published) = app.store.list_listings("published", 1, 0).await.unwrap();
    let events = app.store.pending_events(10_000).await.unwrap().len();
    (users, providers, published, events)
}

backend_test!(
    the_demo_seed_builds_a_living_marketplace_once,
    |db: TestDb| async move {
        let backend = if db.url.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        };
        let clock = FakeClock::new();
        let app = app(&db, &clock);

        let started = Instant::now();
        assert!(
            seed::seed_demo(&app).await.unwrap(),
            "a fresh database is seeded"
        );
        let elapsed = started.elapsed();
        eprintln!(
            "seed_demo on {backend}: {elapsed:?} for {DEMO_PROVIDER_COUNT} providers and \
             {DEMO_LISTING_COUNT} listings"
        );

        // Providers: all approved, every district served by several of them.
        let (providers, total) = app.store.list_providers(None, 1000, 0).await.unwrap();
        assert!(total >= 30, "{total} providers");
        assert_eq!(total as usize, DEMO_PROVIDER_COUNT);
        assert!(
            providers
                .iter()
                .all(|p| p.status == "approved" && !p.suspended)
        );
        for d in DISTRICTS {
            let serving = providers
                .iter()
                .filter(|p| p.districts.iter().any(|c| c == d.code))
                .count();
            assert!(serving >= 3, "{} is served by {serving} providers", d.name);
        }
        let kinds: HashSet<&str> = providers.iter().map(|p| p.kind.as_str()).collect();
        assert_eq!(kinds.len(), 2, "individuals and companies");

        // Each approval went through the operator: audit row, notification, public profile.
        let first = &providers[0];
        assert!(
            app.store
                .audit_entries(&format!("provider:{}", first.id))
                .await
                .unwrap()
                .iter()
                .any(|a| a.action == "provider.approved")
        );
        assert!(
            app.store
                .notifications(first.user_id, 10)
                .await
                .unwrap()
                .iter()
                .any(|n| n.kind == "application.approved")
        );
        let profile = app.provider_profile(first.id).await.unwrap();
        assert!(profile.verified_qualification);

        // Listings: all published, every second-level category has at least three.
        let (listings, total) = app.store.list_listings("published", 1000, 0).await.unwrap();
        assert!(total >= 150, "{total} listings");
        assert_eq!(total as usize, DEMO_LISTING_COUNT);
        for status in ["draft", "pending", "rejected", "offline"] {
            let (_, n) = app.store.list_listings(status, 1, 0).await.unwrap();
            assert_eq!(n, 0, "no {status} demo listings");
        }
        let children: Vec<String> = app
            .store
            .categories()
            .await
            .unwrap()
            .into_iter()
            .filter(|c| c.parent_id.is_some())
            .map(|c| c.slug)
            .collect();
        for child in &children {
            let n = listings.iter().filter(|l| &l.category == child).count();
            assert!(n >= 3, "{child} has {n} listings");
        }
        let units: HashSet<&str> = listings.iter().map(|l| l.unit.as_str()).collect();
        assert_eq!(units.len(), 4, "fixed, hour, sqm and item prices");

        // Photos: 1–3 per listing, each stored with its thumbnail, each listing its own files.
        let mut names = HashSet::new();
        for l in &listings {
            assert!((1..=3).contains(&l.photos.len()), "{}", l.title);
            for p in &l.photos {
                assert!(!app.files.get(&p.photo).await.unwrap().is_empty());
                assert!(!app.files.get(&p.thumb).await.unwrap().is_empty());
                assert!(names.insert(p.photo.clone()), "a photo file is shared");
            }
        }
        let shown = app.listing(&Actor::Guest, listings[0].id).await.unwrap();
        assert!(shown.photos[0].url.starts_with("/files/listings/"));

        // The demo provider can sign in with the demo password and sees its services.
        let user = app
            .login_password(DEMO_PROVIDER_PHONE, DEMO_PASSWORD, "127.0.0.1")
            .await
            .unwrap();
        let session = app.start_web_session(user.id).await.unwrap();
        let provider = app
            .authenticate(&session.secret, TokenKind::Session)
            .await
            .unwrap();
        let mine = app.my_application(&provider).await.unwrap().unwrap();
        assert_eq!(
            (mine.display_name.as_str(), mine.status.as_str()),
            (DEMO_PROVIDER_NAME, "approved")
        );
        let own = app.my_listings(&provider).await.unwrap();
        assert!(!own.is_empty() && own.iter().all(|l| l.status == "published"));
        assert_eq!(
            app.store.count_users().await.unwrap() as usize,
            DEMO_ACCOUNT_COUNT
        );

        // A second run changes nothing.
        let before = counts(&app).await;
        assert!(!seed::seed_demo(&app).await.unwrap(), "already seeded");
        assert_eq!(counts(&app).await, before);
    }
);
