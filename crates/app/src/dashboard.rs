//! The provider's business at a glance: orders and income per day over the last 30 days and
//! the services that bring the most orders and income. Computed from the orders and the
//! provider's ledger accounts (no figures of its own are stored).

use std::collections::HashMap;

use linli_domain::{
    ids::{ListingId, OrderId},
    ledger::{Account, EntryKind},
    money::Money,
    time::{Day, Timestamp},
};
use linli_store::OrderRow;

use crate::{Actor, App, AppError, AppResult};

/// Days the charts cover (today included).
pub const DASHBOARD_DAYS: i64 = 30;

/// How many services each ranking lists.
const TOP_N: usize = 5;

/// How far ahead an order can start (the longest booking horizon), so orders received in the
/// window are found by their start time.
const HORIZON_DAYS: i64 = 91;

/// One day of the charts.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DayFigures {
    /// Local date `YYYY-MM-DD`.
    pub date: String,
    /// Paid orders received that day.
    pub orders: i64,
    /// Income credited that day (released earnings, cancellation fees, less clawbacks), 分.
    pub income_fen: i64,
}

/// A service in a ranking.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceFigures {
    /// Listing id.
    pub listing_id: String,
    /// Title (as booked).
    pub title: String,
    /// Paid orders received in the window.
    pub orders: i64,
    /// Income credited in the window, 分.
    pub income_fen: i64,
    /// Income, `¥…`.
    pub income: String,
}

/// The provider's dashboard.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProviderDashboard {
    /// The last [`DASHBOARD_DAYS`] days, oldest first.
    pub days: Vec<DayFigures>,
    /// Paid orders received in the window.
    pub total_orders: i64,
    /// Income in the window, 分.
    pub total_income_fen: i64,
    /// Income in the window, `¥…`.
    pub total_income: String,
    /// Services with the most orders, most first.
    pub top_by_orders: Vec<ServiceFigures>,
    /// Services with the most income, most first.
    pub top_by_income: Vec<ServiceFigures>,
}

fn yuan(fen: i64) -> String {
    format!("¥{}", Money::from_fen(fen).yuan_string())
}

/// Ledger entry kinds that are the provider's income (or take it back).
fn is_income(kind: &str) -> bool {
    [
        EntryKind::Release,
        EntryKind::RefundDecided,
        EntryKind::Clawback,
    ]
    .iter()
    .any(|k| k.as_str() == kind)
}

impl App {
    /// The signed-in approved provider's dashboard for the last 30 days.
    pub async fn provider_dashboard(&self, actor: &Actor) -> AppResult<ProviderDashboard> {
        let me = actor.member()?;
        let p = self
            .store
            .provider_by_user(me.id)
            .await?
            .filter(|p| p.status == "approved")
            .ok_or(AppError::Forbidden)?;
        let today = Day::of(self.now());
        let first = today.plus_days(1 - DASHBOARD_DAYS);
        let from = Timestamp(first.start_ms());
        let to = Timestamp(today.plus_days(1).start_ms());
        let index = |t: Timestamp| -> Option<usize> {
            (t >= from && t < to)
                .then(|| usize::try_from((t.0 - from.0) / linli_domain::time::DAY_MS).ok())
                .flatten()
        };
        let mut days: Vec<DayFigures> = (0..DASHBOARD_DAYS)
            .map(|i| DayFigures {
                date: first.plus_days(i).to_string(),
                orders: 0,
                income_fen: 0,
            })
            .collect();

        // Orders received in the window start at most the horizon later.
        let rows = self
            .store
            .provider_orders(
                p.id,
                &[],
                from,
                Timestamp(today.plus_days(1 + HORIZON_DAYS).start_ms()),
            )
            .await?;
        let mut orders: HashMap<OrderId, OrderRow> = rows.into_iter().map(|o| (o.id, o)).collect();
        let mut services: HashMap<ListingId, ServiceFigures> = HashMap::new();
        let service = |services: &mut HashMap<ListingId, ServiceFigures>, o: &OrderRow| {
            services
                .entry(o.listing_id)
                .or_insert_with(|| ServiceFigures {
                    listing_id: o.listing_id.to_string(),
                    title: o.listing_title.clone(),
                    orders: 0,
                    income_fen: 0,
                    income: String::new(),
                });
        };
        for o in orders.values() {
            if o.paid_fen <= 0 {
                continue;
            }
            if let Some(i) = index(o.created_at) {
                days[i].orders += 1;
                service(&mut services, o);
                if let Some(s) = services.get_mut(&o.listing_id) {
                    s.orders += 1;
                }
            }
        }

        // Income: what release, cancellation fees and clawbacks did to the provider's
        // pending and available accounts (settling moves money between them; not income).
        for account in [
            Account::ProviderPending(p.id),
            Account::ProviderAvailable(p.id),
        ] {
            let key = account.key();
            for e in self.store.account_entries(&key, 1_000).await? {
                if !is_income(&e.kind) {
                    continue;
                }
                let Some(i) = index(e.created_at) else {
                    continue;
                };
                let change: i64 = e
                    .postings
                    .iter()
                    .filter(|(k, _)| *k == key)
                    .map(|(_, v)| account.owed(*v))
                    .sum();
                days[i].income_fen += change;
                let Some(oid) = e.order_id else { continue };
                if !orders.contains_key(&oid)
                    && let Some(o) = self.store.order(oid).await?
                {
                    orders.insert(oid, o);
                }
                if let Some(o) = orders.get(&oid) {
                    service(&mut services, o);
                    if let Some(s) = services.get_mut(&o.listing_id) {
                        s.income_fen += change;
                    }
                }
            }
        }

        let mut all: Vec<ServiceFigures> = services
            .into_values()
            .map(|mut s| {
                s.income = yuan(s.income_fen);
                s
            })
            .collect();
        all.sort_by(|a, b| a.listing_id.cmp(&b.listing_id));
        let mut top_by_orders: Vec<ServiceFigures> =
            all.iter().filter(|s| s.orders > 0).cloned().collect();
        top_by_orders.sort_by(|a, b| {
            b.orders
                .cmp(&a.orders)
                .then(b.income_fen.cmp(&a.income_fen))
        });
        top_by_orders.truncate(TOP_N);
        let mut top_by_income: Vec<ServiceFigures> =
            all.into_iter().filter(|s| s.income_fen > 0).collect();
        top_by_income.sort_by(|a, b| {
            b.income_fen
                .cmp(&a.income_fen)
                .then(b.orders.cmp(&a.orders))
        });
        top_by_income.truncate(TOP_N);
        let total_income_fen = days.iter().map(|d| d.income_fen).sum();
        Ok(ProviderDashboard {
            total_orders: days.iter().map(|d| d.orders).sum(),
            total_income_fen,
            total_income: yuan(total_income_fen),
            days,
            top_by_orders,
            top_by_income,
        })
    }
}
