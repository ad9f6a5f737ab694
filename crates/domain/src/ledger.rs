//! The ledger's rules: accounts, balanced journal entries and commission arithmetic.
//!
//! Amounts are signed 分 from the platform's point of view: a debit is positive, a credit
//! negative, and every entry sums to zero. Assets (money at the payment provider) therefore carry
//! positive balances and what the platform owes (escrow, providers' balances, refunds to pay,
//! revenue) negative ones; pages show an account's [`Account::owed`] figure, which is positive
//! for what is owed.

use crate::{
    DomainError,
    ids::{OrderId, ProviderId, UserId},
    money::Money,
};

/// A ledger account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Account {
    /// The platform's money held at the payment provider (an asset).
    Psp,
    /// What a customer paid for an order, held until the order is confirmed (平台担保).
    Escrow(OrderId),
    /// Refunds decided and not yet paid out by the payment provider.
    RefundPayable,
    /// A provider's earnings inside the settlement delay.
    ProviderPending(ProviderId),
    /// A provider's earnings they may withdraw. May go negative when the provider owes.
    ProviderAvailable(ProviderId),
    /// Withdrawals requested and not yet paid out.
    ProviderWithdrawing(ProviderId),
    /// The platform's commission income.
    CommissionRevenue,
    /// The platform's withdrawal-fee income.
    FeeRevenue,
    /// Credit owed to a customer after a provider's fault (used by later promotions).
    CustomerCredit(UserId),
    /// The platform's 先行赔付 fund, financed by a slice of commission; owed-style like revenue.
    GuaranteeFund,
    /// A provider's deposit (保证金): paid in through the payment provider, held by the
    /// platform, drawn on when a 先行赔付 payout is more than the provider's available balance.
    ProviderDeposit(ProviderId),
}

impl Account {
    /// The stored key, e.g. `escrow:0190…`.
    pub fn key(&self) -> String {
        match self {
            Self::Psp => "psp".into(),
            Self::Escrow(o) => format!("escrow:{o}"),
            Self::RefundPayable => "refund_payable".into(),
            Self::ProviderPending(p) => format!("provider_pending:{p}"),
            Self::ProviderAvailable(p) => format!("provider_available:{p}"),
            Self::ProviderWithdrawing(p) => format!("provider_withdrawing:{p}"),
            Self::CommissionRevenue => "revenue:commission".into(),
            Self::FeeRevenue => "revenue:withdrawal_fee".into(),
            Self::CustomerCredit(u) => format!("customer_credit:{u}"),
            Self::GuaranteeFund => "guarantee_fund".into(),
            Self::ProviderDeposit(p) => format!("provider_deposit:{p}"),
        }
    }

    /// Parses a stored key.
    pub fn parse(key: &str) -> Result<Self, DomainError> {
        let bad = || DomainError::Invalid("account");
        Ok(match key.split_once(':') {
            None => match key {
                "psp" => Self::Psp,
                "refund_payable" => Self::RefundPayable,
                "guarantee_fund" => Self::GuaranteeFund,
                _ => return Err(bad()),
            },
            Some(("revenue", "commission")) => Self::CommissionRevenue,
            Some(("revenue", "withdrawal_fee")) => Self::FeeRevenue,
            Some(("escrow", id)) => Self::Escrow(id.parse()?),
            Some(("provider_pending", id)) => Self::ProviderPending(id.parse()?),
            Some(("provider_available", id)) => Self::ProviderAvailable(id.parse()?),
            Some(("provider_withdrawing", id)) => Self::ProviderWithdrawing(id.parse()?),
            Some(("customer_credit", id)) => Self::CustomerCredit(id.parse()?),
            Some(("provider_deposit", id)) => Self::ProviderDeposit(id.parse()?),
            Some(_) => return Err(bad()),
        })
    }

    /// True for the one asset account; everything else is owed by the platform to someone.
    pub fn is_asset(&self) -> bool {
        matches!(self, Self::Psp)
    }

