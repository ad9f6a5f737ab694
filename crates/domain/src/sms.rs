//! Rules for SMS login codes: six digits, five minutes, five tries, a resend cooldown and daily
//! limits. The decision functions are pure so the rules are tested without a database.

use crate::{
    DomainError,
    time::{DAY_MS, MINUTE_MS, SECOND_MS, Timestamp},
};

/// How long a code is valid.
pub const CODE_TTL_MS: i64 = 5 * MINUTE_MS;
/// Wrong tries that burn a code.
pub const MAX_ATTEMPTS: i64 = 5;
/// Minimum gap between two codes to one phone.
pub const RESEND_COOLDOWN_MS: i64 = 60 * SECOND_MS;
/// Codes one phone may receive in a rolling day.
pub const DAILY_PER_PHONE: i64 = 10;
/// Codes one client IP may request in a rolling day.
pub const DAILY_PER_IP: i64 = 30;
/// Window of the daily limits.
pub const DAILY_WINDOW_MS: i64 = DAY_MS;

/// A submitted code, checked to be exactly six ASCII digits.
#[derive(Clone, PartialEq, Eq)]
pub struct SmsCode(String);

impl SmsCode {
    /// Parses user input (surrounding spaces ignored).
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let t = input.trim();
        if t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(t.to_owned()))
        } else {
            Err(DomainError::MalformedCode)
        }
    }
    /// Formats a random number below one million as a code.
    pub fn from_number(n: u32) -> Self {
        Self(format!("{:06}", n % 1_000_000))
    }
    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SmsCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SmsCode(******)")
    }
}

/// Why a code may not be sent now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendRefusal {
    /// The previous code to this phone was sent less than a minute ago; retry after this many seconds.
    Cooldown { retry_after_secs: i64 },
    /// The phone reached its daily limit.
    PhoneDailyLimit,
    /// The client IP reached its daily limit.
    IpDailyLimit,
}

/// What the sender knows when a code is requested.
#[derive(Debug, Clone, Copy)]
pub struct SendContext {
    /// When the last code to this phone was sent, if any.
    pub last_sent_to_phone: Option<Timestamp>,
    /// Codes sent to this phone in the last day.
    pub sent_to_phone_today: i64,
    /// Codes requested from this IP in the last day.
    pub sent_from_ip_today: i64,
}

/// Decides whether a new code may be sent at `now`.
pub fn may_send(ctx: SendContext, now: Timestamp) -> Result<(), SendRefusal> {
    if let Some(last) = ctx.last_sent_to_phone {
        let elapsed = now.millis() - last.millis();
        if elapsed < RESEND_COOLDOWN_MS {
            let remaining = RESEND_COOLDOWN_MS - elapsed;
            return Err(SendRefusal::Cooldown {
                retry_after_secs: (remaining + SECOND_MS - 1) / SECOND_MS,
            });
        }
    }
    if ctx.sent_to_phone_today >= DAILY_PER_PHONE {
        return Err(SendRefusal::PhoneDailyLimit);
    }
    if ctx.sent_from_ip_today >= DAILY_PER_IP {
        return Err(SendRefusal::IpDailyLimit);
    }
    Ok(())
}

/// State of the latest issued code for a phone.
#[derive(Debug, Clone, Copy)]
pub struct IssuedCode {
    /// When it stops being valid.
    pub expires_at: Timestamp,
    /// Wrong tries so far.
    pub attempts: i64,
    /// Whether it was already used or burned.
    pub spent: bool,
}

/// Outcome of checking a submitted code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Correct: consume the code and sign in.
    Accept,
    /// Wrong: count the try; `burned` when this was the last allowed one.
    Wrong { burned: bool },
    /// No usable code: none issued, expired, spent or burned.
    Unusable,
}

/// Checks a submitted code against the issued one. `matches` is the constant-time comparison
/// result of the hashes, computed by the caller.
pub fn verify(issued: Option<IssuedCode>, matches: bool, now: Timestamp) -> Verdict {
    let Some(code) = issued else {
        return Verdict::Unusable;
    };
    if code.spent || code.attempts >= MAX_ATTEMPTS || now >= code.expires_at {
        return Verdict::Unusable;
    }
    if matches {
        Verdict::Accept
    } else {
        Verdict::Wrong {
            burned: code.attempts + 1 >= MAX_ATTEMPTS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(last: Option<i64>, phone: i64, ip: i64) -> SendContext {
        SendContext {
            last_sent_to_phone: last.map(Timestamp),
            sent_to_phone_today: phone,
            sent_from_ip_today: ip,
        }
    }

    #[test]
    fn resend_waits_sixty_seconds() {
        let now = Timestamp(1_000_000);
        assert_eq!(
            may_send(ctx(Some(1_000_000 - 59_001), 1, 1), now),
            Err(SendRefusal::Cooldown {
                retry_after_secs: 1
            })
        );
        assert_eq!(may_send(ctx(Some(1_000_000 - 60_000), 1, 1), now), Ok(()));
    }

    #[test]
    fn daily_limits_apply_per_phone_and_per_ip() {
        let now = Timestamp(10 * DAY_MS);
        assert_eq!(
            may_send(ctx(None, DAILY_PER_PHONE, 0), now),
            Err(SendRefusal::PhoneDailyLimit)
        );
        assert_eq!(
            may_send(ctx(None, 0, DAILY_PER_IP), now),
            Err(SendRefusal::IpDailyLimit)
        );
    }

    #[test]
    fn the_fifth_wrong_try_burns_the_code_and_a_right_one_after_is_refused() {
        let now = Timestamp(0);
        let mut code = IssuedCode {
            expires_at: Timestamp(CODE_TTL_MS),
            attempts: 0,
            spent: false,
        };
        for i in 0..MAX_ATTEMPTS {
            let v = verify(Some(code), false, now);
            assert_eq!(
                v,
                Verdict::Wrong {
                    burned: i == MAX_ATTEMPTS - 1
                }
            );
            code.attempts += 1;
        }
        assert_eq!(verify(Some(code), true, now), Verdict::Unusable);
    }

    #[test]
    fn an_expired_code_is_unusable() {
        let code = IssuedCode {
            expires_at: Timestamp(CODE_TTL_MS),
            attempts: 0,
            spent: false,
        };
        assert_eq!(
            verify(Some(code), true, Timestamp(CODE_TTL_MS - 1)),
            Verdict::Accept
        );
        assert_eq!(
            verify(Some(code), true, Timestamp(CODE_TTL_MS)),
            Verdict::Unusable
        );
    }

    #[test]
    fn code_format() {
        assert!(SmsCode::parse("012345").is_ok());
        assert!(SmsCode::parse(" 012345 ").is_ok());
        for bad in ["", "12345", "1234567", "12345a", "１２３４５６"] {
            assert!(SmsCode::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(SmsCode::from_number(42).as_str(), "000042");
    }
}
