//! Money: integer 分 (fen) in a newtype with checked arithmetic. No floats near money.

use crate::DomainError;

/// An amount in 分 (1/100 yuan). Never negative for prices; arithmetic is checked.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Money(i64);

impl Money {
    /// Zero.
    pub const ZERO: Money = Money(0);
    /// From 分.
    pub fn from_fen(fen: i64) -> Self {
        Self(fen)
    }
    /// The amount in 分.
    pub fn fen(self) -> i64 {
        self.0
    }
    /// Parses a price typed by a person: `120`, `120.5`, `120.50`, `¥120.50`, `１２０` (full-width
    /// digits are not accepted: prices come from number inputs). At most two decimals; 0 to
    /// 1,000,000 yuan.
    pub fn parse_yuan(input: &str) -> Result<Self, DomainError> {
        let s = input.trim().trim_start_matches(['¥', '￥']).trim();
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i, f),
            None => (s, ""),
        };
        let digits_ok = !int.is_empty()
            && int.len() <= 7
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.len() <= 2
            && frac.bytes().all(|b| b.is_ascii_digit());
        if !digits_ok {
            return Err(DomainError::InvalidPrice);
        }
        let yuan: i64 = int.parse().map_err(|_| DomainError::InvalidPrice)?;
        let cents: i64 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<2}")
                .parse()
                .map_err(|_| DomainError::InvalidPrice)?
        };
        let fen = yuan
            .checked_mul(100)
            .and_then(|v| v.checked_add(cents))
            .ok_or(DomainError::InvalidPrice)?;
        if fen > 100_000_000 {
            return Err(DomainError::InvalidPrice);
        }
        Ok(Self(fen))
    }
    /// Checked addition.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }
    /// Checked multiplication by a count.
    pub fn checked_mul(self, n: i64) -> Option<Money> {
        self.0.checked_mul(n).map(Money)
    }
    /// `120.50` (no currency sign).
    pub fn yuan_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let v = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", v / 100, v % 100)
    }
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "¥{}", self.yuan_string())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn prices_parse_to_fen_exactly() {
        assert_eq!(Money::parse_yuan("120").unwrap().fen(), 12_000);
        assert_eq!(Money::parse_yuan("120.5").unwrap().fen(), 12_050);
        assert_eq!(Money::parse_yuan("¥ 0.07").unwrap().fen(), 7);
        assert_eq!(Money::parse_yuan("￥99.99").unwrap().to_string(), "¥99.99");
        for bad in [
            "", "abc", "1.234", "-5", "1e3", "12,00", "10000000", "1.2.3", "０",
        ] {
            assert!(Money::parse_yuan(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn formatting_and_parsing_round_trip(fen in 0i64..100_000_000) {
            let m = Money::from_fen(fen);
            prop_assert_eq!(Money::parse_yuan(&m.yuan_string()).unwrap(), m);
        }
    }
}
