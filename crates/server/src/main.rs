//! The `linli` binary: `serve` (default), `migrate`, `seed-demo`, `admin create`,
//! `check-config`, `sandbox-psp`. The only place that reads configuration or the environment.

mod config;

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use config::{Config, LogFormat, Mode};
use linli_app::{
    App, AppConfig, Secret, crypto,
    jobs::JobRunner,
    money::{Payments, SANDBOX_MCHID},
    seed,
};
use linli_domain::time::SystemClock;
use linli_pay::{Keys, Sandbox, SandboxConfig};
use linli_store::{Backend, Store, sql};
use linli_web::{AppState, WebConfig};

/// Linli (邻里): a local-services platform.
#[derive(Parser, Debug)]
#[command(name = "linli", version, about)]
struct Cli {
    /// Path of the config file (default: ./linli.toml if present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the web server and job runner (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Insert the demo data (categories, demo customers, demo operator) and exit.
    SeedDemo,
    /// Manage operator accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Validate the configuration and print it with secrets redacted.
    CheckConfig,
    /// Run the sandbox payment provider on its own (for `[pay] gateway_url`): a WeChat Pay
    /// v3-style API and a cashier page, signing with the keys in `--keys-dir`.
    SandboxPsp {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:9090")]
        listen: SocketAddr,
        /// Key directory, shared with the platform's `[pay] keys_dir` (created if missing).
        #[arg(long)]
        keys_dir: PathBuf,
        /// How browsers reach it (for cashier links); default `http://<listen>`.
        #[arg(long)]
        public_url: Option<String>,
        /// The one merchant it serves.
        #[arg(long, default_value = SANDBOX_MCHID)]
        mchid: String,
    },
}

/// Where dev mode serves the in-process sandbox payment provider.
const SANDBOX_PREFIX: &str = "/sandbox-psp";

#[derive(Subcommand, Debug)]
enum AdminCommand {
    /// Create (or promote) an operator account with the super-admin role.
    Create {
        /// Mobile number of the operator.
        #[arg(long)]
        phone: String,
        /// Password; a random one is generated and printed if omitted.
        #[arg(long, env = "LINLI_ADMIN_PASSWORD")]
        password: Option<String>,
    },
}

fn init_tracing(cfg: &Config) {
    let rust_log = std::env::var("RUST_LOG").ok();
    let default = format!("{},sqlx=warn", cfg.log_level);
    linli_web::telemetry::init(
        rust_log.as_deref(),
        &default,
        cfg.log_format == LogFormat::Json,
    );
}

async fn open_store(cfg: &Config) -> Result<sql::SqlStore> {
    let url = cfg.effective_database_url();
    if linli_store::sql::backend_of(&url)? == Backend::Sqlite {
        std::fs::create_dir_all(&cfg.data_dir)
            .with_context(|| format!("creating data dir {}", cfg.data_dir.display()))?;
    }
    let store = sql::connect(&url, cfg.db_max_connections)
        .await
        .with_context(|| format!("connecting to {}", config::redact_url(&url)))?;
    store.migrate().await.context("applying migrations")?;
    Ok(store)
}

/// The configured secret, or one generated once and kept in the database (shared by all nodes).
async fn secret_key(cfg: &Config, store: &dyn Store) -> Result<Secret> {
    if let Some(k) = &cfg.secret_key {
        return Ok(Secret::new(k.clone()));
    }
    let fresh = crypto::new_token()?;
    store.put_setting("secret_key", &fresh, true).await?;
    let stored = store
        .setting("secret_key")
        .await?
        .context("secret_key missing after insert")?;
    Ok(Secret::new(stored))
}

