//! Use-case tests on both backends: accounts, SMS codes, tokens, RBAC and jobs.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;

use linli_app::{
    Actor, App, AppConfig, AppError, Secret,
    jobs::{JobHandler, JobRunner},
    profile::AddressFields,
};
use linli_domain::{permission::Permission, sms::SendRefusal, time::DAY_MS};
use linli_store::TokenKind;
use linli_testkit::{FakeClock, TestDb, backend_test};

fn app(db: &TestDb, clock: &FakeClock) -> App {
    let dir = std::env::temp_dir().join(format!(
        "linli-app-files-{}",
        linli_domain::ids::JobId::new()
    ));
    App::assemble(
        Arc::new(db.store.clone()),
        Arc::new(clock.clone()),
        AppConfig::new(Secret::new("test-secret"), true),
        dir,
    )
}

async fn last_code(app: &App) -> String {
    let msg = &app.store.sms_outbox(1).await.unwrap()[0];
    msg.body.chars().filter(char::is_ascii_digit).collect()
}

async fn member(app: &App, user: linli_domain::ids::UserId) -> Actor {
    let s = app.start_web_session(user).await.unwrap();
    app.authenticate(&s.secret, TokenKind::Session)
        .await
        .unwrap()
}

backend_test!(
    registering_normalises_the_phone_and_refuses_duplicates_and_bad_input,
    |db: TestDb| async move {
        let clock = FakeClock::new();
        let app = app(&db, &clock);
        let u = app
            .register("+86 139-1111-2222", "secret123", None)
            .await
            .unwrap();
        assert_eq!(u.phone, "13911112222");
        assert_eq!(u.nickname, "邻里用户2222");
        assert!(matches!(
            app.register("13911112222", "secret123", None).await,
            Err(AppError::Conflict {
                code: "phone_taken",
                ..
            })
        ));
        for (phone, pw) in [
            ("12911112222", "secret123"),
            ("1391111222", "secret123"),
            ("13911113333", "short1"),
            ("13911113333", "lettersonly"),
        ] {
            assert!(
                matches!(
                    app.register(phone, pw, None).await,
                    Err(AppError::Invalid(_))
                ),
                "{phone} {pw}"
            );
        }
        assert_eq!(
            app.store.count_users().await.unwrap(),
            1,
            "bad input created nothing"
        );
    }
);

backend_test!(
    password_login_accepts_the_right_password_only,
    |db: TestDb| async move {
        let clock = FakeClock::new();
        let app = app(&db, &clock);
        app.register("13911110001", "secret123", None)
            .await
            .unwrap();
        assert!(
            app.login_password("139 1111 0001", "secret123", "1.1.1.1")
                .await
                .is_ok()
        );
        assert!(matches!(
            app.login_password("13911110001", "secret124", "1.1.1.1")
                .await,
            Err(AppError::BadCredentials)
        ));
        assert!(matches!(
            app.login_password("13911110009", "secret123", "1.1.1.1")
                .await,
            Err(AppError::BadCredentials)
        ));
    }
);

backend_test!(
    password_login_is_rate_limited_per_phone,
    |db: TestDb| async move {
        let clock = FakeClock::new();
        let app = app(&db, &clock);
        app.register("13911110002", "secret123", None)
            .await
            .unwrap();
        let mut limited = false;
        for _ in 0..12 {
            if let Err(AppError::RateLimited { .. }) = app
                .login_password("13911110002", "wrong123", "1.1.1.1")
                .await
            {
                limited = true;
            }
        }
        assert!(limited);
        // Even the right password waits for the window to pass.
        assert!(matches!(
            app.login_password("13911110002", "secret123", "1.1.1.1")
                .await,
            Err(AppError::RateLimited { .. })
        ));
        clock.advance_secs(600);
        assert!(
            app.login_password("13911110002", "secret123", "1.1.1.1")
                .await
                .is_ok()
        );
    }
);

