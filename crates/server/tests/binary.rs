//! The real `linli` binary: subcommands, the embedded default (SQLite file, demo data, data kept
//! across restarts) and server mode on PostgreSQL through `DATABASE_URL`, over real sockets.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

use linli_app::seed;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_linli");

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("linli-bin-{tag}-{}", linli_domain_free_id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn linli_domain_free_id() -> String {
    format!(
        "{}-{:?}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn linli(data_dir: &Path, port: u16) -> Command {
    let mut c = Command::new(BIN);
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LINLI_DATA_DIR", data_dir)
        .env("LINLI_LISTEN", format!("127.0.0.1:{port}"))
        .env("LINLI_LOG_LEVEL", "warn")
        .current_dir(data_dir);
    c
}

struct Server {
    child: Child,
    port: u16,
}

impl Server {
    /// Starts `serve` and returns once the startup banner says it is listening.
    fn start(cmd: &mut Command, port: u16) -> Self {
        let mut child = cmd
            .arg("serve")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        loop {
            match lines.next() {
                Some(Ok(line)) if line.contains("is running: http://127.0.0.1:") => break,
                Some(Ok(_)) => {}
                other => panic!("server exited before listening: {other:?}"),
            }
        }
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Self { child, port }
    }

    fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, String) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let auth = token
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        // Bytes, not text: a photo's body is not UTF-8 (only its status matters then).
        let mut bytes = Vec::new();
        s.read_to_end(&mut bytes).unwrap();
        let raw = String::from_utf8_lossy(&bytes);
        let status = raw.split(' ').nth(1).unwrap().parse().unwrap();
        let body = raw
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        (status, body)
    }

    fn json(&self, method: &str, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        let (status, text) = self.request(method, path, token, Some(body));
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn check_config_prints_the_config_without_secrets_and_rejects_bad_values() {
    let dir = temp_dir("cfg");
    let out = linli(&dir, 8080)
        .env(
            "DATABASE_URL",
            "postgres://linli:hunter2@127.0.0.1:5432/linli",
        )
        .env("LINLI_SECRET_KEY", "s3cret-s3cret-s3cret-s3cret-s3cret-xyz")
        .arg("check-config")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("configuration OK") && text.contains("linli:***@"),
        "{text}"
    );
    assert!(
        !text.contains("hunter2") && !text.contains("s3cret"),
        "{text}"
    );

    let bad = linli(&dir, 8080)
        .env("LINLI_LISTEN", "not-an-address")
        .arg("check-config")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("listen"));
    let unknown = linli(&dir, 8080)
        .env("LINLI_NO_SUCH_KEY", "1")
        .arg("check-config")
        .output()
        .unwrap();
    assert!(
        !unknown.status.success(),
        "unknown LINLI_ settings are an error, not silently ignored"
    );
}

