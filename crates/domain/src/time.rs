//! Time as Linli sees it: unix milliseconds, read only through an injected [`Clock`] so that
//! tests advance time instead of sleeping. Display is in the city's local time (UTC+8).

/// A point in time, in milliseconds since the unix epoch.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Timestamp(pub i64);

/// One second in milliseconds.
pub const SECOND_MS: i64 = 1_000;
/// One minute in milliseconds.
pub const MINUTE_MS: i64 = 60 * SECOND_MS;
/// One hour in milliseconds.
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
/// One day in milliseconds.
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// The city's offset from UTC (China Standard Time has no daylight saving).
const LOCAL_OFFSET_HOURS: i8 = 8;

impl Timestamp {
    /// Unix milliseconds.
    pub fn millis(self) -> i64 {
        self.0
    }
    /// This instant plus `ms` milliseconds (saturating).
    pub fn plus_ms(self, ms: i64) -> Self {
        Self(self.0.saturating_add(ms))
    }
    /// This instant minus `ms` milliseconds (saturating).
    pub fn minus_ms(self, ms: i64) -> Self {
        Self(self.0.saturating_sub(ms))
    }
    /// `YYYY-MM-DD HH:MM` in local time; out-of-range values render as `-`.
    pub fn local_display(self) -> String {
        let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
        let Ok(offset) = time::UtcOffset::from_hms(LOCAL_OFFSET_HOURS, 0, 0) else {
            return "-".into();
        };
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000)
            .ok()
            .and_then(|t| t.to_offset(offset).format(&fmt).ok())
            .unwrap_or_else(|| "-".into())
    }
}

/// Source of the current time. Production uses [`SystemClock`]; tests use a fake clock.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        Timestamp(ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_display_is_utc_plus_eight() {
        // 2026-01-01T00:00:00Z is 08:00 in Shanghai.
        assert_eq!(
            Timestamp(1_767_225_600_000).local_display(),
            "2026-01-01 08:00"
        );
    }
}
