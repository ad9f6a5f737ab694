//! Rounds of alternating runs: every side once per round, the side that goes first rotating
//! from round to round (so none always enjoys a warm cache or always meets a neighbour's burst
//! first), then medians per side. Prints the per-round table and the summary as it goes.

use std::future::Future;

use anyhow::{Context, Result};

use crate::stats::{RunStats, Summary, median_f64, ratio};

/// Runs `rounds` rounds over the sides named `sides` (index 0 is the anchor, the last is the
/// subject) after one warm-up run each, printing as it goes; returns each side's medians.
///
/// `run(i, warm_up)` performs one run of side `i`.
pub async fn rounds<F, Fut>(
    sides: &[&str],
    rounds: usize,
    unit: &str,
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

    let headings: Vec<String> = sides.iter().map(|s| format!("{} {unit}/s", s)).collect();
    let first_width = sides.iter().map(|s| s.len()).max().unwrap_or(5);
    println!();
    println!(
        "  ratio = {} / {} within the round",
        sides.last().copied().unwrap_or_default(),
        sides.first().copied().unwrap_or_default()
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
        let per_sec = |i: usize| this.get(i).map_or(0.0, |s| s.per_sec);
        let round_ratio = ratio(per_sec(n - 1), per_sec(0));
        paired.push(round_ratio);
        print!("  {:>5}  {:<first_width$}", r + 1, sides[r % n]);
        for (i, h) in headings.iter().enumerate() {
            print!("  {:>w$.0}", per_sec(i), w = h.len().max(10));
        }
        println!("  {round_ratio:>7.3}");
        for (i, s) in this.into_iter().enumerate() {
            runs[i].push(s);
        }
    }

    let summaries: Vec<Summary> = runs.iter().map(|r| Summary::of(r)).collect();
    let anchor = summaries.first().map_or(0.0, |s| s.per_sec);
    println!();
    println!(
        "  {:<first_width$}  {:>14} {:>8} {:>8} {:>10}",
        "side",
        format!("{unit}/s median"),
        "p50 µs",
        "p99 µs",
        "vs anchor"
    );
    for (side, s) in sides.iter().zip(&summaries) {
        println!(
            "  {:<first_width$}  {:>14.0} {:>8} {:>8} {:>10.3}",
            side,
            s.per_sec,
            s.p50.as_micros(),
            s.p99.as_micros(),
            ratio(s.per_sec, anchor)
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