#[test]
fn the_embedded_default_seeds_once_and_keeps_data_across_restarts() {
    let dir = temp_dir("serve");
    let port = free_port();
    let first = Server::start(&mut linli(&dir, port), port);
    assert_eq!(
        first.request("GET", "/healthz", None, None),
        (200, "ok".into())
    );
    assert!(
        dir.join("linli.db").exists(),
        "SQLite file under the data dir"
    );
    let (status, body) = first.json(
        "POST",
        "/api/v1/auth/register",
        None,
        json!({"phone": "13711110001", "password": "secret123"}),
    );
    assert_eq!(status, 201, "{body}");
    let (status, cats) = first.json("GET", "/api/v1/categories", None, Value::Null);
    assert_eq!(status, 200);
    assert!(
        cats.as_array()
            .unwrap()
            .iter()
            .filter(|c| c["parent_id"].is_null())
            .count()
            >= 10,
        "ten top-level categories"
    );
    drop(first);

    assert!(
        dir.join("linli.db-wal").exists(),
        "the database runs in WAL mode"
    );
    let second = Server::start(&mut linli(&dir, port), port);
    let (status, _) = second.json(
        "POST",
        "/api/v1/auth/login",
        None,
        json!({"phone": "13711110001", "password": "secret123"}),
    );
    assert_eq!(status, 200, "the account survived the restart");
    let (status, admin) = second.json(
        "POST",
        "/api/v1/auth/login",
        None,
        json!({"phone": seed::DEMO_ADMIN_PHONE, "password": seed::DEMO_PASSWORD}),
    );
    assert_eq!(status, 200, "demo operator seeded");
    let token = admin["access_token"].as_str().unwrap();
    let (_, users) = second.json("GET", "/api/v1/admin/users", Some(token), Value::Null);
    assert_eq!(
        users["total"],
        seed::DEMO_ACCOUNT_COUNT + 1,
        "demo data was seeded once: operator, customers and providers, plus the new account"
    );
    let (_, providers) = second.json(
        "GET",
        "/api/v1/admin/providers?status=approved",
        Some(token),
        Value::Null,
    );
    assert_eq!(providers["total"], seed::DEMO_PROVIDER_COUNT);
    let (_, listings) = second.json(
        "GET",
        "/api/v1/admin/listings?status=published",
        Some(token),
        Value::Null,
    );
    assert_eq!(listings["total"], seed::DEMO_LISTING_COUNT);

    // A seeded listing is public, with its photo, and so is its provider.
    let id = listings["items"][0]["id"].as_str().unwrap();
    let (status, listing) =
        second.json("GET", &format!("/api/v1/listings/{id}"), None, Value::Null);
    assert_eq!(status, 200, "{listing}");
    let photo = listing["photos"][0]["thumb_url"].as_str().unwrap();
    assert_eq!(second.request("GET", photo, None, None).0, 200, "{photo}");
    let provider = listing["provider_id"].as_str().unwrap();
    let (status, profile) = second.json(
        "GET",
        &format!("/api/v1/providers/{provider}"),
        None,
        Value::Null,
    );
    assert_eq!(status, 200, "{profile}");

    // The demo provider login works.
    let (status, login) = second.json(
        "POST",
        "/api/v1/auth/login",
        None,
        json!({"phone": seed::DEMO_PROVIDER_PHONE, "password": seed::DEMO_PASSWORD}),
    );
    assert_eq!(status, 200, "{login}");
    let (status, mine) = second.json(
        "GET",
        "/api/v1/provider/application",
        login["access_token"].as_str(),
        Value::Null,
    );
    assert_eq!(status, 200, "{mine}");
    assert_eq!(
        (mine["display_name"].as_str(), mine["status"].as_str()),
        (Some(seed::DEMO_PROVIDER_NAME), Some("approved"))
    );
    let (status, ready) = second.json("GET", "/readyz", None, Value::Null);
    assert_eq!((status, ready["status"].as_str()), (200, Some("ready")));
}

#[test]
fn migrate_seed_demo_and_admin_create_work_from_the_command_line() {
    let dir = temp_dir("cli");
    let port = free_port();
    assert!(linli(&dir, port).arg("migrate").status().unwrap().success());
    let seeded = linli(&dir, port).arg("seed-demo").output().unwrap();
    assert!(String::from_utf8_lossy(&seeded.stdout).contains("demo data seeded"));
    let again = linli(&dir, port).arg("seed-demo").output().unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("already"));
    let created = linli(&dir, port)
        .args(["admin", "create", "--phone", "137 0000 0001"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&created.stdout).into_owned();
    assert!(created.status.success(), "{text}");
    let password = text
        .lines()
        .find_map(|l| l.strip_prefix("generated password (shown once): "))
        .unwrap()
        .to_owned();
    let bad = linli(&dir, port)
        .args(["admin", "create", "--phone", "12345"])
        .output()
        .unwrap();
    assert!(!bad.status.success(), "a malformed phone is refused");

    let server = Server::start(linli(&dir, port).env("LINLI_SEED_DEMO", "false"), port);
    let (status, login) = server.json(
        "POST",
        "/api/v1/auth/login",
        None,
        json!({"phone": "13700000001", "password": password}),
    );
    assert_eq!(status, 200, "{login}");
    let (status, _) = server.json(
        "GET",
        "/api/v1/admin/roles",
        login["access_token"].as_str(),
        Value::Null,
    );
    assert_eq!(
        status, 200,
        "the created operator holds the super-admin role"
    );
}

#[tokio::test]
async fn the_same_binary_runs_on_postgresql_with_database_url() {
    let Some((url, _)) = linli_testkit::fresh_database_url(linli_testkit::Backend::Postgres).await
    else {
        eprintln!("TEST_DATABASE_URL not set: PostgreSQL variant skipped");
        return;
    };
    let dir = temp_dir("pg");
    let port = free_port();
    let server = tokio::task::spawn_blocking(move || {
        let server = Server::start(linli(&dir, port).env("DATABASE_URL", &url), port);
        let (status, ready) = server.json("GET", "/readyz", None, Value::Null);
        assert_eq!((status, ready["status"].as_str()), (200, Some("ready")));
        let (status, body) = server.json(
            "POST",
            "/api/v1/auth/register",
            None,
            json!({"phone": "13711110002", "password": "secret123"}),
        );
        assert_eq!(status, 201, "{body}");
        let (status, _) = server.json(
            "POST",
            "/api/v1/auth/login",
            None,
            json!({"phone": "13800000000", "password": "Linli2026"}),
        );
        assert_eq!(status, 200, "demo data seeded on PostgreSQL too");
        assert!(
            !dir.join("linli.db").exists() && !dir.join("data").exists(),
            "no SQLite file in server mode"
        );
    });
    server.await.unwrap();
}