backend_test!(
    sms_login_creates_the_account_and_the_code_works_once,
    |db: TestDb| async move {
        let clock = FakeClock::new();
        let app = app(&db, &clock);
        app.send_login_code("13911110003", "1.1.1.1").await.unwrap();
        let code = last_code(&app).await;
        assert_eq!(
            code.len(),
            6 + 1,
            "message holds the code and the 5-minute hint: {code}"
        );
        let code = &code[..6];
        let u = app.login_sms("13911110003", code, "1.1.1.1").await.unwrap();
        assert_eq!(u.phone, "13911110003");
        assert!(u.password_hash.is_none());
        assert!(
            matches!(
                app.login_sms("13911110003", code, "1.1.1.1").await,
                Err(AppError::BadCode)
            ),
            "a code works once"
        );
    }
);

backend_test!(
    sms_code_expires_after_five_minutes_and_resend_waits_a_minute,
    |db: TestDb| async move {
        let clock = FakeClock::new();
        let app = app(&db, &clock);
        app.send_login_code("13911110004", "1.1.1.1").await.unwrap();
        let code = last_code(&app).await[..6].to_owned();
        assert!(matches!(
            app.send_login_code("13911110004", "1.1.1.1").await,
            Err(AppError::SmsRefused(SendRefusal::Cooldown { .. }))
        ));
        clock.advance_secs(300);
        assert!(matches!(
            app.login_sms("13911110004", &code, "1.1.1.1").await,
            Err(AppError::BadCode)
        ));
        assert_eq!(app.store.count_users().await.unwrap(), 0);
        app.send_login_code("13911110004", "1.1.1.1").await.unwrap();
    }
);

backend_test!(
    the_sixth_try_of_a_code_fails_even_when_right,
    |db: TestDb| async move {
        let clock = FakeClock::new();
        let app = app(&db, &clock);
        app.send_login_code("13911110005", "1.1.1.1").await.unwrap();
        let code = last_code(&app).await[..6].to_owned();
        let wrong = if code == "000000" { "111111" } else { "000000" };
        for _ in 0..5 {
            assert!(matches!(
                app.login_sms("13911110005", wrong, "1.1.1.1").await,
                Err(AppError::BadCode)
            ));
        }
        assert!(
            matches!(
                app.login_sms("13911110005", &code, "1.1.1.1").await,
                Err(AppError::BadCode)
            ),
            "burned after five wrong tries"
        );
        assert!(matches!(
            app.login_sms("13911110005", "12345", "1.1.1.1").await,
            Err(AppError::Invalid(_))
        ));
        assert_eq!(app.store.count_users().await.unwrap(), 0);
    }
);

backend_test!(
    api_tokens_rotate_and_a_replayed_refresh_token_ends_the_login,
    |db: TestDb| async move {
        let clock = FakeClock::new();
        let app = app(&db, &clock);
        let u = app
            .register("13911110006", "secret123", None)
            .await
            .unwrap();
        let first = app.issue_tokens(u.id).await.unwrap();
        assert!(matches!(
            app.authenticate(&first.access_token, TokenKind::Access)
                .await
                .unwrap(),
            Actor::Member(_)
        ));
        let second = app.refresh_tokens(&first.refresh_token).await.unwrap();
        assert!(matches!(
            app.authenticate(&first.access_token, TokenKind::Access)
                .await
                .unwrap(),
            Actor::Guest
        ));
        assert!(matches!(
            app.authenticate(&second.access_token, TokenKind::Access)
                .await
                .unwrap(),
            Actor::Member(_)
        ));
        // Replay of the first refresh token: everything of this login is revoked.
        assert!(matches!(
            app.refresh_tokens(&first.refresh_token).await,
            Err(AppError::Unauthenticated)
        ));
        assert!(matches!(
            app.authenticate(&second.access_token, TokenKind::Access)
                .await
                .unwrap(),
            Actor::Guest
        ));
        assert!(matches!(
            app.refresh_tokens(&second.refresh_token).await,
            Err(AppError::Unauthenticated)
        ));
        // Access tokens expire after 15 minutes.
        let third = app.issue_tokens(u.id).await.unwrap();
        clock.advance_secs(15 * 60);
        assert!(matches!(
            app.authenticate(&third.access_token, TokenKind::Access)
                .await
                .unwrap(),
            Actor::Guest
        ));
    }
);

