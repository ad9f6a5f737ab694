//! Rules of a verified visit: how close a check-in must be, the service code's shape, and how
//! the actual duration of an hourly job gives its final price.

use crate::{DomainError, money::Money};

/// A check-in within this distance of the order's address needs no reason.
pub const CHECKIN_RADIUS_M: i64 = 200;
/// Wrong service codes accepted before the code locks.
pub const MAX_CODE_ATTEMPTS: i64 = 5;
/// Extra time on hourly jobs is billed in steps of this many minutes, rounded up.
pub const BILLING_STEP_MIN: i64 = 15;

/// A position as the phone reports it, in micro-degrees.
pub fn position(lat_micro: i64, lng_micro: i64) -> Result<(i64, i64), DomainError> {
    if lat_micro.abs() > 90_000_000 || lng_micro.abs() > 180_000_000 {
        return Err(DomainError::Invalid("position"));
    }
    Ok((lat_micro, lng_micro))
}

/// Whether `code` looks like a service code (six ASCII digits).
pub fn is_code_shaped(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

/// Minutes billed beyond the booked time: the overtime rounded up to whole
/// [`BILLING_STEP_MIN`] steps; the booked time itself is always billed.
pub fn billed_overtime_min(booked_min: i64, actual_min: i64) -> i64 {
    let over = actual_min.saturating_sub(booked_min).max(0);
    (over + BILLING_STEP_MIN - 1) / BILLING_STEP_MIN * BILLING_STEP_MIN
}

/// The final price of an hourly job: the booked total plus the overtime at the hourly price
/// (`hourly` per 60 minutes, half a 分 rounded up).
pub fn final_price(
    booked_total: Money,
    hourly: Money,
    booked_min: i64,
    actual_min: i64,
) -> Result<Money, DomainError> {
    let over = billed_overtime_min(booked_min, actual_min);
    let extra = hourly
        .fen()
        .checked_mul(over)
        .map(|x| (x + 30) / 60)
        .ok_or(DomainError::InvalidPrice)?;
    booked_total
        .checked_add(Money::from_fen(extra))
        .ok_or(DomainError::InvalidPrice)
}

/// How an hourly job's actual duration prices it, as the customer is shown it with a
/// supplement (补款): booked vs actual minutes, the overtime billed in [`BILLING_STEP_MIN`]
/// steps, the final price and what is still to pay above what was paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overrun {
    /// Minutes booked.
    pub booked_min: i64,
    /// Minutes on site.
    pub actual_min: i64,
    /// Overtime billed, whole steps.
    pub billed_over_min: i64,
    /// The hourly price.
    pub hourly: Money,
    /// The final price.
    pub final_price: Money,
    /// Above what was paid (zero when the job did not overrun).
    pub extra: Money,
}

/// The [`Overrun`] of an hourly job booked at `booked_total` of which `paid` was paid.
pub fn overrun(
    booked_total: Money,
    paid: Money,
    hourly: Money,
    booked_min: i64,
    actual_min: i64,
) -> Result<Overrun, DomainError> {
    let final_price = final_price(booked_total, hourly, booked_min, actual_min)?;
    let covered = paid.fen().max(booked_total.fen());
    Ok(Overrun {
        booked_min,
        actual_min,
        billed_over_min: billed_overtime_min(booked_min, actual_min),
        hourly,
        final_price,
        extra: Money::from_fen((final_price.fen() - covered).max(0)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overtime_is_billed_in_quarter_hours_rounded_up() {
        assert_eq!(billed_overtime_min(120, 100), 0);
        assert_eq!(billed_overtime_min(120, 120), 0);
        assert_eq!(billed_overtime_min(120, 121), 15);
        assert_eq!(billed_overtime_min(120, 135), 15);
        assert_eq!(billed_overtime_min(120, 136), 30);
    }

    #[test]
    fn final_price_adds_overtime_at_the_hourly_rate() {
        let p =
            |a| final_price(Money::from_fen(9000), Money::from_fen(4500), 120, a).map(Money::fen);
        assert_eq!(p(90), Ok(9000));
        assert_eq!(p(130), Ok(9000 + 1125));
        assert_eq!(p(181), Ok(9000 + 4500 + 1125));
    }

    #[test]
    fn an_overrun_is_what_the_final_price_adds_above_what_was_paid() {
        let o = overrun(
            Money::from_fen(9000),
            Money::from_fen(9000),
            Money::from_fen(4500),
            120,
            140,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((o.billed_over_min, o.extra.fen()), (30, 2250));
        assert_eq!(o.final_price.fen(), 11_250);
        let on_time = overrun(
            Money::from_fen(9000),
            Money::from_fen(9000),
            Money::from_fen(4500),
            120,
            110,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((on_time.billed_over_min, on_time.extra), (0, Money::ZERO));
    }

    #[test]
    fn codes_are_six_digits_and_positions_on_earth() {
        assert!(is_code_shaped("012345"));
        assert!(
            !is_code_shaped("12345")
                && !is_code_shaped("12345a")
                && !is_code_shaped("１２３４５６")
        );
        assert!(position(91_000_000, 0).is_err() && position(31_230_000, 121_470_000).is_ok());
    }
}
