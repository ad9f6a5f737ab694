//! Typed identifiers. Every entity has its own UUIDv7 newtype so ids of different kinds
//! cannot be mixed up, and parsing rejects malformed ids before any handler runs.

use crate::DomainError;

macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(uuid::Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7())
            }
            /// The underlying UUID.
            pub fn as_uuid(&self) -> uuid::Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.as_hyphenated().fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = DomainError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                // Only the canonical hyphenated form is accepted: one spelling per id.
                if s.len() != 36 {
                    return Err(DomainError::MalformedId);
                }
                uuid::Uuid::try_parse(s).map(Self).map_err(|_| DomainError::MalformedId)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

typed_id!(
    /// An account (customer, provider owner or staff member).
    UserId
);
typed_id!(
    /// A saved service address of a user.
    AddressId
);
typed_id!(
    /// A staff role carrying permissions.
    RoleId
);
typed_id!(
    /// A scheduled job.
    JobId
);
typed_id!(
    /// A session or token family.
    SessionId
);
typed_id!(
    /// A provider (one per account that applied).
    ProviderId
);
typed_id!(
    /// An uploaded provider document (licence, certificate).
    DocumentId
);
typed_id!(
    /// A service listing.
    ListingId
);
typed_id!(
    /// An order (a booking of one listing at one time).
    OrderId
);
typed_id!(
    /// A provider's withdrawal request.
    WithdrawalId
);
typed_id!(
    /// A journal entry of the ledger.
    EntryId
);
typed_id!(
    /// A commission rule.
    RuleId
);
typed_id!(
    /// A customer's review of an order.
    ReviewId
);
typed_id!(
    /// A customer's after-sale request (售后) on an order.
    AfterSaleId
);
typed_id!(
    /// A customer's complaint ticket.
    ComplaintId
);
typed_id!(
    /// A customer's 先行赔付 claim on an order.
    GuaranteeClaimId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_their_text_form() {
        let id = UserId::new();
        let back: UserId = id.to_string().parse().unwrap();
        assert_eq!(id, back);
    }

    #[test]
    fn malformed_ids_are_rejected() {
        for bad in [
            "",
            "1",
            "not-a-uuid",
            "0192e0c4d8a07c4f8b1a3e2f1d0c9b8a7",
            "0192e0c4-d8a0-7c4f-8b1a-3e2f1d0c9b8g",
        ] {
            assert_eq!(
                bad.parse::<UserId>(),
                Err(DomainError::MalformedId),
                "{bad}"
            );
        }
    }
}
