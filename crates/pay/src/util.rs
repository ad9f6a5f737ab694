//! Small helpers: wall-clock time, random strings, v3 time formats, URL path escaping.

use time::{OffsetDateTime, UtcOffset, format_description::well_known::Rfc3339};

use crate::PayError;

/// Asia/Shanghai (no DST).
const SHANGHAI: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

/// Wall-clock now, unix ms.
pub(crate) fn now_ms() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A random string of `len` characters from `[A-Za-z0-9]` (v3 nonces).
pub(crate) fn random_alnum(len: usize) -> Result<String, PayError> {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).map_err(|e| PayError::Internal(format!("rng: {e}")))?;
    // 256 = 4 * 62 + 8: the bias of a plain modulo is negligible for nonces and ids.
    Ok(bytes
        .iter()
        .map(|b| char::from(ALNUM[usize::from(*b) % ALNUM.len()]))
        .collect())
}

/// `n` random bytes, hex.
pub(crate) fn random_hex(n: usize) -> Result<String, PayError> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| PayError::Internal(format!("rng: {e}")))?;
    Ok(hex::encode(bytes))
}

fn datetime(ms: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .map(|t| t.to_offset(SHANGHAI))
}

/// v3 time: RFC 3339 in +08:00, second precision, e.g. `2024-05-01T10:00:00+08:00`.
pub(crate) fn to_rfc3339(ms: i64) -> String {
    datetime(ms.div_euclid(1000) * 1000)
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// Parses an RFC 3339 time into unix ms.
pub(crate) fn from_rfc3339(s: &str) -> Option<i64> {
    let t = OffsetDateTime::parse(s, &Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

/// The Asia/Shanghai calendar day of an instant, `YYYY-MM-DD` (the day of a statement).
pub fn shanghai_day(ms: i64) -> String {
    match datetime(ms) {
        Some(t) => format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day()),
        None => String::new(),
    }
}

/// Whether `day` is a valid `YYYY-MM-DD` date.
pub(crate) fn valid_day(day: &str) -> bool {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    day.len() == 10 && time::Date::parse(day, fmt).is_ok()
}

/// Percent-encodes one URL path segment (keeps RFC 3986 unreserved characters).
pub(crate) fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `¥12.34` from 分.
pub(crate) fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let a = fen.unsigned_abs();
    format!("{sign}¥{}.{:02}", a / 100, a % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_in_shanghai() {
        // 2024-05-01T00:30:00+08:00 is still 2024-04-30 in UTC.
        let ms = 1_714_494_600_000;
        assert_eq!(to_rfc3339(ms), "2024-05-01T00:30:00+08:00");
        assert_eq!(from_rfc3339("2024-05-01T00:30:00+08:00"), Some(ms));
        assert_eq!(from_rfc3339("2024-04-30T16:30:00Z"), Some(ms));
        assert_eq!(shanghai_day(ms), "2024-05-01");
        assert_eq!(shanghai_day(ms - 31 * 60 * 1000), "2024-04-30");
        assert!(valid_day("2024-05-01"));
        assert!(!valid_day("2024-5-1"));
        assert!(!valid_day("2024-02-30"));
    }

    #[test]
    fn yuan_and_segments() {
        assert_eq!(yuan(12345), "¥123.45");
        assert_eq!(yuan(5), "¥0.05");
        assert_eq!(encode_segment("a b/c|*"), "a%20b%2Fc%7C%2A");
        assert_eq!(random_alnum(32).map(|s| s.len()).unwrap_or(0), 32);
    }
}
