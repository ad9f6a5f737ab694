//! The one load generator the HTTP sides are measured with: `C` keep-alive TCP connections,
//! each sending sequential `GET` requests through a minimal hand-written HTTP/1.1 client, so the
//! client's own cost is small and identical for anchor and subject. [`Conn`] is also used on
//! its own by the search section, for arbitrary paths and bodies of any length.
//!
//! Anything but `200` with the expected body is a hard error: a benchmark that quietly counts
//! 404 pages or 429s as successes measures the wrong thing.

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail, ensure};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    task::JoinSet,
};

use crate::stats::RunStats;

/// What to send and what must come back.
#[derive(Debug, Clone)]
pub struct Target {
    /// Where the server listens.
    pub addr: SocketAddr,
    /// Request path, e.g. `/healthz`.
    pub path: &'static str,
    /// The exact body a correct answer carries.
    pub expect_body: &'static [u8],
}

/// How much load one run applies.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    /// Concurrent keep-alive connections.
    pub connections: usize,
    /// Requests per connection (sequential on that connection).
    pub requests_per_connection: usize,
    /// Upper bound on one run's wall time; exceeding it is an error, not a slow result.
    pub timeout: Duration,
}

impl Load {
    /// Total requests of one run.
    pub fn total(&self) -> usize {
        self.connections * self.requests_per_connection
    }
}

/// The bytes of `GET path` to `addr` (keep-alive, no body). `path` must already be
/// percent-encoded.
pub fn get_request(addr: SocketAddr, path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: linli-bench\r\n\r\n").into_bytes()
}

fn request_bytes(target: &Target) -> Vec<u8> {
    get_request(target.addr, target.path)
}

/// Errors unless `body` is exactly `expect`.
fn check_body(body: &[u8], expect: &[u8]) -> Result<()> {
    ensure!(
        body == expect,
        "unexpected body {:?}",
        String::from_utf8_lossy(body)
    );
    Ok(())
}

/// The names of the response headers of one request to `target` (lowercase, in order), to
/// show which side runs which layers.
pub async fn header_names(target: &Target) -> Result<Vec<String>> {
    let mut conn = Conn::open(target.addr).await?;
    check_body(conn.get(&request_bytes(target)).await?, target.expect_body)?;
    let head = std::str::from_utf8(conn.head())?;
    Ok(head
        .split("\r\n")
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(name, _)| name.trim().to_ascii_lowercase())
        .collect())
}

/// Opens the connections (untimed), then times `load.total()` requests across them.
pub async fn run(target: &Target, load: Load) -> Result<RunStats> {
    let request = request_bytes(target);
    let mut conns = Vec::with_capacity(load.connections);
    for _ in 0..load.connections {
        conns.push(Conn::open(target.addr).await?);
    }

    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for mut conn in conns {
        let request = request.clone();
        let expect = target.expect_body;
        let n = load.requests_per_connection;
        tasks.spawn(async move {
            let mut latencies = Vec::with_capacity(n);
            for _ in 0..n {
                let t = Instant::now();
                check_body(conn.get(&request).await?, expect)?;
                latencies.push(t.elapsed());
            }
            anyhow::Ok(latencies)
        });
    }
    let latencies = tokio::time::timeout(load.timeout, async {
        let mut all = Vec::with_capacity(load.total());
        while let Some(joined) = tasks.join_next().await {
            all.extend(joined.context("load task panicked")??);
        }
        anyhow::Ok(all)
    })
    .await
    .with_context(|| {
        format!(
            "run against {} exceeded {:?}; lower BENCH_REQUESTS",
            target.addr, load.timeout
        )
    })??;
    let elapsed = started.elapsed();
    Ok(RunStats::from_latencies(load.total(), elapsed, latencies))
}

/// One keep-alive connection with its read buffer.
pub struct Conn {
    stream: TcpStream,
    /// The last response: head, then body.
    buf: Vec<u8>,
    /// Length of the last response's head in `buf`.
    head_end: usize,
}

