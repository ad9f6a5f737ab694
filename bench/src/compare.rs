//! Rounds of alternating runs: every side once per round, the side that goes first rotating
//! from round to round (so none always enjoys a warm cache or always meets a neighbour's burst
//! first), then medians per side. Prints the per-round table and the summary as it goes. The
//! per-round ratio compares throughput or tail latency ([`Measure`]).

use std::{future::Future, time::Duration};

use anyhow::{Context, Result};

use crate::stats::{RunStats, Summary, median_f64, ratio};

/// What the per-round table shows and its ratio compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Operations per second; the ratio is subject / anchor (higher is better).
    Throughput,
    /// 99th percentile latency; the ratio is subject / anchor (lower is better).
    P99,
}

impl Measure {
    fn heading(self, side: &str, unit: &str) -> String {
        match self {
            Self::Throughput => format!("{side} {unit}/s"),
            Self::P99 => format!("{side} p99 µs"),
        }
    }

    fn of(self, s: &RunStats) -> f64 {
        match self {
            Self::Throughput => s.per_sec,
            Self::P99 => micros(s.p99),
        }
    }

    fn of_summary(self, s: &Summary) -> f64 {
        match self {
            Self::Throughput => s.per_sec,
            Self::P99 => micros(s.p99),
        }
    }
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Runs `rounds` rounds over the sides named `sides` (index 0 is the anchor, the last is the
/// subject) after one warm-up run each, printing as it goes; returns each side's medians.
///
/// `run(i, warm_up)` performs one run of side `i`; `measure` picks what the per-round table
/// shows and what the ratios compare.
pub async fn rounds<F, Fut>(
    sides: &[&str],
    rounds: usize,
    unit: &str,
    measure: Measure,
    run: F,
) -> Result<Vec<Summary>>
where
    F: Fn(usize, bool) -> Fut,
    Fut: Future<Output = Result<RunStats>>,
{
    let n = sides.len();
    for (i, side) in sides.iter().enumerate() {
        run(i, true)
            .await
            .with_context(|| format!("warm-up of {}", side))?;
    }

    let headings: Vec<String> = sides.iter().map(|s| measure.heading(s, unit)).collect();
    let first_width = sides.iter().map(|s| s.len()).max().unwrap_or(5);
    println!();
    println!(
        "  ratio = {} / {} within the round{}",
        sides.last().copied().unwrap_or_default(),
        sides.first().copied().unwrap_or_default(),
        match measure {
            Measure::Throughput => "",
            Measure::P99 => ", by p99 latency",
        }
    );
    print!("  {:>5}  {:<first_width$}", "round", "first");
    for h in &headings {
        print!("  {h:>10}");
    }
    println!("  {:>7}", "ratio");

    let mut runs: Vec<Vec<RunStats>> = vec![Vec::with_capacity(rounds); n];
    let mut paired = Vec::with_capacity(rounds);
    for r in 0..rounds {
        let mut this: Vec<Option<RunStats>> = vec![None; n];
        for k in 0..n {
            let i = (r + k) % n;
            let stats = run(i, false)
                .await
                .with_context(|| format!("round {} of {}", r + 1, sides[i]))?;
            this[i] = Some(stats);
        }
        let this: Vec<RunStats> = this.into_iter().flatten().collect();
        let value = |i: usize| this.get(i).map_or(0.0, |s| measure.of(s));
        let round_ratio = ratio(value(n - 1), value(0));
        paired.push(round_ratio);
        print!("  {:>5}  {:<first_width$}", r + 1, sides[r % n]);
        for (i, h) in headings.iter().enumerate() {
            print!("  {:>w$.0}", value(i), w = h.chars().count().max(10));
        }
        println!("  {round_ratio:>7.3}");
        for (i, s) in this.into_iter().enumerate() {
            runs[i].push(s);
        }
    }

    let summaries: Vec<Summary> = runs.iter().map(|r| Summary::of(r)).collect();
    let anchor = summaries.first().map_or(0.0, |s| measure.of_summary(s));
    println!();
    println!(
        "  {:<first_width$}  {:>14} {:>8} {:>8} {:>10}",
        "side",
        format!("{unit}/s median"),
        "p50 µs",
        "p99 µs",
        match measure {
            Measure::Throughput => "vs anchor",
            Measure::P99 => "p99 ratio",
        }
    );
    for (side, s) in sides.iter().zip(&summaries) {
        println!(
            "  {:<first_width$}  {:>14.0} {:>8} {:>8} {:>10.3}",
            side,
            s.per_sec,
            s.p50.as_micros(),
            s.p99.as_micros(),
            ratio(measure.of_summary(s), anchor)
        );
    }
    let lo = paired.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = paired.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    println!(
        "  spread: per-round ratios {lo:.3} .. {hi:.3}, median {:.3}",
        median_f64(&paired)
    );
    println!();
    Ok(summaries)
}
