//! Store contract suite: every test runs on SQLite and, when `TEST_DATABASE_URL` is set, on
//! PostgreSQL, each on its own fresh database.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::{collections::BTreeSet, sync::Arc};

use linli_domain::{
    ids::{AddressId, JobId, RoleId, SessionId, UserId},
    sms::{RESEND_COOLDOWN_MS, SendRefusal},
    time::{DAY_MS, Timestamp},
};
use linli_store::{
    AddressRow, NewJob, NewSmsCode, NewToken, NewUser, RefreshOutcome, RoleRow, Store, StoreError,
    TokenKind,
};
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

fn token(user_id: UserId, kind: TokenKind, hash: &str, family: SessionId) -> NewToken {
    NewToken {
        user_id,
        kind,
        hash: hash.into(),
        family,
        created_at: T0,
        expires_at: T0.plus_ms(DAY_MS),
    }
}

fn sms(phone: &str, ip: &str) -> NewSmsCode {
    NewSmsCode {
        id: JobId::new().to_string(),
        phone: phone.into(),
        ip: ip.into(),
        code_hash: "h".into(),
        expires_at: T0.plus_ms(300_000),
        message: "m".into(),
    }
}

#[test]
fn migration_folders_hold_the_same_files() {
    let list = |dir: &str| -> BTreeSet<String> {
        std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    assert_eq!(
        list("sqlite"),
        list("postgres"),
        "migrations/sqlite and migrations/postgres must move in lockstep"
    );
}

backend_test!(a_phone_can_hold_only_one_account, |db: TestDb| async move {
    let s = &db.store;
    let id = user(s, "13800000001").await;
    let dup = s
        .create_user(&NewUser {
            id: UserId::new(),
            phone: "13800000001".into(),
            password_hash: None,
            nickname: "x".into(),
            now: T0,
        })
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    assert_eq!(
        s.user_by_phone("13800000001").await.unwrap().unwrap().id,
        id
    );
    assert_eq!(s.count_users().await.unwrap(), 1);
});

backend_test!(
    a_refresh_token_rotates_once_and_its_reuse_revokes_the_login,
    |db: TestDb| async move {
        let s = &db.store;
        let u = user(s, "13800000002").await;
        let fam = SessionId::new();
        s.insert_tokens(&[
            token(u, TokenKind::Access, "a1", fam),
            token(u, TokenKind::Refresh, "r1", fam),
        ])
        .await
        .unwrap();
        assert!(
            s.live_token("a1", TokenKind::Access, T0)
                .await
                .unwrap()
                .is_some()
        );
        // The refresh hash is not an access token.
        assert!(
            s.live_token("r1", TokenKind::Access, T0)
                .await
                .unwrap()
                .is_none()
        );

        let next = [
            token(u, TokenKind::Access, "a2", fam),
            token(u, TokenKind::Refresh, "r2", fam),
        ];
        assert!(matches!(
            s.rotate_refresh("r1", &next, T0).await.unwrap(),
            RefreshOutcome::Rotated { .. }
        ));
        assert!(
            s.live_token("a1", TokenKind::Access, T0)
                .await
                .unwrap()
                .is_none(),
            "old access token dies on rotation"
        );
        assert!(
            s.live_token("a2", TokenKind::Access, T0)
                .await
                .unwrap()
                .is_some()
        );

        // Presenting r1 again is theft: the whole family, including a2, is revoked.
        assert!(matches!(
            s.rotate_refresh("r1", &[], T0).await.unwrap(),
            RefreshOutcome::Reused
        ));
        assert!(
            s.live_token("a2", TokenKind::Access, T0)
                .await
                .unwrap()
                .is_none()
        );
        assert!(matches!(
            s.rotate_refresh("r2", &[], T0).await.unwrap(),
            RefreshOutcome::Invalid
        ));
    }
);

backend_test!(
    concurrent_refreshes_of_one_token_have_one_winner,
    |db: TestDb| async move {
        let s = Arc::new(db.store.clone());
        let u = user(&*s, "13800000003").await;
        let fam = SessionId::new();
        s.insert_tokens(&[token(u, TokenKind::Refresh, "r", fam)])
            .await
            .unwrap();
        let mut tasks = Vec::new();
        for i in 0..16 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                let next = [token(u, TokenKind::Refresh, &format!("r-{i}"), fam)];
                s.rotate_refresh("r", &next, T0).await
            }));
        }
        let mut rotated = 0;
        for t in tasks {
            if let Ok(Ok(RefreshOutcome::Rotated { .. })) = t.await {
                rotated += 1;
            }
        }
        assert_eq!(rotated, 1);
    }
);

