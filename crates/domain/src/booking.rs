//! Orders (订单): the state machine from placing to confirming, the price explanation of a
//! booking, and the cancellation policy that decides fees and credits. The amounts are computed
//! here; moving money belongs to the ledger.

use crate::{
    DomainError,
    listing::{PriceOption, PricingUnit},
    money::Money,
    time::{HOUR_MS, Timestamp},
};

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Placed; the slot is held until the payment window closes.
    PendingPayment,
    /// Paid; the provider has until the acceptance deadline.
    AwaitingAcceptance,
    /// The provider will come.
    Accepted,
    /// The provider has checked in.
    InService,
    /// The provider checked out of an hourly job that overran: the extra (补款) waits for the
    /// customer to pay or decline it (待补款).
    AwaitingSupplement,
    /// The provider says the job is done.
    Completed,
    /// The customer confirmed (or the confirmation window passed).
    Confirmed,
    /// Cancelled by the customer or the provider.
    Cancelled,
    /// Not paid in time.
    Expired,
    /// Declined by the provider, or not accepted in time.
    Declined,
}

/// Everything that can happen to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderAction {
    /// Payment arrived; `instant` listings skip acceptance.
    Pay {
        /// The listing is instant-book.
        instant: bool,
    },
    /// The payment window closed.
    Expire,
    /// The provider accepts.
    Accept,
    /// The provider declines.
    Decline,
    /// The acceptance deadline passed.
    AcceptDeadlinePassed,
    /// The customer cancels.
    CustomerCancel,
    /// The provider cancels an accepted order.
    ProviderCancel,
    /// The provider did not come (recorded by an operator or the customer after the start).
    ProviderNoShow,
    /// Moved to another start time (status unchanged).
    Reschedule,
    /// The provider checks in.
    Start,
    /// The provider completes.
    Complete,
    /// The provider checks out of an hourly job that overran what was paid.
    AwaitSupplement,
    /// The customer paid the supplement.
    SupplementPaid,
    /// The customer declined the supplement: completed at the amount already paid.
    SupplementDeclined,
    /// The customer neither paid nor declined in time: completed at the amount already paid.
    SupplementLapsed,
    /// The customer confirms.
    Confirm,
}

impl OrderStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [OrderStatus; 10] = [
        Self::PendingPayment,
        Self::AwaitingAcceptance,
        Self::Accepted,
        Self::InService,
        Self::AwaitingSupplement,
        Self::Completed,
        Self::Confirmed,
        Self::Cancelled,
        Self::Expired,
        Self::Declined,
    ];

    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingPayment => "pending_payment",
            Self::AwaitingAcceptance => "awaiting_acceptance",
            Self::Accepted => "accepted",
            Self::InService => "in_service",
            Self::AwaitingSupplement => "awaiting_supplement",
            Self::Completed => "completed",
            Self::Confirmed => "confirmed",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
            Self::Declined => "declined",
        }
    }

    /// Parses stored text.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or(DomainError::Invalid("order status"))
    }

    /// Whether the order still holds its time on the provider's calendar.
    pub fn holds_slot(self) -> bool {
        matches!(
            self,
            Self::PendingPayment | Self::AwaitingAcceptance | Self::Accepted | Self::InService
        )
    }

    /// Whether nothing more can happen to the order.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Confirmed | Self::Cancelled | Self::Expired | Self::Declined
        )
    }

    /// Whether the provider may see the customer's phone and full address (after accepting).
    pub fn reveals_contact(self) -> bool {
        matches!(
            self,
            Self::Accepted | Self::InService | Self::AwaitingSupplement | Self::Completed
        )
    }

    /// The status after the provider checks out with `extra` above what was paid: completed,
    /// or awaiting the customer's supplement when there is one. Refused unless in service.
    pub fn check_out(self, extra: Money) -> Result<Self, DomainError> {
        if extra.fen() < 0 {
            return Err(DomainError::InvalidPrice);
        }
        self.after(if extra.fen() > 0 {
            OrderAction::AwaitSupplement
        } else {
            OrderAction::Complete
        })
    }

    /// The status after `action`, or [`DomainError::InvalidTransition`].
    pub fn after(self, action: OrderAction) -> Result<Self, DomainError> {
        use OrderAction as A;
        use OrderStatus as S;
        let next = match (self, action) {
            (S::PendingPayment, A::Pay { instant: true }) => S::Accepted,
            (S::PendingPayment, A::Pay { instant: false }) => S::AwaitingAcceptance,
            (S::PendingPayment, A::Expire) => S::Expired,
            (S::AwaitingAcceptance, A::Accept) => S::Accepted,
            (S::AwaitingAcceptance, A::Decline | A::AcceptDeadlinePassed) => S::Declined,
            (S::PendingPayment | S::AwaitingAcceptance | S::Accepted, A::CustomerCancel)
            | (S::Accepted, A::ProviderCancel | A::ProviderNoShow) => S::Cancelled,
            (S::PendingPayment | S::AwaitingAcceptance | S::Accepted, A::Reschedule) => self,
            (S::Accepted, A::Start) => S::InService,
            (S::InService, A::Complete) => S::Completed,
            (S::InService, A::AwaitSupplement) => S::AwaitingSupplement,
            (
                S::AwaitingSupplement,
                A::SupplementPaid | A::SupplementDeclined | A::SupplementLapsed,
            ) => S::Completed,
            (S::Completed, A::Confirm) => S::Confirmed,
            _ => return Err(DomainError::InvalidTransition),
        };
        Ok(next)
    }
}

