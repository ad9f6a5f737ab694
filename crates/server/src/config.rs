//! The one typed configuration tree: defaults in code, then an optional `linli.toml`, then
//! `LINLI_*` environment variables (and the conventional `DATABASE_URL`). Secrets are redacted
//! from `Debug`, so printing the config never leaks them.

use std::{net::SocketAddr, path::PathBuf};

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Serialize};

/// Whether developer conveniences are on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Developer inbox for SMS, demo data: the embedded default.
    Dev,
    /// Production: no developer pages.
    Prod,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Linli's configuration.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// Directory for the SQLite file and uploads (embedded mode).
    pub data_dir: PathBuf,
    /// `postgres://…` for server mode; empty means the embedded SQLite file in `data_dir`.
    pub database_url: Option<String>,
    /// `dev` or `prod`.
    pub mode: Mode,
    /// Key for SMS code MACs and CSRF tokens; generated and stored in the database if unset.
    pub secret_key: Option<String>,
    /// Mark cookies `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
    /// Trust `X-Forwarded-For` for the client IP (only behind your own proxy).
    pub trust_proxy: bool,
    /// Seed demo data on first start.
    pub seed_demo: bool,
    /// Connections in the database pool.
    pub db_max_connections: u32,
    /// How often the job runner looks for due jobs, in milliseconds.
    pub job_poll_ms: u64,
    /// `text` or `json`.
    pub log_format: LogFormat,
    /// Default log filter (overridden by `RUST_LOG`).
    pub log_level: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            mode: Mode::Dev,
            secret_key: None,
            secure_cookies: false,
            trust_proxy: false,
            seed_demo: true,
            db_max_connections: 8,
            job_poll_ms: 1000,
            log_format: LogFormat::Text,
            log_level: "info".into(),
        }
    }
}

/// Hides the password part of a database URL.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_url),
            )
            .field("mode", &self.mode)
            .field("secret_key", &self.secret_key.as_ref().map(|_| "***"))
            .field("secure_cookies", &self.secure_cookies)
            .field("trust_proxy", &self.trust_proxy)
            .field("seed_demo", &self.seed_demo)
            .field("db_max_connections", &self.db_max_connections)
            .field("job_poll_ms", &self.job_poll_ms)
            .field("log_format", &self.log_format)
            .field("log_level", &self.log_level)
            .finish()
    }
}

impl Config {
    /// Loads defaults → `linli.toml` (or `path`) → environment.
    pub fn load(path: Option<&std::path::Path>) -> Result<Self, Box<figment::Error>> {
        let file = path
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("linli.toml"));
        let mut fig = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(file))
            .merge(Env::prefixed("LINLI_"));
        if let Ok(url) = std::env::var("DATABASE_URL")
            && !url.is_empty()
        {
            fig = fig.merge(Serialized::default("database_url", url));
        }
        let cfg: Config = fig.extract().map_err(Box::new)?;
        Ok(cfg)
    }

    /// The database URL to use (PostgreSQL if configured, else the SQLite file).
    pub fn effective_database_url(&self) -> String {
        match self.database_url.as_deref().filter(|u| !u.is_empty()) {
            Some(u) => u.to_owned(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("linli.db").display()
            ),
        }
    }

    /// Checks values that can be checked without connecting.
    pub fn validate(&self) -> Result<SocketAddr, String> {
        let addr: SocketAddr = self.listen.parse().map_err(|_| {
            format!(
                "listen: '{}' is not an address like 127.0.0.1:8080",
                self.listen
            )
        })?;
        let url = self.effective_database_url();
        linli_store::sql::backend_of(&url).map_err(|e| format!("database_url: {e}"))?;
        if self.db_max_connections == 0 {
            return Err("db_max_connections must be at least 1".into());
        }
        if let Some(k) = &self.secret_key
            && k.len() < 32
        {
            return Err("secret_key must be at least 32 characters".into());
        }
        Ok(addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_secrets() {
        let cfg = Config {
            database_url: Some("postgres://linli:hunter2@db:5432/linli".into()),
            secret_key: Some("k".repeat(40)),
            ..Config::default()
        };
        let text = format!("{cfg:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!text.contains(&"k".repeat(40)), "{text}");
        assert!(
            text.contains("postgres://linli:***@db:5432/linli"),
            "{text}"
        );
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail fixes the closure's error type
    fn file_then_environment_override_defaults() {
        let dir = std::env::temp_dir().join(format!("linli-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("linli.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:9000\"\nmode = \"prod\"\n").unwrap();
        figment::Jail::expect_with(|jail| {
            jail.set_env("LINLI_LISTEN", "127.0.0.1:9100");
            let cfg = Config::load(Some(&file)).map_err(|e| e.to_string())?;
            assert_eq!(cfg.listen, "127.0.0.1:9100", "env beats file");
            assert_eq!(cfg.mode, Mode::Prod, "file beats defaults");
            assert_eq!(cfg.job_poll_ms, 1000, "defaults fill the rest");
            Ok(())
        });
    }

    #[test]
    fn invalid_values_are_reported() {
        let cfg = Config {
            listen: "nope".into(),
            ..Config::default()
        };
        assert!(cfg.validate().unwrap_err().contains("listen"));
        let cfg = Config {
            database_url: Some("mysql://x".into()),
            ..Config::default()
        };
        assert!(cfg.validate().unwrap_err().contains("database_url"));
        assert!(Config::default().validate().is_ok());
    }
}
