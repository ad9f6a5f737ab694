//! Mainland China mobile numbers: normalisation, validation and masking.

use crate::DomainError;

/// A valid mainland mobile number, stored as its 11 digits.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// Normalises spaces, `-` and a `+86`/`86`/`0086` prefix, then accepts only `1[3-9]` followed
    /// by nine digits.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let compact: String = input
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '\u{3000}'))
            .collect();
        let digits = compact
            .strip_prefix("+86")
            .or_else(|| compact.strip_prefix("0086"))
            .or_else(|| {
                (compact.len() == 13)
                    .then(|| compact.strip_prefix("86"))
                    .flatten()
            })
            .unwrap_or(&compact);
        let bytes = digits.as_bytes();
        let valid = bytes.len() == 11
            && bytes.iter().all(u8::is_ascii_digit)
            && bytes[0] == b'1'
            && (b'3'..=b'9').contains(&bytes[1]);
        if valid {
            Ok(Self(digits.to_owned()))
        } else {
            Err(DomainError::InvalidPhone)
        }
    }

    /// The full 11 digits. Only the owner's own profile and the SMS sender may see this.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The masked form shown everywhere else: `138****5678`.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// Masks any stored phone string (keeps the first 3 and last 4 characters).
pub fn mask(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 8 {
        return "****".into();
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

// Debug never prints the full number, so a stray `{:?}` in a log line cannot leak it.
impl std::fmt::Debug for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

impl std::fmt::Display for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_common_spellings() {
        for s in [
            "13812345678",
            "138 1234 5678",
            "138-1234-5678",
            "+86 138 1234 5678",
            "+8613812345678",
            "8613812345678",
            "0086 13812345678",
        ] {
            assert_eq!(Phone::parse(s).unwrap().as_str(), "13812345678", "{s}");
        }
    }

    #[test]
    fn rejects_non_mobile_numbers() {
        for s in [
            "",
            "12812345678",
            "1381234567",
            "138123456789",
            "1381234567a",
            "021-12345678",
            "+85213812345678",
            "１３８１２３４５６７８",
        ] {
            assert_eq!(Phone::parse(s), Err(DomainError::InvalidPhone), "{s}");
        }
    }

    #[test]
    fn masks_middle_digits_and_debug_never_shows_them() {
        let p = Phone::parse("13812345678").unwrap();
        assert_eq!(p.masked(), "138****5678");
        assert_eq!(format!("{p:?}"), "Phone(138****5678)");
        assert_eq!(format!("{p}"), "138****5678");
    }

    proptest! {
        #[test]
        fn every_valid_number_normalises_to_itself(second in 3u8..=9, rest in "[0-9]{9}") {
            let n = format!("1{second}{rest}");
            prop_assert_eq!(Phone::parse(&n).unwrap().as_str().to_owned(), n.clone());
            let spaced = format!("+86 {} {} {}", &n[..3], &n[3..7], &n[7..]);
            prop_assert_eq!(Phone::parse(&spaced).unwrap().as_str().to_owned(), n);
        }

        #[test]
        fn parse_never_panics(s in ".{0,40}") {
            let _ = Phone::parse(&s);
        }
    }
}