/// A cancellation policy: tiers by hours before the start. Cancelling at least `hours` before
/// the start costs `percent` of the total; the first tier that applies (largest `hours` first)
/// wins, and later than every tier costs 100 %.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelPolicy {
    /// Free until 2 h before, 50 % after.
    Flexible,
    /// Free until 24 h before, 50 % until 2 h, 100 % after.
    Standard,
    /// Free until 48 h before, 50 % until 24 h, 100 % after.
    Strict,
}

impl CancelPolicy {
    /// Every policy.
    pub const ALL: [CancelPolicy; 3] = [Self::Flexible, Self::Standard, Self::Strict];

    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Flexible => "flexible",
            Self::Standard => "standard",
            Self::Strict => "strict",
        }
    }

    /// Parses stored or submitted text.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or(DomainError::Invalid("cancellation policy"))
    }

    /// `(hours before start, percent charged)`, largest hours first.
    pub fn tiers(self) -> &'static [(i64, i64)] {
        match self {
            Self::Flexible => &[(2, 0), (0, 50)],
            Self::Standard => &[(24, 0), (2, 50)],
            Self::Strict => &[(48, 0), (24, 50)],
        }
    }

    /// The percent charged when cancelling at `now` an order starting at `start`.
    pub fn percent(self, start: Timestamp, now: Timestamp) -> i64 {
        let before = start.0 - now.0;
        self.tiers()
            .iter()
            .find(|(hours, _)| before >= hours * HOUR_MS)
            .map_or(100, |&(_, pct)| pct)
    }

    /// The fee for cancelling `total` at `now`: the percent of it, rounded down to the 分 (in
    /// the customer's favour).
    pub fn fee(self, total: Money, start: Timestamp, now: Timestamp) -> Money {
        Money::from_fen(total.fen() * self.percent(start, now) / 100)
    }
}

/// What a customer owes or gets when an order is cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CancelTerms {
    /// Kept from the customer's payment, for the provider.
    pub fee: Money,
    /// Goes back to the customer.
    pub refund: Money,
    /// Extra credit for the customer when the provider let them down.
    pub credit: Money,
    /// Whether the provider's reliability score suffers.
    pub provider_at_fault: bool,
}

/// Credit a customer receives when the provider cancels or does not come: 10 % of the total,
/// at least ¥10, never more than the total.
pub fn provider_fault_credit(total: Money) -> Money {
    Money::from_fen((total.fen() / 10).max(1_000).min(total.fen()))
}