    /// The figure people read: the balance for the asset, minus the balance for what is owed.
    pub fn owed(&self, balance: i64) -> i64 {
        if self.is_asset() { balance } else { -balance }
    }

    /// Chinese label for pages.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Psp => "支付渠道资金",
            Self::Escrow(_) => "订单担保金",
            Self::RefundPayable => "待退款",
            Self::ProviderPending(_) => "待结算收益",
            Self::ProviderAvailable(_) => "可提现余额",
            Self::ProviderWithdrawing(_) => "提现中",
            Self::CommissionRevenue => "平台佣金收入",
            Self::FeeRevenue => "提现手续费收入",
            Self::CustomerCredit(_) => "用户补偿金",
            Self::GuaranteeFund => "先行赔付基金",
            Self::ProviderDeposit(_) => "服务商保证金",
        }
    }
}

/// What a journal entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A payment captured into escrow.
    Capture,
    /// Escrow returned to the customer (decline, cancel, expiry, admin decision) and any fee
    /// kept for the provider.
    RefundDecided,
    /// The payment provider paid a refund out.
    RefundPaid,
    /// Escrow released on confirmation: the provider's share and the commission.
    Release,
    /// The settlement delay passed: pending earnings become available.
    Settle,
    /// A refund after release, taken back from the provider and the commission.
    Clawback,
    /// A credit to the customer charged to the provider at fault.
    Credit,
    /// A withdrawal requested (held).
    WithdrawRequested,
    /// A withdrawal paid out by the payment provider (with its fee).
    WithdrawPaid,
    /// A withdrawal rejected or failed (hold returned).
    WithdrawReturned,
    /// A correction: the exact reverse of an earlier entry.
    Reversal,
    /// A slice of commission set aside for the 先行赔付 fund.
    GuaranteeFunding,
    /// A 先行赔付 payout to a customer, charged to the provider at fault.
    GuaranteePayout,
    /// A provider paid (part of) its deposit.
    DepositPaid,
}

impl EntryKind {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Capture => "capture",
            Self::RefundDecided => "refund_decided",
            Self::RefundPaid => "refund_paid",
            Self::Release => "release",
            Self::Settle => "settle",
            Self::Clawback => "clawback",
            Self::Credit => "credit",
            Self::WithdrawRequested => "withdraw_requested",
            Self::WithdrawPaid => "withdraw_paid",
            Self::WithdrawReturned => "withdraw_returned",
            Self::Reversal => "reversal",
            Self::GuaranteeFunding => "guarantee_funding",
            Self::GuaranteePayout => "guarantee_payout",
            Self::DepositPaid => "deposit_paid",
        }
    }

    /// Chinese label for pages.
    pub fn label(self) -> &'static str {
        match self {
            Self::Capture => "支付入担保",
            Self::RefundDecided => "退款",
            Self::RefundPaid => "退款到账",
            Self::Release => "确认完成结算",
            Self::Settle => "结算到可提现",
            Self::Clawback => "售后扣回",
            Self::Credit => "违约补偿",
            Self::WithdrawRequested => "申请提现",
            Self::WithdrawPaid => "提现到账",
            Self::WithdrawReturned => "提现退回",
            Self::Reversal => "冲正",
            Self::GuaranteeFunding => "资金计提",
            Self::GuaranteePayout => "先行赔付",
            Self::DepositPaid => "缴纳保证金",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        [
            Self::Capture,
            Self::RefundDecided,
            Self::RefundPaid,
            Self::Release,
            Self::Settle,
            Self::Clawback,
            Self::Credit,
            Self::WithdrawRequested,
            Self::WithdrawPaid,
            Self::WithdrawReturned,
            Self::Reversal,
            Self::GuaranteeFunding,
            Self::GuaranteePayout,
            Self::DepositPaid,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
        .ok_or(DomainError::Invalid("entry kind"))
    }
}

/// One line of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    /// The account.
    pub account: Account,
    /// Signed 分: debit positive, credit negative.
    pub amount: i64,
}