async fn build_app(cfg: &Config, with_search: bool) -> Result<App> {
    let store = open_store(cfg).await?;
    let secret = secret_key(cfg, &store).await?;
    let store: Arc<dyn Store> = Arc::new(store);
    let app = App::assemble(
        store,
        Arc::new(SystemClock),
        AppConfig::new(secret, cfg.mode == Mode::Dev),
        cfg.data_dir.join("files"),
    );
    // Dev mode runs on a clock `/api/v1/dev/clock` can move forward (deadlines without waiting).
    let app = if cfg.mode == Mode::Dev {
        app.with_dev_clock(Arc::new(linli_domain::time::OffsetClock::default()))
    } else {
        app
    };
    if !with_search {
        // One-shot commands leave the index to the server (it holds the directory lock and
        // catches up from the outbox).
        return Ok(app);
    }
    // The search index follows the database: embedded tantivy beside SQLite (one process), the
    // PostgreSQL index every node shares beside PostgreSQL.
    let analyzer = linli_search::Analyzer::new();
    let index: Arc<dyn linli_search::SearchIndex> = match app.store.backend() {
        Backend::Sqlite => Arc::new(
            linli_search::TantivyIndex::open_dir_with(cfg.data_dir.join("search"), analyzer)
                .context("opening the search index")?,
        ),
        Backend::Postgres => Arc::new(
            linli_search::PgIndex::connect(&cfg.effective_database_url(), analyzer)
                .await
                .context("opening the PostgreSQL search index")?,
        ),
    };
    Ok(app.with_search(index))
}

/// Reads (or creates) payment keys off the async threads (generating RSA keys takes a moment).
async fn load_keys(dir: PathBuf) -> Result<Keys> {
    let shown = dir.display().to_string();
    tokio::task::spawn_blocking(move || Keys::load_or_create(&dir))
        .await
        .context("loading payment keys")?
        .with_context(|| format!("payment keys in {shown}"))
}

/// The payment provider: the configured one, else (dev mode) a sandbox served by this process
/// under [`SANDBOX_PREFIX`], else none. `local_base` is how this process reaches itself.
async fn payments(
    cfg: &Config,
    app: &App,
    public_base: &str,
    local_base: &str,
) -> Result<(Option<Payments>, Option<Arc<Sandbox>>)> {
    if let Some(p) = &cfg.pay {
        let keys = load_keys(p.keys_dir.clone()).await?;
        let pay = Payments::over_http(&p.gateway_url, &keys, &p.mchid, public_base, None);
        return Ok((Some(pay), None));
    }
    if cfg.mode != Mode::Dev {
        return Ok((None, None));
    }
    let keys = load_keys(cfg.data_dir.join("pay-keys")).await?;
    let clock = app.clock.clone();
    let mut sc = SandboxConfig::new(
        SANDBOX_MCHID,
        keys.clone(),
        format!("{public_base}{SANDBOX_PREFIX}"),
    );
    // Success times and expiry follow the app's (movable) dev clock; notifications are still
    // signed with real time, which is what their freshness check reads.
    sc.clock = Some(Arc::new(move || clock.now().0));
    let sandbox = Sandbox::new(sc);
    let pay = Payments::over_http(
        &format!("{local_base}{SANDBOX_PREFIX}"),
        &keys,
        SANDBOX_MCHID,
        public_base,
        Some(sandbox.clone()),
    );
    Ok((Some(pay), Some(sandbox)))
}

fn banner(addr: SocketAddr, cfg: &Config, backend: Backend) {
    let host = if addr.ip().is_unspecified() {
        "127.0.0.1".to_owned()
    } else {
        addr.ip().to_string()
    };
    println!();
    println!("  邻里 Linli is running: http://{host}:{}", addr.port());
    println!(
        "  database: {}",
        match backend {
            Backend::Sqlite => format!("SQLite {}", cfg.data_dir.join("linli.db").display()),
            Backend::Postgres => "PostgreSQL".into(),
        }
    );
    if cfg.mode == Mode::Dev {
        println!("  demo logins (password {}):", seed::DEMO_PASSWORD);
        println!("    operator  {}  → /admin", seed::DEMO_ADMIN_PHONE);
        for (phone, name) in seed::DEMO_CUSTOMERS {
            println!("    customer  {phone}  ({name})");
        }
        println!(
            "    provider  {}  ({}, /pro)",
            seed::DEMO_PROVIDER_PHONE,
            seed::DEMO_PROVIDER_NAME
        );
        println!(
            "  SMS codes arrive at http://{host}:{}/dev/sms",
            addr.port()
        );
        println!("  API docs: http://{host}:{}/api/docs", addr.port());
        if cfg.pay.is_none() {
            println!(
                "  payments: sandbox cashier at {}{SANDBOX_PREFIX} (no real money)",
                cfg.public_base(addr)
            );
        }
    }
    println!();
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}