/// Two `linli serve` processes on one PostgreSQL database: 64 concurrent orders for one slot,
/// split across both, give exactly one 201 and 63 × 409 in each of 50 rounds.
#[tokio::test]
async fn two_processes_on_one_postgresql_never_double_book() {
    let Some((url, _)) = linli_testkit::fresh_database_url(linli_testkit::Backend::Postgres).await
    else {
        eprintln!("TEST_DATABASE_URL not set: PostgreSQL variant skipped");
        return;
    };
    tokio::task::spawn_blocking(move || {
        let (dir_a, dir_b) = (temp_dir("pg-a"), temp_dir("pg-b"));
        let (port_a, port_b) = (free_port(), free_port());
        let a = Server::start(linli(&dir_a, port_a).env("DATABASE_URL", &url), port_a);
        let b = Server::start(linli(&dir_b, port_b).env("DATABASE_URL", &url), port_b);
        let login = |phone: &str| {
            let (status, body) = a.json(
                "POST",
                "/api/v1/auth/login",
                None,
                json!({"phone": phone, "password": "Linli2026"}),
            );
            assert_eq!(status, 200, "{body}");
            body["access_token"].as_str().unwrap().to_owned()
        };
        let customer = login("13900000001");
        let provider = login("13600000001");
        let (status, body) = a.json(
            "PUT",
            "/api/v1/provider/schedule",
            Some(&provider),
            json!({"weekly": ["08:00-22:00","08:00-22:00","08:00-22:00","08:00-22:00","08:00-22:00","08:00-22:00",""],
                   "exceptions": "", "capacity": 1, "min_notice_min": 120, "horizon_days": 14, "buffer_min": 0}),
        );
        assert_eq!(status, 200, "{body}");
        let (_, listings) = a.json("GET", "/api/v1/provider/listings", Some(&provider), Value::Null);
        let minutes = |l: &Value| {
            if l["unit"] == "hour" {
                l["min_units"].as_i64().unwrap_or(1) * 60
            } else {
                l["minutes"].as_i64().unwrap_or(60)
            }
        };
        let listing = listings
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["status"] == "published")
            .min_by_key(|l| minutes(l))
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        // 黄浦区 is one of the demo provider's districts.
        let (status, address) = a.json(
            "POST",
            "/api/v1/me/addresses",
            Some(&customer),
            json!({"district_code": "310101", "detail": "南京东路 1 号", "contact_name": "王", "contact_phone": "13912345678"}),
        );
        assert_eq!(status, 201, "{address}");
        let address = address["id"].as_str().unwrap().to_owned();
        use linli_domain::time::{Clock, Day, SystemClock};
        let mut day = Day::of(SystemClock.now()).plus_days(2);
        while day.weekday_index() == 6 {
            day = day.plus_days(1);
        }
        let order = json!({"listing": listing, "address": address, "date": day.to_string(), "time": "09:00"});
        let servers = [&a, &b];
        for round in 0..50 {
            let results: Vec<(u16, Value)> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..64)
                    .map(|i| {
                        let (server, customer, order) = (servers[i % 2], &customer, &order);
                        s.spawn(move || server.json("POST", "/api/v1/orders", Some(customer), order.clone()))
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            let created: Vec<&Value> = results.iter().filter(|(s, _)| *s == 201).map(|(_, b)| b).collect();
            let conflicts = results
                .iter()
                .filter(|(s, b)| *s == 409 && b["code"] == "slot_taken")
                .count();
            assert_eq!((created.len(), conflicts), (1, 63), "round {round}: {results:?}");
            let id = created[0]["id"].as_str().unwrap();
            let (status, body) = b.json(
                "POST",
                &format!("/api/v1/orders/{id}/cancel"),
                Some(&customer),
                json!({}),
            );
            assert_eq!(status, 200, "{body}");
        }
    })
    .await
    .unwrap();
}