/// A balanced journal entry, ready to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// What it records.
    pub kind: EntryKind,
    /// The order it belongs to, if any.
    pub order: Option<OrderId>,
    /// A unique reference that makes appending it idempotent (e.g. `capture:<out_trade_no>`).
    pub reference: Option<String>,
    /// Free text for the explorer.
    pub memo: String,
    /// The lines; never empty, never a zero amount, summing to zero.
    pub postings: Vec<Posting>,
}

/// Builds an [`Entry`]; [`EntryBuilder::build`] refuses an unbalanced one.
#[derive(Debug)]
pub struct EntryBuilder {
    entry: Entry,
}

impl Entry {
    /// Starts an entry.
    pub fn builder(kind: EntryKind) -> EntryBuilder {
        EntryBuilder {
            entry: Entry {
                kind,
                order: None,
                reference: None,
                memo: String::new(),
                postings: Vec::new(),
            },
        }
    }

    /// The exact reverse of this entry (a correction never edits a posting).
    pub fn reversal(&self, reference: Option<String>, memo: &str) -> Entry {
        Entry {
            kind: EntryKind::Reversal,
            order: self.order,
            reference,
            memo: memo.to_owned(),
            postings: self
                .postings
                .iter()
                .map(|p| Posting {
                    account: p.account,
                    amount: -p.amount,
                })
                .collect(),
        }
    }
}

impl EntryBuilder {
    /// The order it belongs to.
    pub fn order(mut self, order: OrderId) -> Self {
        self.entry.order = Some(order);
        self
    }
    /// A unique reference.
    pub fn reference(mut self, reference: impl Into<String>) -> Self {
        self.entry.reference = Some(reference.into());
        self
    }
    /// A memo.
    pub fn memo(mut self, memo: impl Into<String>) -> Self {
        self.entry.memo = memo.into();
        self
    }
    /// Debits `account` with `amount` (zero amounts are left out).
    pub fn debit(mut self, account: Account, amount: Money) -> Self {
        if amount.fen() != 0 {
            self.entry.postings.push(Posting {
                account,
                amount: amount.fen(),
            });
        }
        self
    }
    /// Credits `account` with `amount` (zero amounts are left out).
    pub fn credit(mut self, account: Account, amount: Money) -> Self {
        if amount.fen() != 0 {
            self.entry.postings.push(Posting {
                account,
                amount: -amount.fen(),
            });
        }
        self
    }
    /// The entry, if it balances and has lines.
    pub fn build(self) -> Result<Entry, DomainError> {
        let mut sum: i64 = 0;
        for p in &self.entry.postings {
            sum = sum
                .checked_add(p.amount)
                .ok_or(DomainError::Invalid("amount"))?;
        }
        if sum != 0 || self.entry.postings.is_empty() {
            return Err(DomainError::Invalid("unbalanced entry"));
        }
        Ok(self.entry)
    }
}

/// A commission rate with its minimum fee. Rates are basis points (1 bp = 0.01 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Commission {
    /// Basis points, 0..=10000.
    pub bps: i64,
    /// Minimum fee in 分 for a non-zero amount.
    pub min_fen: i64,
}

impl Commission {
    /// Checks the range.
    pub fn new(bps: i64, min_fen: i64) -> Result<Self, DomainError> {
        if !(0..=10_000).contains(&bps) {
            return Err(DomainError::Invalid("rate"));
        }
        if !(0..=10_000_000).contains(&min_fen) {
            return Err(DomainError::Invalid("minimum fee"));
        }
        Ok(Self { bps, min_fen })
    }

    /// The commission on `gross` kept by the platform: `gross × bps / 10000` rounded **down**
    /// to the 分 (in the provider's favour), at least the minimum fee, never more than `gross`.
    pub fn on(self, gross: Money) -> Money {
        let g = gross.fen();
        if g <= 0 {
            return Money::ZERO;
        }
        let rate = i64::try_from(i128::from(g) * i128::from(self.bps) / 10_000).unwrap_or(g);
        Money::from_fen(rate.max(self.min_fen).min(g))
    }

