//! The few statistics the reports need: medians across rounds and latency percentiles within
//! one run.

use std::time::Duration;

/// What one timed run of one side produced.
#[derive(Debug, Clone)]
pub struct RunStats {
    /// Completed operations per second of wall time.
    pub per_sec: f64,
    /// Median latency of one operation.
    pub p50: Duration,
    /// 99th percentile latency of one operation.
    pub p99: Duration,
}

impl RunStats {
    /// Summarises `ops` operations that took `elapsed` in all, from their individual latencies
    /// (sorted here).
    pub fn from_latencies(ops: usize, elapsed: Duration, mut latencies: Vec<Duration>) -> Self {
        latencies.sort_unstable();
        Self {
            per_sec: per_sec(ops, elapsed),
            p50: percentile(&latencies, 50.0),
            p99: percentile(&latencies, 99.0),
        }
    }
}

/// Operations per second; zero for an empty or instantaneous run rather than infinity.
fn per_sec(ops: usize, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        // Counts in a benchmark are far below 2^52, so the conversion is exact.
        ops as f64 / secs
    } else {
        0.0
    }
}

/// Nearest-rank percentile of sorted values (zero when there are none).
pub fn percentile(sorted: &[Duration], pct: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((pct / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Median of the values (mean of the middle two for an even count; zero when empty).
pub fn median_f64(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_unstable_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Median of durations (the lower middle for an even count; zero when empty).
pub fn median_duration(values: &[Duration]) -> Duration {
    let mut v = values.to_vec();
    v.sort_unstable();
    v.get(v.len().saturating_sub(1) / 2)
        .copied()
        .unwrap_or_default()
}

/// The medians over several runs of one side.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Median throughput.
    pub per_sec: f64,
    /// Median of the runs' p50 latencies.
    pub p50: Duration,
    /// Median of the runs' p99 latencies.
    pub p99: Duration,
}

impl Summary {
    /// Medians of `runs`.
    pub fn of(runs: &[RunStats]) -> Self {
        let rates: Vec<f64> = runs.iter().map(|r| r.per_sec).collect();
        let p50: Vec<Duration> = runs.iter().map(|r| r.p50).collect();
        let p99: Vec<Duration> = runs.iter().map(|r| r.p99).collect();
        Self {
            per_sec: median_f64(&rates),
            p50: median_duration(&p50),
            p99: median_duration(&p99),
        }
    }
}

/// `subject / anchor`, or zero when the anchor did nothing.
pub fn ratio(subject: f64, anchor: f64) -> f64 {
    if anchor > 0.0 { subject / anchor } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let v: Vec<Duration> = (1..=100).map(ms).collect();
        assert_eq!(percentile(&v, 50.0), ms(50));
        assert_eq!(percentile(&v, 99.0), ms(99));
        assert_eq!(percentile(&[ms(7)], 99.0), ms(7));
        assert_eq!(percentile(&[], 50.0), Duration::ZERO);
    }

    #[test]
    fn medians_ignore_the_order_of_rounds() {
        assert!((median_f64(&[3.0, 1.0, 2.0]) - 2.0).abs() < f64::EPSILON);
        assert!((median_f64(&[4.0, 1.0, 3.0, 2.0]) - 2.5).abs() < f64::EPSILON);
        assert_eq!(median_duration(&[ms(9), ms(1), ms(5)]), ms(5));
    }

    #[test]
    fn a_run_reports_its_rate_and_tail() {
        let s =
            RunStats::from_latencies(1000, Duration::from_secs(2), (1..=1000).map(ms).collect());
        assert!((s.per_sec - 500.0).abs() < 1e-9);
        assert_eq!(s.p50, ms(500));
        assert_eq!(s.p99, ms(990));
    }
}
