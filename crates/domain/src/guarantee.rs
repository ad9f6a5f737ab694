//! 先行赔付 recovery: how an approved payout is charged to the provider. The customer is paid
//! from the guarantee fund at once, and the fund is made whole by the provider in the same
//! entry: first from a positive available balance, then from the deposit (保证金) up to what it
//! holds; anything beyond stays as a negative available balance that later earnings repay.

use crate::{
    DomainError,
    ids::{OrderId, ProviderId, UserId},
    ledger::{Account, Entry, EntryKind},
    money::Money,
};

/// Where the amount charged to the provider comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recovery {
    /// Taken from the available balance (including any part that leaves it negative), 分.
    pub from_available: i64,
    /// Taken from the deposit, 分.
    pub from_deposit: i64,
}

/// Splits `amount` (分, ≥ 0) given what the provider's available balance and deposit hold
/// (owed figures, 分; either may be negative or zero).
pub fn recovery(amount: i64, available: i64, deposit: i64) -> Recovery {
    let amount = amount.max(0);
    let covered = amount.min(available.max(0));
    let from_deposit = (amount - covered).min(deposit.max(0));
    Recovery {
        from_available: amount - from_deposit,
        from_deposit,
    }
}

/// An approved payout, before the provider's balances are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payout {
    /// The claim's order.
    pub order: OrderId,
    /// Who is paid.
    pub customer: UserId,
    /// Who is charged.
    pub provider: ProviderId,
    /// How much, 分 (> 0).
    pub amount: Money,
    /// The entry's unique reference (`guarantee:<claim id>`).
    pub reference: String,
}

impl Payout {
    /// The one entry of the payout, given the provider's available balance and deposit as they
    /// stand under the provider's wallet lock (owed figures, 分).
    pub fn entry(&self, available: i64, deposit: i64) -> Result<Entry, DomainError> {
        let r = recovery(self.amount.fen(), available, deposit);
        let memo = if r.from_deposit > 0 {
            format!(
                "先行赔付 ¥{}，由服务商承担（其中保证金 ¥{}）",
                self.amount.yuan_string(),
                Money::from_fen(r.from_deposit).yuan_string()
            )
        } else {
            format!("先行赔付 ¥{}，由服务商承担", self.amount.yuan_string())
        };
        Entry::builder(EntryKind::GuaranteePayout)
            .order(self.order)
            .reference(self.reference.clone())
            .memo(memo)
            .debit(Account::GuaranteeFund, self.amount)
            .credit(Account::CustomerCredit(self.customer), self.amount)
            .debit(
                Account::ProviderAvailable(self.provider),
                Money::from_fen(r.from_available),
            )
            .debit(
                Account::ProviderDeposit(self.provider),
                Money::from_fen(r.from_deposit),
            )
            .credit(Account::GuaranteeFund, self.amount)
            .build()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_available_balance_pays_first_then_the_deposit_then_a_negative_balance() {
        // Covered by the balance.
        assert_eq!(
            recovery(5_000, 8_000, 10_000),
            Recovery {
                from_available: 5_000,
                from_deposit: 0
            }
        );
        // Nothing available: the deposit pays.
        assert_eq!(
            recovery(5_000, 0, 10_000),
            Recovery {
                from_available: 0,
                from_deposit: 5_000
            }
        );
        // Partly the balance, partly the deposit, the rest leaves the balance negative.
        assert_eq!(
            recovery(9_000, 2_000, 3_000),
            Recovery {
                from_available: 6_000,
                from_deposit: 3_000
            }
        );
        // Already negative: the deposit pays what it can.
        assert_eq!(
            recovery(1_000, -500, 300),
            Recovery {
                from_available: 700,
                from_deposit: 300
            }
        );
    }

    #[test]
    fn the_entry_pays_the_customer_and_charges_the_provider_in_one_balanced_entry() {
        let p = Payout {
            order: OrderId::new(),
            customer: UserId::new(),
            provider: ProviderId::new(),
            amount: Money::from_fen(9_000),
            reference: "guarantee:x".into(),
        };
        let e = p.entry(2_000, 3_000).unwrap();
        let of = |a: Account| -> i64 {
            e.postings
                .iter()
                .filter(|x| x.account == a)
                .map(|x| x.amount)
                .sum()
        };
        assert_eq!(of(Account::CustomerCredit(p.customer)), -9_000);
        assert_eq!(of(Account::ProviderAvailable(p.provider)), 6_000);
        assert_eq!(of(Account::ProviderDeposit(p.provider)), 3_000);
        assert_eq!(of(Account::GuaranteeFund), 0, "the fund is made whole");
        assert!(e.memo.contains("保证金 ¥30.00"));
    }

    proptest! {
        #[test]
        fn recovery_adds_up_and_never_overdraws_the_deposit(
            amount in 0i64..10_000_000, available in -10_000_000i64..10_000_000, deposit in -1_000i64..10_000_000,
        ) {
            let r = recovery(amount, available, deposit);
            prop_assert_eq!(r.from_available + r.from_deposit, amount);
            prop_assert!(r.from_deposit >= 0 && r.from_deposit <= deposit.max(0));
            // The deposit is touched only for what a positive balance does not cover.
            prop_assert!(r.from_deposit <= (amount - available.max(0)).max(0));
            // A positive balance is used before the deposit.
            prop_assert!(r.from_available >= amount.min(available.max(0)));
        }
    }
}
