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

/// A payment provider (WeChat Pay v3 style): where it is, our merchant id there, and the
/// directory of our keys (`merchant_private.pem`, the provider's key, `api_v3_key`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PayConfig {
    /// Base URL of the provider's API, e.g. `http://127.0.0.1:9090` for `linli sandbox-psp`.
    pub gateway_url: String,
    /// Our merchant id at the provider.
    #[serde(deserialize_with = "text_or_number")]
    pub mchid: String,
    /// Directory of the key files (shared with `linli sandbox-psp --keys-dir`).
    pub keys_dir: PathBuf,
}

/// Text, or digits that the environment provider read as a number (`LINLI_PAY__MCHID=1900000109`).
fn text_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Text(String),
        Number(u64),
    }
    Ok(match Id::deserialize(d)? {
        Id::Text(s) => s,
        Id::Number(n) => n.to_string(),
    })
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
    /// How browsers and the payment provider reach this server (`https://linli.example.com`);
    /// derived from `listen` when unset.
    pub public_url: Option<String>,
    /// The payment provider. Unset: dev mode pays at a sandbox served in-process under
    /// `/sandbox-psp`; prod mode takes no payments.
    pub pay: Option<PayConfig>,
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
            public_url: None,
            pay: None,
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
            .field("public_url", &self.public_url)
            .field("pay", &self.pay)
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
            // `LINLI_PAY__GATEWAY_URL` sets `pay.gateway_url`.
            .merge(Env::prefixed("LINLI_").split("__"));
        if let Ok(url) = std::env::var("DATABASE_URL")
            && !url.is_empty()
        {
            fig = fig.merge(Serialized::default("database_url", url));
        }
        let cfg: Config = fig.extract().map_err(Box::new)?;
        Ok(cfg)
    }

    /// The URL browsers and the payment provider reach this server at, without a trailing
    /// slash: `public_url`, else `http://` + the bound address (`0.0.0.0` read as 127.0.0.1).
    pub fn public_base(&self, bound: SocketAddr) -> String {
        match self.public_url.as_deref().filter(|u| !u.is_empty()) {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None => {
                let host = if bound.ip().is_unspecified() {
                    "127.0.0.1".to_owned()
                } else {
                    match bound {
                        SocketAddr::V4(a) => a.ip().to_string(),
                        SocketAddr::V6(a) => format!("[{}]", a.ip()),
                    }
                };
                format!("http://{host}:{}", bound.port())
            }
        }
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
        let is_url = |u: &str| u.starts_with("http://") || u.starts_with("https://");
        if let Some(u) = &self.public_url
            && !is_url(u)
        {
            return Err(format!(
                "public_url: '{u}' is not a URL like https://linli.example.com"
            ));
        }
        if let Some(p) = &self.pay {
            if !is_url(&p.gateway_url) {
                return Err(format!("pay.gateway_url: '{}' is not a URL", p.gateway_url));
            }
            if p.mchid.trim().is_empty() {
                return Err("pay.mchid must not be empty".into());
            }
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
        let cfg = Config {
            public_url: Some("linli.example.com".into()),
            ..Config::default()
        };
        assert!(cfg.validate().unwrap_err().contains("public_url"));
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail fixes the closure's error type
    fn the_payment_provider_is_configured_by_file_or_nested_environment_names() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "linli.toml",
                "[pay]\ngateway_url = \"http://127.0.0.1:9090\"\nmchid = \"1900000109\"\nkeys_dir = \"keys\"\n",
            )?;
            jail.set_env("LINLI_PAY__MCHID", "1900000200");
            jail.set_env("LINLI_PUBLIC_URL", "https://linli.example.com/");
            let cfg = Config::load(None).map_err(|e| e.to_string())?;
            let pay = cfg.pay.clone().expect("pay configured");
            assert_eq!(pay.gateway_url, "http://127.0.0.1:9090");
            assert_eq!(pay.mchid, "1900000200", "env beats file");
            let bound: SocketAddr = "0.0.0.0:8080".parse().expect("address");
            assert_eq!(cfg.public_base(bound), "https://linli.example.com");
            Ok(())
        });
        let bound: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert_eq!(
            Config::default().public_base(bound),
            "http://127.0.0.1:8080"
        );
    }
}
