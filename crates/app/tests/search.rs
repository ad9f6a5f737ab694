//! Search follows the data: published listings become findable through the outbox, offline
//! ones disappear, and area coverage filters results. SQLite and PostgreSQL stores, embedded
//! tantivy index beside SQLite, the shared PostgreSQL index beside PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::sync::Arc;

use linli_app::{Actor, App, AppConfig, Secret, search::SearchForm};
use linli_store::TokenKind;
use linli_testkit::{FakeClock, TestDb, backend_test};

async fn app(db: &TestDb, clock: &FakeClock) -> App {
    let dir = std::env::temp_dir().join(format!(
        "linli-search-files-{}",
        linli_domain::ids::JobId::new()
    ));
    App::assemble(
        Arc::new(db.store.clone()),
        Arc::new(clock.clone()),
        AppConfig::new(Secret::new("test-secret"), true),
        dir,
    )
    .with_search(linli_testkit::search_index(db).await)
}

fn form(q: &str) -> SearchForm {
    SearchForm {
        q: q.into(),
        ..SearchForm::default()
    }
}

backend_test!(
    seeded_services_are_found_by_two_character_queries_and_offline_ones_vanish,
    |db: TestDb| async move {
        let clock = FakeClock::new();
        let app = app(&db, &clock).await;
        linli_app::seed::seed_demo(&app).await.unwrap();
        // The seed's outbox events fill the index.
        while app.index_pending().await.unwrap() > 0 {}
        for (q, slug_prefix) in [
            ("保洁", "cleaning"),
            ("空调", "appliance"),
            ("开锁", "locksmith"),
        ] {
            let page = app.search(&Actor::Guest, &form(q)).await.unwrap();
            assert!(page.total >= 3, "{q}: {}", page.total);
            // Every hit mentions the words somewhere it is indexed (title, description, category or
            // provider name), and the category that owns the word leads the facets.
            for h in &page.hits {
                let l = &h.listing;
                assert!(
                    [&l.title, &l.description, &l.category_name, &l.provider_name]
                        .iter()
                        .any(|t| t.contains(q)),
                    "{q}: {} / {}",
                    l.title,
                    l.provider_name
                );
            }
            assert!(
                page.categories
                    .iter()
                    .any(|c| c.value.starts_with(slug_prefix)),
                "{q}"
            );
            assert!(
                page.hits[0].title_html.contains("<em>")
                    || page.hits[0].snippet_html.contains("<em>"),
                "{q} highlighted"
            );
        }
        let cleaning = app.search(&Actor::Guest, &form("保洁")).await.unwrap();
        assert!(
            !cleaning.categories.is_empty() && !cleaning.districts.is_empty(),
            "facets"
        );

        // Taking a listing offline removes it from search once the outbox is processed.
        let provider_user = app
            .store
            .user_by_phone(linli_app::seed::DEMO_PROVIDER_PHONE)
            .await
            .unwrap()
            .unwrap();
        let s = app.start_web_session(provider_user.id).await.unwrap();
        let provider = app
            .authenticate(&s.secret, TokenKind::Session)
            .await
            .unwrap();
        let mine = app.my_listings(&provider).await.unwrap();
        let target = mine
            .iter()
            .find(|l| l.status == "published")
            .unwrap()
            .clone();
        let before = app
            .search(
                &Actor::Guest,
                &SearchForm {
                    q: target.title.clone(),
                    ..SearchForm::default()
                },
            )
            .await
            .unwrap();
        assert!(before.hits.iter().any(|h| h.listing.id == target.id));
        app.take_listing_offline(&provider, target.id.parse().unwrap())
            .await
            .unwrap();
        assert_eq!(app.index_pending().await.unwrap(), 1);
        let after = app
            .search(
                &Actor::Guest,
                &SearchForm {
                    q: target.title.clone(),
                    ..SearchForm::default()
                },
            )
            .await
            .unwrap();
        assert!(after.hits.iter().all(|h| h.listing.id != target.id));

        // A district filter returns only services covering it; a bad sort is a clear error.
        let in_pudong = app
            .search(
                &Actor::Guest,
                &SearchForm {
                    q: "保洁".into(),
                    district: Some("310115".into()),
                    ..SearchForm::default()
                },
            )
            .await
            .unwrap();
        assert!(in_pudong.total <= cleaning.total);
        assert!(
            app.search(
                &Actor::Guest,
                &SearchForm {
                    sort: Some("random".into()),
                    ..SearchForm::default()
                }
            )
            .await
            .is_err()
        );
        assert_eq!(
            app.reindex_all().await.unwrap() as u64,
            app.search(&Actor::Guest, &form("")).await.unwrap().total,
            "reindex covers every published listing"
        );
    }
);

backend_test!(
    one_node_at_a_time_applies_the_outbox,
    |db: TestDb| async move {
        let clock = FakeClock::new();
        let first = app(&db, &clock).await;
        let second = app(&db, &clock).await;
        linli_app::seed::seed_demo(&first).await.unwrap();
        let mut applied = 0;
        loop {
            let n = first.index_pending().await.unwrap();
            // The other node does nothing while the first holds the indexer lease.
            assert_eq!(second.index_pending().await.unwrap(), 0);
            if n == 0 {
                break;
            }
            applied += n;
        }
        assert!(applied > 0);

        // The first node stops; once its lease runs out the second takes over.
        let provider_user = first
            .store
            .user_by_phone(linli_app::seed::DEMO_PROVIDER_PHONE)
            .await
            .unwrap()
            .unwrap();
        let s = first.start_web_session(provider_user.id).await.unwrap();
        let provider = first
            .authenticate(&s.secret, TokenKind::Session)
            .await
            .unwrap();
        let target = first
            .my_listings(&provider)
            .await
            .unwrap()
            .into_iter()
            .find(|l| l.status == "published")
            .unwrap();
        first
            .take_listing_offline(&provider, target.id.parse().unwrap())
            .await
            .unwrap();
        assert_eq!(second.index_pending().await.unwrap(), 0);
        clock.advance_ms(10_000);
        assert_eq!(second.index_pending().await.unwrap(), 1);
        assert_eq!(first.index_pending().await.unwrap(), 0);
    }
);