impl Conn {
    /// Connects (with Nagle off, as a browser does).
    pub async fn open(addr: SocketAddr) -> Result<Self> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: Vec::with_capacity(4096),
            head_end: 0,
        })
    }

    /// Sends one request and reads its whole response; errors unless it is `200` with a
    /// `content-length`. Returns the body, however long.
    pub async fn get(&mut self, request: &[u8]) -> Result<&[u8]> {
        self.send(request, 200).await
    }

    /// [`Conn::get`] for any request expecting `status` (e.g. `201` for a `POST`).
    pub async fn send(&mut self, request: &[u8], status: u16) -> Result<&[u8]> {
        self.stream.write_all(request).await?;
        self.buf.clear();
        let mut scanned: usize = 0;
        let head_end = loop {
            // Only the new bytes (and the three before them) can complete the blank line.
            if let Some(i) = find(&self.buf[scanned.saturating_sub(3)..], b"\r\n\r\n") {
                break scanned.saturating_sub(3) + i + 4;
            }
            scanned = self.buf.len();
            self.fill().await?;
        };
        self.head_end = head_end;
        let head = parse_head(&self.buf[..head_end])?;

        // Every endpoint measured here answers with a sized body; chunked is worth noticing.
        ensure!(!head.chunked, "unexpected transfer-encoding");
        let length = head
            .content_length
            .context("response has no content-length")?;
        while self.buf.len() < head_end + length {
            self.fill().await?;
        }
        ensure!(
            head.status == status,
            "expected {status}, got {}: {} {}",
            head.status,
            String::from_utf8_lossy(&self.buf[..head_end]).trim_end(),
            String::from_utf8_lossy(&self.buf[head_end..]).trim_end()
        );
        // Requests are not pipelined, so nothing may follow the body.
        ensure!(
            self.buf.len() == head_end + length,
            "{} bytes after the body",
            self.buf.len() - head_end - length
        );
        Ok(&self.buf[head_end..])
    }

    /// The head (status line and headers) of the last response.
    pub fn head(&self) -> &[u8] {
        &self.buf[..self.head_end]
    }

    /// Appends whatever the socket has; a closed connection is an error.
    async fn fill(&mut self) -> Result<()> {
        // Large answers (a page of search hits is tens of kilobytes) arrive in few reads.
        self.buf.reserve(16 * 1024);
        let n = self.stream.read_buf(&mut self.buf).await?;
        ensure!(n > 0, "server closed the connection mid-response");
        Ok(())
    }
}

/// The parts of a response head the client needs.
#[derive(Debug, PartialEq, Eq)]
struct Head {
    status: u16,
    content_length: Option<usize>,
    chunked: bool,
}

/// Parses `HTTP/1.1 NNN …`, the `content-length` header and whether a transfer coding is used.
fn parse_head(head: &[u8]) -> Result<Head> {
    let text = std::str::from_utf8(head).context("response head is not UTF-8")?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse::<u16>().ok())
        .with_context(|| format!("bad status line {status_line:?}"))?;
    let mut content_length = None;
    let mut chunked = false;
    for line in lines.filter(|l| !l.is_empty()) {
        let Some((name, value)) = line.split_once(':') else {
            bail!("bad header line {line:?}");
        };
        if name.eq_ignore_ascii_case("content-length") {
            content_length = Some(value.trim().parse::<usize>()?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = true;
        }
    }
    Ok(Head {
        status,
        content_length,
        chunked,
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_yields_status_and_length_whatever_the_header_case() {
        let h = parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nx-a: b\r\n\r\n");
        assert_eq!(
            h.ok(),
            Some(Head {
                status: 200,
                content_length: Some(2),
                chunked: false,
            })
        );
    }

    #[test]
    fn garbled_heads_are_refused() {
        assert!(parse_head(b"garbage\r\n\r\n").is_err());
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nno-colon\r\n\r\n").is_err());
    }
}