backend_test!(
    password_change_ends_every_other_login,
    |db: TestDb| async move {
        let s = &db.store;
        let u = user(s, "13800000004").await;
        let (keep, other) = (SessionId::new(), SessionId::new());
        s.insert_tokens(&[
            token(u, TokenKind::Session, "keep", keep),
            token(u, TokenKind::Session, "other", other),
        ])
        .await
        .unwrap();
        s.change_password(u, "newhash", Some(keep), T0)
            .await
            .unwrap();
        assert!(
            s.live_token("keep", TokenKind::Session, T0)
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            s.live_token("other", TokenKind::Session, T0)
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            s.user_by_id(u)
                .await
                .unwrap()
                .unwrap()
                .password_hash
                .as_deref(),
            Some("newhash")
        );
    }
);

backend_test!(
    a_disabled_account_loses_its_sessions,
    |db: TestDb| async move {
        let s = &db.store;
        let u = user(s, "13800000005").await;
        s.insert_tokens(&[token(u, TokenKind::Session, "s", SessionId::new())])
            .await
            .unwrap();
        s.set_user_status(u, "disabled", T0).await.unwrap();
        assert!(
            s.live_token("s", TokenKind::Session, T0)
                .await
                .unwrap()
                .is_none()
        );
    }
);

backend_test!(
    sms_cooldown_holds_under_concurrency,
    |db: TestDb| async move {
        let s = Arc::new(db.store.clone());
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                s.issue_sms_code(&sms("13800000006", "1.1.1.1"), T0).await
            }));
        }
        let mut sent = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(Ok(())) => sent += 1,
                Ok(Err(SendRefusal::Cooldown { .. })) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(sent, 1, "exactly one code within the cooldown");
        let after = T0.plus_ms(RESEND_COOLDOWN_MS);
        assert_eq!(
            s.issue_sms_code(&sms("13800000006", "1.1.1.1"), after)
                .await
                .unwrap(),
            Ok(())
        );
    }
);

backend_test!(
    sms_daily_limits_per_phone_and_per_ip,
    |db: TestDb| async move {
        let s = &db.store;
        let mut now = T0;
        for _ in 0..linli_domain::sms::DAILY_PER_PHONE {
            assert_eq!(
                s.issue_sms_code(&sms("13800000007", "2.2.2.2"), now)
                    .await
                    .unwrap(),
                Ok(())
            );
            now = now.plus_ms(RESEND_COOLDOWN_MS);
        }
        assert_eq!(
            s.issue_sms_code(&sms("13800000007", "2.2.2.2"), now)
                .await
                .unwrap(),
            Err(SendRefusal::PhoneDailyLimit)
        );
        // The next day it works again.
        assert_eq!(
            s.issue_sms_code(&sms("13800000007", "2.2.2.2"), T0.plus_ms(DAY_MS + 1))
                .await
                .unwrap(),
            Ok(())
        );
        // Per IP: many phones from one address.
        let mut refused = None;
        for i in 0..40 {
            if let Err(r) = s
                .issue_sms_code(&sms(&format!("139000000{i:02}"), "3.3.3.3"), T0)
                .await
                .unwrap()
            {
                refused = Some((i, r));
                break;
            }
        }
        assert_eq!(
            refused,
            Some((linli_domain::sms::DAILY_PER_IP, SendRefusal::IpDailyLimit))
        );
    }
);

backend_test!(
    sms_wrong_tries_burn_the_code_and_a_code_is_used_once,
    |db: TestDb| async move {
        let s = &db.store;
        s.issue_sms_code(&sms("13800000008", "4.4.4.4"), T0)
            .await
            .unwrap()
            .unwrap();
        let code = s.latest_sms_code("13800000008").await.unwrap().unwrap();
        for _ in 0..5 {
            assert!(s.record_sms_failure(&code.id, 5).await.unwrap());
        }
        let burned = s.latest_sms_code("13800000008").await.unwrap().unwrap();
        assert!(burned.spent);
        assert_eq!(burned.attempts, 5);
        assert!(
            !s.consume_sms_code(&code.id).await.unwrap(),
            "a burned code cannot be used"
        );

        s.issue_sms_code(
            &sms("13800000008", "4.4.4.4"),
            T0.plus_ms(RESEND_COOLDOWN_MS),
        )
        .await
        .unwrap()
        .unwrap();
        let fresh = s.latest_sms_code("13800000008").await.unwrap().unwrap();
        assert!(s.consume_sms_code(&fresh.id).await.unwrap());
        assert!(!s.consume_sms_code(&fresh.id).await.unwrap());
    }
);

fn addr(user_id: UserId, is_default: bool) -> AddressRow {
    AddressRow {
        id: AddressId::new(),
        user_id,
        district_code: "310115".into(),
        detail: "张江路 1 号".into(),
        contact_name: "王".into(),
        contact_phone: "13900000000".into(),
        lat_micro: 31_221_500,
        lng_micro: 121_544_700,
        is_default,
    }
}

