//! Saved service addresses: validation of what a customer types.

use crate::{DomainError, account::bounded_text, district, phone::Phone};

/// A validated new or edited address.
#[derive(Debug, Clone)]
pub struct AddressInput {
    /// District from the shipped table.
    pub district: &'static district::District,
    /// Street, building and room (2–100 characters).
    pub detail: String,
    /// Contact person (1–20 characters).
    pub contact_name: String,
    /// Contact phone.
    pub contact_phone: Phone,
    /// Whether this becomes the default address.
    pub is_default: bool,
}

impl AddressInput {
    /// Validates raw fields.
    pub fn parse(
        district_code: &str,
        detail: &str,
        contact_name: &str,
        contact_phone: &str,
        is_default: bool,
    ) -> Result<Self, DomainError> {
        let district =
            district::by_code(district_code.trim()).ok_or(DomainError::UnknownDistrict)?;
        Ok(Self {
            district,
            detail: bounded_text("detail", detail, 2, 100)?,
            contact_name: bounded_text("contact_name", contact_name, 1, 20)?,
            contact_phone: Phone::parse(contact_phone)?,
            is_default,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_validation() {
        let a = AddressInput::parse(
            "310115",
            "张江路 88 号 3 栋 1201",
            "王女士",
            "139 0000 1111",
            true,
        )
        .unwrap();
        assert_eq!(a.district.name, "浦东新区");
        assert_eq!(
            AddressInput::parse("999999", "x路1号", "王", "13900001111", false).unwrap_err(),
            DomainError::UnknownDistrict
        );
        assert!(AddressInput::parse("310115", "x", "王", "13900001111", false).is_err());
        assert_eq!(
            AddressInput::parse("310115", "张江路1号", "王", "123", false).unwrap_err(),
            DomainError::InvalidPhone
        );
    }
}