backend_test!(
    logout_and_password_change_end_sessions,
    |db: TestDb| async move {
        let clock = FakeClock::new();
        let app = app(&db, &clock);
        let u = app
            .register("13911110007", "secret123", None)
            .await
            .unwrap();
        let here = app.start_web_session(u.id).await.unwrap();
        let there = app.start_web_session(u.id).await.unwrap();
        let api = app.issue_tokens(u.id).await.unwrap();
        let me = app
            .authenticate(&here.secret, TokenKind::Session)
            .await
            .unwrap();
        assert!(matches!(
            app.change_password(&me, Some("wrong999"), "newpass123")
                .await,
            Err(AppError::BadCredentials)
        ));
        app.change_password(&me, Some("secret123"), "newpass123")
            .await
            .unwrap();
        assert!(
            matches!(
                app.authenticate(&here.secret, TokenKind::Session)
                    .await
                    .unwrap(),
                Actor::Member(_)
            ),
            "current session stays"
        );
        assert!(matches!(
            app.authenticate(&there.secret, TokenKind::Session)
                .await
                .unwrap(),
            Actor::Guest
        ));
        assert!(matches!(
            app.authenticate(&api.access_token, TokenKind::Access)
                .await
                .unwrap(),
            Actor::Guest
        ));
        assert!(
            app.login_password("13911110007", "newpass123", "1.1.1.1")
                .await
                .is_ok()
        );
        app.logout(&me).await.unwrap();
        assert!(matches!(
            app.authenticate(&here.secret, TokenKind::Session)
                .await
                .unwrap(),
            Actor::Guest
        ));
    }
);

backend_test!(
    customers_cannot_use_admin_use_cases_and_roles_grant_permissions,
    |db: TestDb| async move {
        let clock = FakeClock::new();
        let app = app(&db, &clock);
        let admin_id = app
            .bootstrap_admin("13800000000", "admin1234")
            .await
            .unwrap();
        let admin = member(&app, admin_id).await;
        assert!(admin.can(Permission::RolesManage));
        let cust = app
            .register("13911110008", "secret123", None)
            .await
            .unwrap();
        let customer = member(&app, cust.id).await;
        assert!(matches!(
            app.admin_users(&customer, None, 1).await,
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            app.admin_users(&Actor::Guest, None, 1).await,
            Err(AppError::Unauthenticated)
        ));

        let (users, total) = app.admin_users(&admin, None, 1).await.unwrap();
        assert_eq!(total, 2);
        assert!(
            users.iter().all(|u| u.phone.contains("****")),
            "operators see masked phones"
        );

        let role = app
            .admin_create_role(
                &admin,
                "客服",
                &["console.access".into(), "users.view".into()],
            )
            .await
            .unwrap();
        assert!(matches!(
            app.admin_create_role(&admin, "x", &["root".into()]).await,
            Err(AppError::Invalid(_))
        ));
        app.admin_grant_role(&admin, "13911110008", role.id.parse().unwrap())
            .await
            .unwrap();
        let customer = member(&app, cust.id).await;
        assert!(app.admin_users(&customer, None, 1).await.is_ok());
        assert!(matches!(
            app.admin_roles(&customer).await,
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            app.admin_set_status(&admin, admin_id, false).await,
            Err(AppError::Conflict { .. })
        ));
    }
);

