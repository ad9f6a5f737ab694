//! The HTTP sides, each served by `axum::serve` on its own `127.0.0.1:0` port inside this
//! process: the anchor is a bare axum router with one handler, the subject is the full Linli
//! router built exactly as the `linli` binary builds it ([`serve_full`], which the search
//! section also uses over its own app with a search index).

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use anyhow::{Context, Result};
use axum::{Router, routing::get};
use linli_app::{App, AppConfig, Secret};
use linli_domain::time::SystemClock;
use linli_store::Store;
use linli_testkit::{Backend, TestDb};
use linli_web::{AppState, WebConfig};
use tokio::net::TcpListener;

/// The full stack's server and what must outlive it.
pub struct FullStack {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The fresh SQLite database behind it, held so it lives as long as the server (its file
    /// is removed on drop).
    _db: TestDb,
    /// The (normally untouched) upload directory, removed by [`FullStack::cleanup`].
    files_dir: PathBuf,
}

impl FullStack {
    /// Removes the upload directory if anything created it.
    pub fn cleanup(&self) {
        let _ = std::fs::remove_dir_all(&self.files_dir);
    }
}

async fn loopback() -> Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .context("binding 127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}

/// Serves `GET /healthz → "ok"` with nothing else: the anchor.
pub async fn spawn_bare() -> Result<SocketAddr> {
    let (listener, addr) = loopback().await?;
    let router = Router::new().route("/healthz", get(|| async { "ok" }));
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            eprintln!("bare server stopped: {e}");
        }
    });
    Ok(addr)
}

/// Serves the bare router wrapped only in Linli's outer layer (`linli_web::security::apply`:
/// request id, panic catcher, security headers): the breakdown side that splits
/// the full stack's cost into those layers and the inner, state-carrying ones.
pub async fn spawn_outer_layers() -> Result<SocketAddr> {
    let (listener, addr) = loopback().await?;
    let router =
        linli_web::security::apply(Router::new().route("/healthz", get(|| async { "ok" })));
    tokio::spawn(async move {
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        if let Err(e) = axum::serve(listener, service).await {
            eprintln!("outer-layers server stopped: {e}");
        }
    });
    Ok(addr)
}

/// The app the `linli` binary assembles around `store` (system clock, production config),
/// with uploads under `files_dir`.
pub fn assemble_app(store: Arc<dyn Store>, files_dir: PathBuf) -> App {
    App::assemble(
        store,
        Arc::new(SystemClock),
        AppConfig::new(Secret::new("bench-secret-bench-secret-bench-secret"), false),
        files_dir,
    )
}

/// A fresh upload directory name for this process (`tag` tells the sections apart).
pub fn files_dir(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!("linli-bench-{tag}-{}", std::process::id()))
}

/// Serves the full Linli router over `app` on `127.0.0.1:0`, with connect info as the `linli`
/// binary serves it.
pub async fn serve_full(app: App) -> Result<SocketAddr> {
    // Production settings for a direct (no proxy), plain-HTTP deployment.
    let state = AppState::new(
        app,
        WebConfig {
            secure_cookies: false,
            dev_mode: false,
            trust_proxy: false,
        },
    );
    let router = linli_web::router(state);
    let (listener, addr) = loopback().await?;
    tokio::spawn(async move {
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        if let Err(e) = axum::serve(listener, service).await {
            eprintln!("full-stack server stopped: {e}");
        }
    });
    Ok(addr)
}

/// Serves the full Linli router (every middleware layer) over a fresh migrated SQLite store:
/// the subject.
pub async fn spawn_full() -> Result<FullStack> {
    let db = linli_testkit::fresh_db(Backend::Sqlite)
        .await
        .context("SQLite test database unavailable")?;
    let files_dir = files_dir("files");
    let store: Arc<dyn Store> = Arc::new(db.store.clone());
    let addr = serve_full(assemble_app(store, files_dir.clone())).await?;
    Ok(FullStack {
        addr,
        _db: db,
        files_dir,
    })
}