backend_test!(
    a_user_always_has_exactly_one_default_address,
    |db: TestDb| async move {
        let s = &db.store;
        let u = user(s, "13800000009").await;
        let a = addr(u, false);
        s.save_address(&a, T0).await.unwrap();
        let b = addr(u, true);
        s.save_address(&b, T0.plus_ms(1)).await.unwrap();
        let c = addr(u, false);
        s.save_address(&c, T0.plus_ms(2)).await.unwrap();
        let list = s.addresses(u).await.unwrap();
        assert_eq!(list.len(), 3);
        assert_eq!(
            list.iter()
                .filter(|x| x.is_default)
                .map(|x| x.id)
                .collect::<Vec<_>>(),
            vec![b.id]
        );
        s.delete_address(u, b.id).await.unwrap();
        let list = s.addresses(u).await.unwrap();
        assert_eq!(list.iter().filter(|x| x.is_default).count(), 1);
    }
);

backend_test!(
    another_users_address_is_not_found,
    |db: TestDb| async move {
        let s = &db.store;
        let (owner, other) = (user(s, "13800000010").await, user(s, "13800000011").await);
        let a = addr(owner, true);
        s.save_address(&a, T0).await.unwrap();
        assert!(s.address(other, a.id).await.unwrap().is_none());
        assert!(matches!(
            s.delete_address(other, a.id).await,
            Err(StoreError::NotFound)
        ));
        let mut hijack = a.clone();
        hijack.user_id = other;
        hijack.detail = "hijacked".into();
        assert!(matches!(
            s.save_address(&hijack, T0).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            s.address(owner, a.id).await.unwrap().unwrap().detail,
            "张江路 1 号"
        );
    }
);

backend_test!(
    roles_make_staff_and_taking_the_last_one_away_unmakes_it,
    |db: TestDb| async move {
        let s = &db.store;
        let u = user(s, "13800000012").await;
        let role = RoleRow {
            id: RoleId::new(),
            name: "客服".into(),
            permissions: "console.access,users.view".into(),
            is_builtin: false,
        };
        s.create_role(&role, T0).await.unwrap();
        assert!(matches!(
            s.create_role(
                &RoleRow {
                    id: RoleId::new(),
                    ..role.clone()
                },
                T0
            )
            .await,
            Err(StoreError::Conflict(_))
        ));
        s.grant_role(u, role.id).await.unwrap();
        s.grant_role(u, role.id).await.unwrap();
        assert!(s.user_by_id(u).await.unwrap().unwrap().is_staff);
        assert_eq!(s.roles_of(u).await.unwrap().len(), 1);
        assert_eq!(s.staff().await.unwrap().len(), 1);
        s.revoke_role(u, role.id).await.unwrap();
        assert!(!s.user_by_id(u).await.unwrap().unwrap().is_staff);
        assert!(matches!(
            s.grant_role(u, RoleId::new()).await,
            Err(StoreError::NotFound)
        ));
    }
);

backend_test!(
    jobs_are_claimed_once_when_due_and_reclaimed_after_a_lost_lease,
    |db: TestDb| async move {
        let s = Arc::new(db.store.clone());
        let job = |k: &str, at: Timestamp, key: Option<&str>| NewJob {
            id: JobId::new(),
            kind: k.into(),
            payload: "{}".into(),
            run_at: at,
            dedupe_key: key.map(Into::into),
        };
        assert!(s.enqueue_job(&job("a", T0, Some("k1")), T0).await.unwrap());
        assert!(
            !s.enqueue_job(&job("a", T0, Some("k1")), T0).await.unwrap(),
            "dedupe key makes scheduling idempotent"
        );
        for _ in 0..20 {
            s.enqueue_job(&job("b", T0, None), T0).await.unwrap();
        }
        s.enqueue_job(&job("later", T0.plus_ms(60_000), None), T0)
            .await
            .unwrap();

        // Four claimers race; together they get each due job exactly once.
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let got = s.claim_jobs(T0, 30_000, 3).await.unwrap();
                    if got.is_empty() {
                        break mine;
                    }
                    mine.extend(got.into_iter().map(|j| j.id));
                }
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        let unique: BTreeSet<_> = all.iter().collect();
        assert_eq!(all.len(), 21);
        assert_eq!(unique.len(), 21);

        // Nobody finished them; after the lease runs out they come back with attempts = 2.
        let again = s.claim_jobs(T0.plus_ms(30_000), 30_000, 100).await.unwrap();
        assert_eq!(
            again.len(),
            21,
            "expired leases are reclaimed; 'later' is due now too? no: it is due at +60s"
        );
        assert!(again.iter().all(|j| j.attempts == 2));
        for j in &again {
            s.finish_job(j.id, T0).await.unwrap();
        }
        let later = s.claim_jobs(T0.plus_ms(60_000), 30_000, 100).await.unwrap();
        assert_eq!(later.len(), 1);
        s.fail_job(later[0].id, "boom", None, T0).await.unwrap();
        let counts = s.job_counts().await.unwrap();
        assert_eq!(
            counts,
            vec![("done".to_string(), 21), ("failed".to_string(), 1)]
        );
    }
);