backend_test!(
    addresses_take_coordinates_from_the_district_table_and_stay_private,
    |db: TestDb| async move {
        let clock = FakeClock::new();
        let app = app(&db, &clock);
        let a = app
            .register("13911110010", "secret123", None)
            .await
            .unwrap();
        let b = app
            .register("13911110011", "secret123", None)
            .await
            .unwrap();
        let (a, b) = (member(&app, a.id).await, member(&app, b.id).await);
        let f = AddressFields {
            district_code: "310104".into(),
            detail: "漕溪北路 1 号".into(),
            contact_name: "张".into(),
            contact_phone: "13911110010".into(),
            is_default: false,
        };
        let saved = app.save_address(&a, None, &f).await.unwrap();
        assert!(saved.is_default, "the first address is the default");
        assert_eq!(saved.district_name, "徐汇区");
        assert!((saved.lat - 31.1885).abs() < 1e-9);
        assert_eq!(saved.contact_phone, "139****0010");
        let id = saved.id.parse().unwrap();
        assert!(matches!(app.address(&b, id).await, Err(AppError::NotFound)));
        assert!(matches!(
            app.save_address(&b, Some(id), &f).await,
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            app.delete_address(&b, id).await,
            Err(AppError::NotFound)
        ));
        let bad = AddressFields {
            district_code: "000000".into(),
            ..f
        };
        assert!(matches!(
            app.save_address(&a, None, &bad).await,
            Err(AppError::Invalid(_))
        ));
        assert_eq!(app.addresses(&a).await.unwrap().len(), 1);
    }
);

struct Flaky(Arc<std::sync::atomic::AtomicUsize>);

#[async_trait::async_trait]
impl JobHandler for Flaky {
    fn kind(&self) -> &'static str {
        "test.flaky"
    }
    async fn run(&self, _app: &App, _payload: &str) -> Result<(), String> {
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if n == 0 {
            Err("first try fails".into())
        } else {
            Ok(())
        }
    }
}

backend_test!(
    jobs_run_when_the_clock_says_so_and_failures_retry_with_back_off,
    |db: TestDb| async move {
        let clock = FakeClock::new();
        let app = app(&db, &clock);
        let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let runner = JobRunner::with_handlers(app.clone(), vec![Arc::new(Flaky(count.clone()))]);
        app.schedule_job(
            "test.flaky",
            "{}",
            clock.now_plus(60_000),
            Some("once".into()),
        )
        .await
        .unwrap();
        assert!(
            !app.schedule_job(
                "test.flaky",
                "{}",
                clock.now_plus(60_000),
                Some("once".into())
            )
            .await
            .unwrap()
        );
        assert_eq!(runner.run_due().await.unwrap(), 0, "not due yet");
        clock.advance_secs(60);
        assert_eq!(runner.run_due().await.unwrap(), 1);
        assert_eq!(
            runner.run_due().await.unwrap(),
            0,
            "the retry waits for its back-off"
        );
        clock.advance_secs(60);
        assert_eq!(runner.run_due().await.unwrap(), 1);
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 2);
        assert_eq!(
            app.store.job_counts().await.unwrap(),
            vec![("done".to_string(), 1)]
        );
    }
);

backend_test!(
    the_token_purge_job_reschedules_itself_daily,
    |db: TestDb| async move {
        let clock = FakeClock::new();
        let app = app(&db, &clock);
        let u = app
            .register("13911110012", "secret123", None)
            .await
            .unwrap();
        app.issue_tokens(u.id).await.unwrap();
        app.ensure_recurring_jobs().await.unwrap();
        app.ensure_recurring_jobs().await.unwrap();
        let runner = JobRunner::new(app.clone());
        clock.advance_ms(DAY_MS);
        // Three daily jobs are due: the token purge, the document-expiry sweep and the
        // reconciliation (which does nothing without a payment provider); and the hourly
        // default-review sweep.
        assert_eq!(runner.run_due().await.unwrap(), 4);
        clock.advance_ms(40 * DAY_MS);
        // Several days passed: one run each (a job schedules its next run from "now").
        assert_eq!(runner.run_due().await.unwrap(), 4);
        assert_eq!(
            app.store.purge_tokens(clock.now_plus(0)).await.unwrap(),
            0,
            "the job already purged the expired tokens"
        );
    }
);