/// The terms of cancelling an order in `status` by `action` at `now`.
pub fn cancel_terms(
    status: OrderStatus,
    action: OrderAction,
    policy: CancelPolicy,
    total: Money,
    start: Timestamp,
    now: Timestamp,
) -> Result<CancelTerms, DomainError> {
    status.after(action)?;
    let paid = !matches!(status, OrderStatus::PendingPayment);
    let terms = match action {
        OrderAction::CustomerCancel => {
            // Before the provider accepted, cancelling is free.
            let fee = if status == OrderStatus::Accepted {
                policy.fee(total, start, now)
            } else {
                Money::ZERO
            };
            CancelTerms {
                fee,
                refund: if paid {
                    Money::from_fen(total.fen() - fee.fen())
                } else {
                    Money::ZERO
                },
                credit: Money::ZERO,
                provider_at_fault: false,
            }
        }
        OrderAction::ProviderCancel | OrderAction::ProviderNoShow => CancelTerms {
            fee: Money::ZERO,
            refund: total,
            credit: provider_fault_credit(total),
            provider_at_fault: true,
        },
        _ => return Err(DomainError::InvalidTransition),
    };
    Ok(terms)
}

/// How many times a customer may move one order, and how close to the start.
pub const MAX_RESCHEDULES: i64 = 2;
/// Rescheduling closes this long before the start.
pub const RESCHEDULE_CLOSES_HOURS: i64 = 2;

/// Whether the order may still be moved at `now`.
pub fn may_reschedule(
    status: OrderStatus,
    times_moved: i64,
    start: Timestamp,
    now: Timestamp,
) -> Result<(), DomainError> {
    status.after(OrderAction::Reschedule)?;
    if times_moved >= MAX_RESCHEDULES || start.0 - now.0 < RESCHEDULE_CLOSES_HOURS * HOUR_MS {
        return Err(DomainError::Invalid("reschedule window"));
    }
    Ok(())
}

/// One line of the price explanation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PriceLine {
    /// What it is for (base, a variant, an add-on, the zone surcharge).
    pub label: String,
    /// Amount.
    pub amount: Money,
}

/// The price explanation of a booking, and how long it takes (kept as JSON on the order).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Quote {
    /// Lines, base first, surcharge last.
    pub lines: Vec<PriceLine>,
    /// The sum of the lines.
    pub total: Money,
    /// Minutes the job takes.
    pub minutes: i64,
    /// The chosen variant's name, if any.
    pub variant: Option<String>,
    /// The chosen add-ons' names.
    pub addons: Vec<String>,
    /// Units booked (hours, m², items; 1 for fixed prices).
    pub units: i64,
}

/// What a listing offers, as the quote needs it.
#[derive(Debug, Clone, Copy)]
pub struct Offer<'a> {
    /// Pricing unit.
    pub unit: PricingUnit,
    /// Base price per unit.
    pub price: Money,
    /// Minimum units.
    pub min_units: i64,
    /// Estimated minutes (fixed, per m² and per item prices).
    pub minutes: i64,
    /// Variants and add-ons.
    pub options: &'a [PriceOption],
}

/// Most units one booking may have.
pub const MAX_UNITS: i64 = 1_000;

