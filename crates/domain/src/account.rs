//! Account rules: nicknames, password policy, account status.

use crate::DomainError;

/// Counts characters (not bytes) of trimmed text and checks the bounds.
pub fn bounded_text(
    field: &'static str,
    input: &str,
    min: usize,
    max: usize,
) -> Result<String, DomainError> {
    let trimmed = input.trim();
    let n = trimmed.chars().count();
    if n < min || n > max || trimmed.chars().any(char::is_control) {
        return Err(DomainError::TextLength { field, min, max });
    }
    Ok(trimmed.to_owned())
}

/// A display name: 1–20 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nickname(String);

impl Nickname {
    /// Validates a nickname.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        bounded_text("nickname", input, 1, 20).map(Self)
    }
    /// The nickname text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The default nickname derived from a phone number's last four digits.
    pub fn default_for(phone: &crate::phone::Phone) -> Self {
        let tail: String = phone.as_str().chars().skip(7).collect();
        Self(format!("邻里用户{tail}"))
    }
}

/// A plaintext password that met the policy. Debug never prints it.
#[derive(Clone)]
pub struct NewPassword(String);

impl NewPassword {
    /// 8–64 characters with at least one letter and one digit.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let n = input.chars().count();
        let letter = input.chars().any(char::is_alphabetic);
        let digit = input.chars().any(|c| c.is_ascii_digit());
        if (8..=64).contains(&n) && letter && digit {
            Ok(Self(input.to_owned()))
        } else {
            Err(DomainError::WeakPassword)
        }
    }
    /// The plaintext, for hashing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

/// Whether an account may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountStatus {
    /// Normal.
    Active,
    /// Disabled by an operator.
    Disabled,
}

impl AccountStatus {
    /// Stored text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
        }
    }
    /// Parses the stored form; unknown text is treated as disabled (fail closed).
    pub fn from_stored(s: &str) -> Self {
        if s == "active" {
            Self::Active
        } else {
            Self::Disabled
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nickname_length_counts_characters_not_bytes() {
        assert!(Nickname::parse(&"邻".repeat(20)).is_ok());
        assert!(Nickname::parse(&"邻".repeat(21)).is_err());
        assert!(Nickname::parse("   ").is_err());
        assert!(Nickname::parse("a\u{0}b").is_err());
    }

    #[test]
    fn password_policy() {
        assert!(NewPassword::parse("abc12345").is_ok());
        assert!(NewPassword::parse("abcdefgh").is_err());
        assert!(NewPassword::parse("12345678").is_err());
        assert!(NewPassword::parse("ab1").is_err());
        assert_eq!(
            format!("{:?}", NewPassword::parse("abc12345").unwrap()),
            "NewPassword(***)"
        );
    }
}