/// Feeds listing changes from the outbox into the search index, several times a second, so a
/// change is searchable well within a second.
async fn index_outbox(app: App, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        match app.index_pending().await {
            Ok(n) if n > 0 => tracing::debug!(events = n, "search index updated"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "search indexing failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(200)) => {}
            _ = stop.changed() => return,
        }
    }
}

async fn serve(cfg: Config) -> Result<()> {
    let addr = cfg.validate().map_err(anyhow::Error::msg)?;
    let app = build_app(&cfg, true).await?;
    if cfg.seed_demo && app.store.setting("demo_seeded").await?.is_none() {
        seed::seed_demo(&app).await?;
        tracing::info!("demo data seeded");
    }
    app.ensure_recurring_jobs().await?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    let bound = listener.local_addr()?;
    let public_base = cfg.public_base(bound);
    let local_base = Config::default().public_base(bound);
    let (pay, sandbox) = payments(&cfg, &app, &public_base, &local_base).await?;
    let app = match pay {
        Some(p) => app.with_payments(p),
        None => {
            tracing::info!("no payment provider configured: orders cannot be paid");
            app
        }
    };
    let state = AppState::new(
        app.clone(),
        WebConfig {
            secure_cookies: cfg.secure_cookies,
            dev_mode: cfg.mode == Mode::Dev,
            trust_proxy: cfg.trust_proxy,
        },
    );
    let mut router = linli_web::router(state);
    if let Some(sandbox) = sandbox {
        // Beside the web layer, not inside it: the sandbox is another party (its API is
        // signed, its cashier is not ours), so no session, CSRF or access checks apply.
        router = router.nest(SANDBOX_PREFIX, sandbox.router());
    }
    banner(bound, &cfg, app.store.backend());
    tracing::info!(%bound, "listening");

    if let Some(index) = app.search.as_ref()
        && index.count().await.unwrap_or(0) == 0
    {
        let n = app.reindex_all().await?;
        tracing::info!(listings = n, "search index rebuilt");
    }
    if app.search.is_some() {
        app.load_synonyms().await?;
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let indexer = tokio::spawn(index_outbox(app.clone(), stop_rx.clone()));
    let runner = tokio::spawn(
        JobRunner::new(app.clone()).run_until(Duration::from_millis(cfg.job_poll_ms), stop_rx),
    );
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("server error")?;
    let _ = stop_tx.send(true);
    let _ = runner.await;
    let _ = indexer.await;
    tracing::info!("stopped");
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let cfg = Config::load(cli.config.as_deref())
        .map_err(|e| anyhow::anyhow!("configuration error: {e}"))?;
    if !matches!(cli.command, Some(Command::CheckConfig)) {
        init_tracing(&cfg);
    }
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cfg).await,
        Command::Migrate => {
            open_store(&cfg).await?;
            println!(
                "migrations applied to {}",
                config::redact_url(&cfg.effective_database_url())
            );
            Ok(())
        }
        Command::SeedDemo => {
            let app = build_app(&cfg, false).await?;
            let fresh = seed::seed_demo(&app).await?;
            println!(
                "{}",
                if fresh {
                    "demo data seeded"
                } else {
                    "demo data was already there (categories refreshed)"
                }
            );
            Ok(())
        }
        Command::Admin {
            command: AdminCommand::Create { phone, password },
        } => {
            let app = build_app(&cfg, false).await?;
            let (password, generated) = match password {
                Some(p) => (p, false),
                None => (format!("Ll{}7", &crypto::new_token()?[..14]), true),
            };
            let id = app
                .bootstrap_admin(&phone, &password)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("operator account {id} has the super-admin role");
            if generated {
                println!("generated password (shown once): {password}");
            }
            Ok(())
        }
        Command::SandboxPsp {
            listen,
            keys_dir,
            public_url,
            mchid,
        } => {
            let public_url = public_url.unwrap_or_else(|| format!("http://{listen}"));
            println!("  sandbox payment provider: {public_url} (merchant {mchid})");
            linli_pay::sandbox::serve_standalone(listen, &keys_dir, mchid, public_url).await
        }
        Command::CheckConfig => match cfg.validate() {
            Ok(_) => {
                println!("{cfg:#?}");
                println!("configuration OK");
                Ok(())
            }
            Err(e) => {
                eprintln!("configuration error: {e}");
                std::process::exit(2);
            }
        },
    }
}
