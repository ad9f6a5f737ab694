//! Open-loop pacing: requests are due at a fixed aggregate rate, whatever the server does, and
//! a request's latency is counted from when it was due, not from when a free connection got
//! round to sending it (so a stalled server cannot hide its stall by slowing the client down,
//! the "coordinated omission" a closed loop suffers from).
//!
//! A closed loop of `C` connections measures throughput well but not latency: at saturation
//! each request waits behind the `C - 1` others, so its latency is `C / throughput` by Little's
//! law whatever the code does. Latency goals are therefore measured at an offered load below
//! saturation.

use std::{
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration,
};

use tokio::time::Instant;

/// Hands out due times `start + i / rate` for `i` in `0..total`, to any number of workers;
/// or, closed loop, `total` requests each due when a worker takes it.
#[derive(Debug)]
pub struct Pacer {
    start: Instant,
    /// `None`: closed loop.
    interval: Option<Duration>,
    total: usize,
    next: AtomicUsize,
}

impl Pacer {
    /// `total` requests at `per_sec` requests per second, the first due a little after now.
    pub fn new(per_sec: f64, total: usize) -> Self {
        Self {
            // A short lead so every worker is waiting when the first request falls due.
            start: Instant::now() + Duration::from_millis(20),
            interval: Some(Duration::from_secs_f64(1.0 / per_sec.max(1.0))),
            total,
            next: AtomicUsize::new(0),
        }
    }

    /// `total` requests, each due as soon as a worker is free to send it (throughput runs).
    pub fn closed(total: usize) -> Self {
        Self {
            start: Instant::now(),
            interval: None,
            total,
            next: AtomicUsize::new(0),
        }
    }

    /// Waits until the next request is due and returns when it was due, or `None` once all
    /// have been handed out. A worker that comes late gets a time already past: the wait it
    /// caused counts in that request's latency.
    pub async fn next(&self) -> Option<Instant> {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        if i >= self.total {
            return None;
        }
        let Some(interval) = self.interval else {
            return Some(Instant::now());
        };
        let due = self.start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(due).await;
        Some(due)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn due_times_are_spaced_by_the_rate_and_run_out() {
        let p = Pacer::new(1000.0, 3);
        let a = p.next().await.unwrap();
        let b = p.next().await.unwrap();
        let c = p.next().await.unwrap();
        assert_eq!(b - a, Duration::from_millis(1));
        assert_eq!(c - b, Duration::from_millis(1));
        assert!(p.next().await.is_none());
    }

    #[tokio::test]
    async fn a_closed_loop_hands_out_its_total_at_once() {
        let p = Pacer::closed(2);
        assert!(p.next().await.unwrap().elapsed() < Duration::from_millis(5));
        assert!(p.next().await.is_some());
        assert!(p.next().await.is_none());
    }

    #[tokio::test]
    async fn a_late_worker_gets_a_due_time_in_the_past() {
        let mut p = Pacer::new(10.0, 10);
        // As if the run had begun a second ago: the first ten requests are all overdue.
        p.start -= Duration::from_secs(1);
        let first = p.next().await.unwrap();
        assert!(first.elapsed() >= Duration::from_millis(900));
    }
}
