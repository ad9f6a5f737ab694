//! Request rate limits (fixed windows on the injected clock). The embedded default keeps the
//! counters in process; a multi-node deployment plugs a shared implementation behind the trait.

use std::{collections::HashMap, sync::Arc};

use linli_domain::time::Clock;
use tokio::sync::Mutex;

/// Counts hits per key in windows.
#[async_trait::async_trait]
pub trait RateLimiter: Send + Sync + 'static {
    /// Records one hit on `key`; `Err(retry_after_secs)` once more than `limit` hits fell in
    /// the current window of `window_ms`.
    async fn hit(&self, key: &str, limit: u32, window_ms: i64) -> Result<(), i64>;
}

/// In-process fixed-window limiter.
pub struct MemoryLimiter {
    clock: Arc<dyn Clock>,
    windows: Mutex<HashMap<String, (i64, u32)>>,
}

impl MemoryLimiter {
    /// A limiter on `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            windows: Mutex::new(HashMap::new()),
        }
    }
}

#[async_trait::async_trait]
impl RateLimiter for MemoryLimiter {
    async fn hit(&self, key: &str, limit: u32, window_ms: i64) -> Result<(), i64> {
        let now = self.clock.now().millis();
        let window_start = now - now.rem_euclid(window_ms.max(1));
        let mut map = self.windows.lock().await;
        // Keep memory bounded: drop windows that ended.
        if map.len() > 100_000 {
            map.retain(|_, (start, _)| *start >= window_start);
        }
        let entry = map.entry(key.to_owned()).or_insert((window_start, 0));
        if entry.0 != window_start {
            *entry = (window_start, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        if entry.1 > limit {
            let retry = (window_start + window_ms - now + 999) / 1000;
            Err(retry.max(1))
        } else {
            Ok(())
        }
    }
}

/// A limiter that never limits (benchmarks).
pub struct NoLimiter;

#[async_trait::async_trait]
impl RateLimiter for NoLimiter {
    async fn hit(&self, _key: &str, _limit: u32, _window_ms: i64) -> Result<(), i64> {
        Ok(())
    }
}