/// Prices a booking: the variant (or the base price) per unit times the units (at least the
/// minimum; hourly bookings take that many hours), plus each add-on, plus the zone surcharge.
/// Unknown variants or add-ons, too few or too many units are refused.
pub fn quote(
    offer: Offer<'_>,
    variant: Option<&str>,
    addons: &[String],
    units: i64,
    surcharge: Money,
) -> Result<Quote, DomainError> {
    let units = if offer.unit == PricingUnit::Fixed {
        1
    } else {
        units
    };
    if units < offer.min_units.max(1) || units > MAX_UNITS {
        return Err(DomainError::Invalid("quantity"));
    }
    let overflow = || DomainError::InvalidPrice;
    let (base_label, unit_price, variant_minutes) = match variant.filter(|v| !v.is_empty()) {
        Some(name) => {
            let v = offer
                .options
                .iter()
                .find(|o| o.kind == "variant" && o.name == name)
                .ok_or(DomainError::Invalid("variant"))?;
            (
                v.name.clone(),
                Money::from_fen(v.price_fen),
                Some(v.minutes),
            )
        }
        None => ("基础价".to_owned(), offer.price, None),
    };
    let base = unit_price.checked_mul(units).ok_or_else(overflow)?;
    let label = if offer.unit == PricingUnit::Fixed {
        base_label
    } else {
        format!("{base_label} × {units}")
    };
    let mut lines = vec![PriceLine {
        label,
        amount: base,
    }];
    let mut minutes = match offer.unit {
        PricingUnit::Hourly => units * 60,
        _ => variant_minutes.filter(|m| *m > 0).unwrap_or(offer.minutes),
    };
    let mut chosen = Vec::new();
    for name in addons {
        if chosen.contains(name) {
            continue;
        }
        let a = offer
            .options
            .iter()
            .find(|o| o.kind == "addon" && &o.name == name)
            .ok_or(DomainError::Invalid("add-on"))?;
        lines.push(PriceLine {
            label: format!("+{}", a.name),
            amount: Money::from_fen(a.price_fen),
        });
        minutes += a.minutes.max(0);
        chosen.push(name.clone());
    }
    if surcharge.fen() > 0 {
        lines.push(PriceLine {
            label: "区域附加费".to_owned(),
            amount: surcharge,
        });
    }
    let total = lines
        .iter()
        .try_fold(Money::ZERO, |sum, l| sum.checked_add(l.amount))
        .ok_or_else(overflow)?;
    Ok(Quote {
        lines,
        total,
        minutes,
        variant: variant.filter(|v| !v.is_empty()).map(str::to_owned),
        addons: chosen,
        units,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_machine_allows_only_its_transitions() {
        use OrderAction as A;
        use OrderStatus as S;
        assert_eq!(
            S::PendingPayment.after(A::Pay { instant: false }),
            Ok(S::AwaitingAcceptance)
        );
        assert_eq!(
            S::PendingPayment.after(A::Pay { instant: true }),
            Ok(S::Accepted)
        );
        assert_eq!(
            S::AwaitingAcceptance.after(A::AcceptDeadlinePassed),
            Ok(S::Declined)
        );
        assert_eq!(S::Accepted.after(A::Start), Ok(S::InService));
        assert_eq!(S::Completed.after(A::Confirm), Ok(S::Confirmed));
        for (from, action) in [
            (S::PendingPayment, A::Accept),
            (S::Expired, A::Pay { instant: false }),
            (S::Declined, A::Accept),
            (S::AwaitingAcceptance, A::Expire),
            (S::Cancelled, A::CustomerCancel),
            (S::InService, A::CustomerCancel),
            (S::AwaitingAcceptance, A::ProviderCancel),
            (S::Completed, A::Reschedule),
            (S::InService, A::SupplementPaid),
            (S::Completed, A::SupplementDeclined),
            (S::AwaitingSupplement, A::Confirm),
            (S::AwaitingSupplement, A::CustomerCancel),
            (S::AwaitingSupplement, A::Complete),
            (S::Accepted, A::AwaitSupplement),
        ] {
            assert_eq!(
                from.after(action),
                Err(DomainError::InvalidTransition),
                "{from:?} {action:?}"
            );
        }
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Ok(s));
            assert!(!(s == S::AwaitingSupplement && (s.holds_slot() || s.is_final())));
            assert!(!(s.holds_slot() && s.is_final()));
        }
    }

    #[test]
    fn an_overrun_check_out_waits_for_the_supplement_which_any_answer_completes() {
        use OrderAction as A;
        use OrderStatus as S;
        assert_eq!(S::InService.check_out(Money::ZERO), Ok(S::Completed));
        assert_eq!(
            S::InService.check_out(Money::from_fen(1_125)),
            Ok(S::AwaitingSupplement)
        );
        assert_eq!(
            S::InService.check_out(Money::from_fen(-1)),
            Err(DomainError::InvalidPrice)
        );
        for s in [
            S::Accepted,
            S::AwaitingSupplement,
            S::Completed,
            S::Confirmed,
        ] {
            assert_eq!(
                s.check_out(Money::from_fen(100)),
                Err(DomainError::InvalidTransition),
                "{s:?}"
            );
        }
        for a in [
            A::SupplementPaid,
            A::SupplementDeclined,
            A::SupplementLapsed,
        ] {
            assert_eq!(S::AwaitingSupplement.after(a), Ok(S::Completed));
            // Answered once: a second answer is refused.
            assert_eq!(S::Completed.after(a), Err(DomainError::InvalidTransition));
        }
        assert!(S::AwaitingSupplement.reveals_contact());
    }

    #[test]
    fn cancellation_fees_follow_the_tiers() {
        let start = Timestamp(100 * HOUR_MS);
        let total = Money::from_fen(30_001);
        let at = |h: i64| Timestamp(start.0 - h * HOUR_MS);
        let p = CancelPolicy::Standard;
        assert_eq!(p.fee(total, start, at(25)), Money::ZERO);
        assert_eq!(p.fee(total, start, at(24)), Money::ZERO);
        assert_eq!(p.fee(total, start, at(23)), Money::from_fen(15_000));
        assert_eq!(p.fee(total, start, at(1)), total);
        assert_eq!(CancelPolicy::Flexible.percent(start, at(1)), 50);
        assert_eq!(CancelPolicy::Strict.percent(start, at(30)), 50);

        let accepted = cancel_terms(
            OrderStatus::Accepted,
            OrderAction::CustomerCancel,
            p,
            total,
            start,
            at(10),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(accepted.fee.fen() + accepted.refund.fen(), total.fen());
        let unpaid = cancel_terms(
            OrderStatus::PendingPayment,
            OrderAction::CustomerCancel,
            p,
            total,
            start,
            at(1),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((unpaid.fee, unpaid.refund), (Money::ZERO, Money::ZERO));
        let provider = cancel_terms(
            OrderStatus::Accepted,
            OrderAction::ProviderCancel,
            p,
            total,
            start,
            at(1),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(provider.provider_at_fault);
        assert_eq!(provider.refund, total);
        assert_eq!(provider.credit, Money::from_fen(3_000));
        assert_eq!(
            provider_fault_credit(Money::from_fen(500)),
            Money::from_fen(500)
        );
    }

    #[test]
    fn quotes_explain_the_price() {
        let options = vec![
            PriceOption {
                kind: "variant".into(),
                name: "三室".into(),
                price_fen: 30_000,
                minutes: 240,
            },
            PriceOption {
                kind: "addon".into(),
                name: "擦玻璃".into(),
                price_fen: 5_000,
                minutes: 60,
            },
        ];
        let fixed = Offer {
            unit: PricingUnit::Fixed,
            price: Money::from_fen(20_000),
            min_units: 1,
            minutes: 180,
            options: &options,
        };
        let q = quote(
            fixed,
            Some("三室"),
            &["擦玻璃".into()],
            1,
            Money::from_fen(1_000),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(q.total, Money::from_fen(36_000));
        assert_eq!(q.minutes, 300);
        assert_eq!(q.lines.len(), 3);
        let plain = quote(fixed, None, &[], 7, Money::ZERO).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (plain.total, plain.minutes, plain.units),
            (Money::from_fen(20_000), 180, 1)
        );
        assert!(quote(fixed, Some("五室"), &[], 1, Money::ZERO).is_err());
        assert!(quote(fixed, None, &["打蜡".into()], 1, Money::ZERO).is_err());

        let hourly = Offer {
            unit: PricingUnit::Hourly,
            price: Money::from_fen(5_000),
            min_units: 2,
            minutes: 120,
            options: &[],
        };
        let q = quote(hourly, None, &[], 3, Money::ZERO).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((q.total, q.minutes), (Money::from_fen(15_000), 180));
        assert!(quote(hourly, None, &[], 1, Money::ZERO).is_err());
        assert!(quote(hourly, None, &[], MAX_UNITS + 1, Money::ZERO).is_err());
    }

    #[test]
    fn rescheduling_has_a_window_and_a_limit() {
        let start = Timestamp(100 * HOUR_MS);
        let early = Timestamp(start.0 - 5 * HOUR_MS);
        assert!(may_reschedule(OrderStatus::Accepted, 0, start, early).is_ok());
        assert!(may_reschedule(OrderStatus::Accepted, 2, start, early).is_err());
        assert!(
            may_reschedule(
                OrderStatus::Accepted,
                0,
                start,
                Timestamp(start.0 - HOUR_MS)
            )
            .is_err()
        );
        assert!(may_reschedule(OrderStatus::Completed, 0, start, early).is_err());
    }
}
