//! One timed run of one search side: `W` concurrent workers, each issuing up to `N`
//! operations one after another, cycling through the query mix from its own starting point,
//! and stopping early once the run's time budget is spent (a slow side yields fewer samples,
//! not a longer bench). Every operation's latency is kept with its query, so the report can
//! show the whole mix and each query.
//!
//! Every answer is checked: the engine's total, or the endpoint's status and the start of
//! its JSON (`{"total":N,`); a wrong answer fails the bench instead of counting as fast.

use std::{
    future::Future,
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, ensure};
use linli_app::{Actor, App};
use linli_search::{SearchIndex, TantivyIndex};
use tokio::task::JoinSet;

use super::queries::Query;
use crate::{load::Conn, stats::RunStats};

/// How much one run does.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Concurrent workers (connections, for the endpoint).
    pub workers: usize,
    /// Most operations per worker.
    pub per_worker: usize,
    /// Workers start no new operation after this long.
    pub budget: Duration,
    /// A run still going after this long is an error (a hang, not a slow figure).
    pub timeout: Duration,
}

/// One run's result: the whole mix, and the latencies of each query.
pub struct Outcome {
    /// Over every operation of the run.
    pub stats: RunStats,
    /// Latencies by query (index into the mix).
    pub by_query: Vec<Vec<Duration>>,
}

/// What each query must answer: the total, and the endpoint's body prefix.
#[derive(Debug, Clone)]
pub struct Expected {
    /// `SearchResults::total` per query.
    pub totals: Vec<u64>,
    /// `{"total":N,` per query: `SearchPage` serialises `total` first.
    pub prefixes: Vec<Vec<u8>>,
}

impl Expected {
    /// Expectations from the engine's totals.
    pub fn from_totals(totals: Vec<u64>) -> Self {
        let prefixes = totals
            .iter()
            .map(|t| format!("{{\"total\":{t},").into_bytes())
            .collect();
        Self { totals, prefixes }
    }
}

/// The anchor: `TantivyIndex::search` called directly.
pub async fn raw(
    index: &Arc<TantivyIndex>,
    queries: &Arc<[Query]>,
    expected: &Arc<Expected>,
    plan: Plan,
) -> Result<Outcome> {
    let states = vec![Arc::clone(index); plan.workers];
    let (queries, expected) = (Arc::clone(queries), Arc::clone(expected));
    drive(states, queries.len(), plan, move |index, qi| {
        let (queries, expected) = (Arc::clone(&queries), Arc::clone(&expected));
        async move {
            let found = index.search(&queries[qi].raw).await?;
            ensure!(
                found.total == expected.totals[qi],
                "engine answered {} for {}",
                found.total,
                queries[qi].shown
            );
            Ok(index)
        }
    })
    .await
}

/// The breakdown side: `App::search` in process (engine, then each hit's listing loaded from
/// the store), without HTTP.
pub async fn app_search(
    app: &App,
    queries: &Arc<[Query]>,
    expected: &Arc<Expected>,
    plan: Plan,
) -> Result<Outcome> {
    let states = vec![app.clone(); plan.workers];
    let (queries, expected) = (Arc::clone(queries), Arc::clone(expected));
    drive(states, queries.len(), plan, move |app, qi| {
        let (queries, expected) = (Arc::clone(&queries), Arc::clone(&expected));
        async move {
            let page = app.search(&Actor::Guest, &queries[qi].form).await?;
            ensure!(
                page.total == expected.totals[qi],
                "App::search answered {} for {}",
                page.total,
                queries[qi].shown
            );
            Ok(app)
        }
    })
    .await
}

/// The subject: `GET /api/v1/search?…` over keep-alive connections to the full router
/// (connections are opened before the clock starts).
pub async fn endpoint(
    addr: SocketAddr,
    requests: &Arc<[Vec<u8>]>,
    expected: &Arc<Expected>,
    plan: Plan,
) -> Result<Outcome> {
    let mut conns = Vec::with_capacity(plan.workers);
    for _ in 0..plan.workers {
        conns.push(Conn::open(addr).await?);
    }
    let (requests, expected) = (Arc::clone(requests), Arc::clone(expected));
    drive(conns, requests.len(), plan, move |mut conn, qi| {
        let (requests, expected) = (Arc::clone(&requests), Arc::clone(&expected));
        async move {
            let body = conn.get(&requests[qi]).await?;
            ensure!(
                body.starts_with(&expected.prefixes[qi]),
                "endpoint answered {:?}… for query {}",
                String::from_utf8_lossy(&body[..body.len().min(40)]),
                qi + 1
            );
            Ok(conn)
        }
    })
    .await
}

/// Runs one worker per state; `op(state, query)` performs one timed operation and hands the
/// state back.
async fn drive<S, F, Fut>(states: Vec<S>, queries: usize, plan: Plan, op: F) -> Result<Outcome>
where
    S: Send + 'static,
    F: Fn(S, usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<S>> + Send,
{
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for (w, state) in states.into_iter().enumerate() {
        let op = op.clone();
        tasks.spawn(async move {
            let mut state = state;
            let mut samples = Vec::with_capacity(plan.per_worker);
            for k in 0..plan.per_worker {
                if k > 0 && started.elapsed() >= plan.budget {
                    break;
                }
                let qi = (w + k) % queries;
                let t = Instant::now();
                state = op(state, qi).await?;
                samples.push((qi, t.elapsed()));
            }
            anyhow::Ok(samples)
        });
    }
    let samples = tokio::time::timeout(plan.timeout, async {
        let mut all = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            all.extend(joined.context("search worker panicked")??);
        }
        anyhow::Ok(all)
    })
    .await
    .with_context(|| format!("a search run exceeded {:?}", plan.timeout))??;
    let elapsed = started.elapsed();
    let mut by_query = vec![Vec::new(); queries];
    for &(qi, d) in &samples {
        by_query[qi].push(d);
    }
    let latencies: Vec<Duration> = samples.into_iter().map(|(_, d)| d).collect();
    Ok(Outcome {
        stats: RunStats::from_latencies(latencies.len(), elapsed, latencies),
        by_query,
    })
}
