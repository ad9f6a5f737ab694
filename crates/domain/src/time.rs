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

/// A calendar day in the city's local time, stored as `YYYY-MM-DD` (sorts as text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(time::Date);

impl Day {
    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Result<Self, crate::DomainError> {
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        time::Date::parse(s.trim(), &fmt)
            .map(Self)
            .map_err(|_| crate::DomainError::InvalidDate)
    }
    /// The local day of an instant.
    pub fn of(t: Timestamp) -> Self {
        let offset =
            time::UtcOffset::from_hms(LOCAL_OFFSET_HOURS, 0, 0).unwrap_or(time::UtcOffset::UTC);
        let date = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.0) * 1_000_000)
            .map(|d| d.to_offset(offset).date())
            .unwrap_or(time::Date::MIN);
        Self(date)
    }
    /// The first millisecond of this local day.
    pub fn start_ms(self) -> i64 {
        let utc_midnight = self.0.midnight().assume_utc().unix_timestamp() * 1000;
        utc_midnight - i64::from(LOCAL_OFFSET_HOURS) * HOUR_MS
    }
    /// Day of the week, Monday = 0 … Sunday = 6.
    pub fn weekday_index(self) -> usize {
        usize::from(self.0.weekday().number_days_from_monday())
    }
    /// This day plus `days` (saturating at the calendar's ends).
    pub fn plus_days(self, days: i64) -> Self {
        Self(
            self.0
                .checked_add(time::Duration::days(days))
                .unwrap_or(self.0),
        )
    }
}

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.0.year(),
            u8::from(self.0.month()),
            self.0.day()
        )
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
    fn days_parse_format_and_follow_local_time() {
        let d = Day::parse("2026-02-28").unwrap();
        assert_eq!(d.plus_days(1).to_string(), "2026-03-01");
        assert!(Day::parse("2026-02-30").is_err());
        assert!(Day::parse("tomorrow").is_err());
        // 2026-01-01T16:00Z is already 2026-01-02 in Shanghai.
        assert_eq!(
            Day::of(Timestamp(1_767_283_200_000)).to_string(),
            "2026-01-02"
        );
    }

    #[test]
    fn local_display_is_utc_plus_eight() {
        // 2026-01-01T00:00:00Z is 08:00 in Shanghai.
        assert_eq!(
            Timestamp(1_767_225_600_000).local_display(),
            "2026-01-01 08:00"
        );
    }
}

/// The wall clock plus an offset that only moves forward: dev mode uses it so a person (or a
/// browser test) can let the payment window or a deadline pass without waiting.
#[derive(Debug, Default)]
pub struct OffsetClock {
    offset_ms: std::sync::atomic::AtomicI64,
}

impl OffsetClock {
    /// Moves the clock forward by `ms` (negative values are ignored) and returns the new time.
    pub fn advance(&self, ms: i64) -> Timestamp {
        self.offset_ms
            .fetch_add(ms.max(0), std::sync::atomic::Ordering::SeqCst);
        self.now()
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> Timestamp {
        SystemClock
            .now()
            .plus_ms(self.offset_ms.load(std::sync::atomic::Ordering::SeqCst))
    }
}