    /// The part of a commission set aside for the 先行赔付 fund at `fund_bps` (rounded down,
    /// never more than the commission).
    pub fn fund_slice(commission: Money, fund_bps: i64) -> Money {
        let c = commission.fen().max(0);
        let bps = fund_bps.clamp(0, 10_000);
        Money::from_fen(i64::try_from(i128::from(c) * i128::from(bps) / 10_000).unwrap_or(c))
    }

    /// How `gross` splits: `(provider share, commission)`; the two always add up to `gross`.
    pub fn split(self, gross: Money) -> (Money, Money) {
        let c = self.on(gross);
        (Money::from_fen(gross.fen() - c.fen()), c)
    }

    /// The commission to give back when the amount the platform keeps for an order falls from
    /// `kept_before` to `kept_after` (a refund after release). Refunding everything in pieces
    /// gives back exactly what was taken.
    pub fn given_back(self, kept_before: Money, kept_after: Money) -> Money {
        Money::from_fen(self.on(kept_before).fen() - self.on(kept_after).fen())
    }

    /// `12.5%` style label.
    pub fn label(self) -> String {
        let whole = self.bps / 100;
        let frac = self.bps % 100;
        let mut s = if frac == 0 {
            format!("{whole}%")
        } else if frac % 10 == 0 {
            format!("{whole}.{}%", frac / 10)
        } else {
            format!("{whole}.{frac:02}%")
        };
        if self.min_fen > 0 {
            s.push_str(&format!(
                "（最低 ¥{}）",
                Money::from_fen(self.min_fen).yuan_string()
            ));
        }
        s
    }
}