backend_test!(settings_can_be_set_once, |db: TestDb| async move {
    let s = &db.store;
    assert!(s.put_setting("demo_seeded", "1", true).await.unwrap());
    assert!(!s.put_setting("demo_seeded", "2", true).await.unwrap());
    assert_eq!(
        s.setting("demo_seeded").await.unwrap().as_deref(),
        Some("1")
    );
    s.ping().await.unwrap();
});

backend_test!(
    a_lease_has_one_holder_until_it_expires,
    |db: TestDb| async move {
        let s = Arc::new(db.store.clone());
        let mut tasks = Vec::new();
        for i in 0..16 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                s.try_lease("indexer", &format!("node-{i}"), T0, 10_000)
                    .await
                    .unwrap()
                    .then_some(i)
            }));
        }
        let mut winners = Vec::new();
        for t in tasks {
            winners.extend(t.await.unwrap());
        }
        assert_eq!(winners.len(), 1, "{winners:?}");
        let owner = format!("node-{}", winners[0]);
        let other = if winners[0] == 0 { "node-1" } else { "node-0" };
        let later = Timestamp(T0.0 + 5_000);
        assert!(s.try_lease("indexer", &owner, later, 10_000).await.unwrap());
        assert!(!s.try_lease("indexer", other, later, 10_000).await.unwrap());
        assert!(
            s.try_lease("other-work", other, later, 10_000)
                .await
                .unwrap()
        );
        // Renewed at +5 s for 10 s: still held at +14 s, free at +15 s.
        let held = Timestamp(T0.0 + 14_000);
        assert!(!s.try_lease("indexer", other, held, 10_000).await.unwrap());
        let expired = Timestamp(T0.0 + 15_000);
        assert!(
            s.try_lease("indexer", other, expired, 10_000)
                .await
                .unwrap()
        );
        assert!(
            !s.try_lease("indexer", &owner, expired, 10_000)
                .await
                .unwrap()
        );
    }
);

/// SQLite write transactions commit without syncing under the write lock and are made durable
/// by a WAL sync afterwards (`sql::durable`): every commit a caller saw return is counted
/// durable, concurrent commits share syncs, and the pool's own connections still sync in
/// their commits (`synchronous = FULL`, 2).
#[tokio::test]
async fn sqlite_commits_return_durable_and_share_wal_syncs() {
    let db = linli_testkit::fresh_db(linli_testkit::Backend::Sqlite)
        .await
        .unwrap();
    let s = Arc::new(db.store.clone());
    let before = s.wal_stats().expect("a file database has a WAL sync");
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        let s = Arc::clone(&s);
        tasks.spawn(async move {
            let id = user(&*s, &format!("1390000{i:04}")).await;
            s.insert_tokens(&[token(
                id,
                TokenKind::Access,
                &format!("h{i}"),
                SessionId::new(),
            )])
            .await
            .unwrap();
            // Returned: this commit is durable.
            let now = s.wal_stats().unwrap();
            assert!(now.durable > before.commits, "{now:?}");
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let after = s.wal_stats().unwrap();
    assert!(after.commits >= before.commits + 40, "{after:?}");
    assert_eq!(after.durable, after.commits, "{after:?}");
    assert!(after.syncs > before.syncs, "{after:?}");
    let level: i64 = sqlx::Row::try_get(
        &sqlx::query("PRAGMA synchronous")
            .fetch_one(s.pool())
            .await
            .unwrap(),
        0,
    )
    .unwrap();
    assert_eq!(level, 2, "the pool's connections sync in their own commits");
}

/// The SQLite writer is a second connection to the URL, so an in-memory database (which every
/// connection would open afresh) is refused with a clear error rather than splitting the data.
#[tokio::test]
async fn sqlite_in_memory_urls_are_refused() {
    for url in [
        "sqlite::memory:",
        "sqlite:file:linli?mode=memory&cache=shared",
    ] {
        let err = linli_store::sql::connect(url, 2)
            .await
            .err()
            .unwrap_or_else(|| panic!("{url} was accepted"));
        assert!(err.to_string().contains("must name a file"), "{url}: {err}");
    }
}