/// How a withdrawal amount splits into the fee and what is paid out.
pub fn withdrawal_fee(amount: Money, fee_bps: i64, min_fee: Money) -> Money {
    let rate = amount.fen().saturating_mul(fee_bps) / 10_000;
    Money::from_fen(rate.max(min_fee.fen()).min(amount.fen()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    fn m(f: i64) -> Money {
        Money::from_fen(f)
    }

    #[test]
    fn account_keys_round_trip() {
        let o = OrderId::new();
        let p = ProviderId::new();
        let u = UserId::new();
        for a in [
            Account::Psp,
            Account::Escrow(o),
            Account::RefundPayable,
            Account::ProviderPending(p),
            Account::ProviderAvailable(p),
            Account::ProviderWithdrawing(p),
            Account::CommissionRevenue,
            Account::FeeRevenue,
            Account::CustomerCredit(u),
            Account::GuaranteeFund,
            Account::ProviderDeposit(p),
        ] {
            assert_eq!(Account::parse(&a.key()).unwrap(), a);
        }
        assert_eq!(Account::ProviderDeposit(p).label(), "服务商保证金");
        assert!(!Account::ProviderDeposit(p).is_asset());
        assert_eq!(Account::GuaranteeFund.key(), "guarantee_fund");
        assert_eq!(Account::GuaranteeFund.label(), "先行赔付基金");
        assert!(!Account::GuaranteeFund.is_asset());
        assert!(Account::parse("escrow:nope").is_err());
        assert!(Account::parse("bank").is_err());
    }

    #[test]
    fn a_capture_debits_the_psp_and_fills_escrow() {
        let o = OrderId::new();
        let e = Entry::builder(EntryKind::Capture)
            .order(o)
            .debit(Account::Psp, m(10_000))
            .credit(Account::Escrow(o), m(10_000))
            .build()
            .unwrap();
        // Money arrives at the PSP (asset up) and is owed to the order (liability up).
        assert_eq!(e.postings[0].amount + e.postings[1].amount, 0);
        let escrow = e
            .postings
            .iter()
            .find(|p| p.account == Account::Escrow(o))
            .unwrap();
        assert_eq!(Account::Escrow(o).owed(escrow.amount), 10_000);
    }

    #[test]
    fn an_unbalanced_or_empty_entry_is_refused() {
        let o = OrderId::new();
        assert!(
            Entry::builder(EntryKind::Capture)
                .debit(Account::Psp, m(100))
                .credit(Account::Escrow(o), m(99))
                .build()
                .is_err()
        );
        assert!(Entry::builder(EntryKind::Capture).build().is_err());
        assert!(
            Entry::builder(EntryKind::Capture)
                .debit(Account::Psp, m(0))
                .credit(Account::Escrow(o), m(0))
                .build()
                .is_err()
        );
    }

    #[test]
    fn commission_rounds_down_has_a_minimum_and_never_exceeds_gross() {
        let c = Commission::new(1_250, 0).unwrap();
        assert_eq!(c.on(m(10_001)), m(1_250)); // 1250.125 → 1250
        let c = Commission::new(1_000, 500).unwrap();
        assert_eq!(c.on(m(2_000)), m(500)); // 200 < minimum 500
        assert_eq!(c.on(m(300)), m(300)); // never more than the amount
        assert_eq!(c.on(m(0)), m(0));
        assert_eq!(Commission::new(0, 0).unwrap().on(m(9_999)), m(0));
        assert!(Commission::new(10_001, 0).is_err());
        assert!(Commission::new(-1, 0).is_err());
        assert_eq!(Commission::new(1_250, 0).unwrap().label(), "12.5%");
        assert_eq!(
            Commission::new(1_000, 500).unwrap().label(),
            "10%（最低 ¥5.00）"
        );
    }

    #[test]
    fn guarantee_entry_kinds_round_trip_and_the_fund_slice_rounds_down() {
        for k in [
            EntryKind::GuaranteeFunding,
            EntryKind::GuaranteePayout,
            EntryKind::DepositPaid,
        ] {
            assert_eq!(EntryKind::parse(k.as_str()).unwrap(), k);
        }
        assert_eq!(EntryKind::GuaranteePayout.label(), "先行赔付");
        assert_eq!(Commission::fund_slice(m(1_999), 1_000), m(199));
        assert_eq!(Commission::fund_slice(m(1_000), 0), m(0));
        assert_eq!(Commission::fund_slice(m(1_000), 20_000), m(1_000));
        assert_eq!(Commission::fund_slice(m(-5), 1_000), m(0));
    }

    #[test]
    fn reversal_undoes_an_entry() {
        let o = OrderId::new();
        let e = Entry::builder(EntryKind::Capture)
            .debit(Account::Psp, m(500))
            .credit(Account::Escrow(o), m(500))
            .build()
            .unwrap();
        let r = e.reversal(None, "wrong order");
        for (a, b) in e.postings.iter().zip(&r.postings) {
            assert_eq!(a.amount, -b.amount);
        }
    }

    proptest! {
        #[test]
        fn share_plus_commission_is_gross(g in 0i64..10_000_000, bps in 0i64..=10_000, min in 0i64..10_000) {
            let c = Commission::new(bps, min).unwrap();
            let (share, fee) = c.split(m(g));
            prop_assert_eq!(share.fen() + fee.fen(), g);
            prop_assert!(share.fen() >= 0 && fee.fen() >= 0);
        }

        #[test]
        fn refunding_in_pieces_gives_back_all_commission(
            g in 1i64..1_000_000, bps in 0i64..=10_000, min in 0i64..2_000,
            cuts in proptest::collection::vec(1i64..1_000_000, 1..6),
        ) {
            let c = Commission::new(bps, min).unwrap();
            let mut kept = g;
            let mut back = 0;
            for cut in cuts {
                let after = (kept - cut).max(0);
                let b = c.given_back(m(kept), m(after));
                prop_assert!(b.fen() >= 0);
                prop_assert!(b.fen() <= kept - after);
                back += b.fen();
                kept = after;
            }
            let after = 0;
            back += c.given_back(m(kept), m(after)).fen();
            prop_assert_eq!(back, c.on(m(g)).fen());
        }
    }
}
