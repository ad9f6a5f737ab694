//! 先行赔付 guarantee: a customer claims for damage or loss within the claim window (14 days by
//! default) after an order was completed; an operator holding `finance.manage` approves (up to
//! the amount claimed) or rejects. On approval one journal entry pays the customer at once from
//! the guarantee fund (credited to their 用户补偿金 account, `CustomerCredit`) and makes the fund
//! whole by charging the provider: first a positive available balance, then the deposit
//! (保证金) up to what it holds, and anything beyond leaves the available balance negative until
//! their next settlement repays it (`linli_domain::guarantee`). The fund itself is financed by a slice of every commission
//! (`MoneyConfig::guarantee_bps`, set aside at release).

use linli_domain::{
    DomainError,
    guarantee::Payout,
    ids::{GuaranteeClaimId, OrderId},
    ledger::Account,
    money::Money,
    permission::Permission,
    time::Timestamp,
};
use linli_store::{GuaranteeClaimRow, GuaranteeDecision, StoreError};

use crate::{Actor, App, AppError, AppResult, money::yuan};

/// Most claims the operators' queue shows at once.
pub const QUEUE_LIMIT: i64 = 200;
/// Longest description, characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1000;

/// What a customer submits.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GuaranteeClaimForm {
    /// `damage` 财物损坏 or `loss` 财物丢失.
    pub kind: String,
    /// What happened, 1–1000 characters.
    pub description: String,
    /// Amount claimed in yuan, e.g. `120.50`; at most the configured cap.
    pub amount: String,
}

/// An operator's decision.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GuaranteeDecisionForm {
    /// `approve` or `reject`.
    pub decision: String,
    /// Approved amount in yuan (approve only), at most the amount claimed.
    #[serde(default)]
    pub amount: String,
    /// The operator's note, up to 200 characters.
    #[serde(default)]
    pub note: String,
}

/// A claim as the API and pages show it.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GuaranteeClaimView {
    /// Id.
    pub id: String,
    /// The order it is about.
    pub order_id: String,
    /// The order's service title.
    pub order_title: String,
    /// `damage` 财物损坏 or `loss` 财物丢失.
    pub kind: String,
    /// The customer's description.
    pub description: String,
    /// Amount claimed, 分.
    pub claimed_fen: i64,
    /// Amount claimed, `¥…`.
    pub claimed: String,
    /// Amount paid out, 分 (0 unless approved).
    pub approved_fen: i64,
    /// Amount paid out, `¥…`.
    pub approved: String,
    /// `open`, `approved` or `rejected`.
    pub status: String,
    /// The operator's note.
    pub note: String,
    /// The customer: nickname and masked phone.
    pub customer: String,
    /// The provider's id.
    pub provider_id: String,
    /// The provider's display name.
    pub provider: String,
    /// Filed at, unix ms.
    pub created_at: i64,
    /// Filed at, local time.
    pub created: String,
    /// Decided at, unix ms.
    pub decided_at: Option<i64>,
}

/// The 先行赔付 panel of a completed order's page.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GuaranteePanel {
    /// The order.
    pub order_id: String,
    /// The claim window closes then, unix ms.
    pub deadline_ms: i64,
    /// The claim window closes then, local time.
    pub deadline: String,
    /// Whole days and hours left (0 when closed).
    pub days_left: i64,
    /// Hours left beyond the whole days.
    pub hours_left: i64,
    /// Whether the window is still open.
    pub window_open: bool,
    /// Whether a new claim may be filed now (window open, no open claim).
    pub can_claim: bool,
    /// The largest claim, `¥…`.
    pub cap: String,
    /// The order's claims, newest first.
    pub claims: Vec<GuaranteeClaimView>,
}

/// Claim statuses the operators' queue filters on.
pub const STATUSES: [&str; 3] = ["open", "approved", "rejected"];

fn conflict(code: &'static str, message: &'static str) -> AppError {
    AppError::Conflict { code, message }
}

fn unprocessable(code: &'static str, message: &'static str) -> AppError {
    AppError::Unprocessable { code, message }
}

fn positive_amount(s: &str) -> AppResult<i64> {
    let a = Money::parse_yuan(s.trim())?.fen();
    if a <= 0 {
        return Err(DomainError::Invalid("amount").into());
    }
    Ok(a)
}

impl App {
    /// A claim with the names people read.
    async fn claim_view(&self, c: &GuaranteeClaimRow) -> AppResult<GuaranteeClaimView> {
        let order_title = self
            .store
            .order(c.order_id)
            .await?
            .map(|o| o.listing_title)
            .unwrap_or_default();
        let customer = self
            .store
            .user_by_id(c.customer_id)
            .await?
            .map(|u| format!("{} · {}", u.nickname, linli_domain::phone::mask(&u.phone)))
            .unwrap_or_default();
        let provider = self
            .store
            .provider(c.provider_id)
            .await?
            .map(|p| p.display_name)
            .unwrap_or_default();
        Ok(GuaranteeClaimView {
            id: c.id.to_string(),
            order_id: c.order_id.to_string(),
            order_title,
            kind: c.kind.clone(),
            description: c.description.clone(),
            claimed_fen: c.claimed_fen,
            claimed: yuan(c.claimed_fen),
            approved_fen: c.approved_fen,
            approved: yuan(c.approved_fen),
            status: c.status.clone(),
            note: c.note.clone(),
            customer,
            provider_id: c.provider_id.to_string(),
            provider,
            created_at: c.created_at.0,
            created: c.created_at.local_display(),
            decided_at: c.decided_at.map(|t| t.0),
        })
    }

    async fn claim_views(&self, rows: &[GuaranteeClaimRow]) -> AppResult<Vec<GuaranteeClaimView>> {
        let mut out = Vec::with_capacity(rows.len());
        for c in rows {
            out.push(self.claim_view(c).await?);
        }
        Ok(out)
    }

    /// [`App::file_guarantee_claim`] as the API shows it.
    pub async fn file_guarantee_claim_view(
        &self,
        actor: &Actor,
        order: OrderId,
        f: &GuaranteeClaimForm,
    ) -> AppResult<GuaranteeClaimView> {
        let row = self.file_guarantee_claim(actor, order, f).await?;
        self.claim_view(&row).await
    }

    /// [`App::order_guarantee_claims`] as the API shows them.
    pub async fn order_guarantee_claim_views(
        &self,
        actor: &Actor,
        order: OrderId,
    ) -> AppResult<Vec<GuaranteeClaimView>> {
        let rows = self.order_guarantee_claims(actor, order).await?;
        self.claim_views(&rows).await
    }

    /// [`App::guarantee_queue`] as the API and the console show it; `status` empty for all.
    pub async fn guarantee_queue_views(
        &self,
        actor: &Actor,
        status: &str,
    ) -> AppResult<Vec<GuaranteeClaimView>> {
        let status = status.trim();
        if !status.is_empty() && !STATUSES.contains(&status) {
            return Err(DomainError::Invalid("status").into());
        }
        let rows = self
            .guarantee_queue(actor, (!status.is_empty()).then_some(status))
            .await?;
        self.claim_views(&rows).await
    }

    /// [`App::decide_guarantee_claim`] as the API shows it.
    pub async fn decide_guarantee_claim_view(
        &self,
        actor: &Actor,
        id: GuaranteeClaimId,
        f: &GuaranteeDecisionForm,
    ) -> AppResult<GuaranteeClaimView> {
        let row = self.decide_guarantee_claim(actor, id, f).await?;
        self.claim_view(&row).await
    }

    /// What the 先行赔付 fund holds (operators with `finance.manage`), 分.
    pub async fn guarantee_fund_fen(&self, actor: &Actor) -> AppResult<i64> {
        actor.require(Permission::FinanceManage)?;
        let a = Account::GuaranteeFund;
        Ok(a.owed(self.store.account_balance(&a.key()).await?))
    }

    /// The 先行赔付 panel of one of the customer's orders: `None` until the order is completed;
    /// another's order answers [`AppError::NotFound`].
    pub async fn guarantee_panel(
        &self,
        actor: &Actor,
        order: OrderId,
    ) -> AppResult<Option<GuaranteePanel>> {
        let m = actor.member()?;
        let o = self
            .store
            .order(order)
            .await?
            .filter(|o| o.customer_id == m.id)
            .ok_or(AppError::NotFound)?;
        if !matches!(o.status.as_str(), "completed" | "confirmed") {
            return Ok(None);
        }
        let Some(deadline) = self.guarantee_deadline(o.completed_at) else {
            return Ok(None);
        };
        let rows = self.store.guarantee_claims_of_order(order).await?;
        let claims = self.claim_views(&rows).await?;
        let left = (deadline.0 - self.now().0).max(0);
        let window_open = self.now().0 <= deadline.0;
        let hours = left / linli_domain::time::HOUR_MS;
        Ok(Some(GuaranteePanel {
            order_id: order.to_string(),
            deadline_ms: deadline.0,
            deadline: deadline.local_display(),
            days_left: hours / 24,
            hours_left: hours % 24,
            window_open,
            can_claim: window_open && !rows.iter().any(|c| c.status == "open"),
            cap: yuan(self.config.money.guarantee_cap_fen),
            claims,
        }))
    }

    /// The signed-in customer claims 先行赔付 on one of their completed orders.
    pub async fn file_guarantee_claim(
        &self,
        actor: &Actor,
        order: OrderId,
        f: &GuaranteeClaimForm,
    ) -> AppResult<GuaranteeClaimRow> {
        let m = actor.member()?;
        let o = self
            .store
            .order(order)
            .await?
            .filter(|o| o.customer_id == m.id)
            .ok_or(AppError::NotFound)?;
        let completed = match (o.status.as_str(), o.completed_at) {
            ("completed" | "confirmed", Some(at)) => at,
            _ => {
                return Err(conflict(
                    "not_completed",
                    "先行赔付 is for completed orders",
                ));
            }
        };
        let now = self.now();
        if now.0 > completed.0 + self.config.money.guarantee_window_ms {
            return Err(unprocessable(
                "guarantee_window_closed",
                "the 先行赔付 window of this order has closed",
            ));
        }
        let kind = match f.kind.trim() {
            k @ ("damage" | "loss") => k.to_owned(),
            _ => return Err(DomainError::Invalid("kind").into()),
        };
        let description = f.description.trim().to_owned();
        let chars = description.chars().count();
        if chars == 0 || chars > MAX_DESCRIPTION_CHARS {
            return Err(DomainError::TextLength {
                field: "description",
                min: 1,
                max: MAX_DESCRIPTION_CHARS,
            }
            .into());
        }
        let claimed_fen = positive_amount(&f.amount)?;
        if claimed_fen > self.config.money.guarantee_cap_fen {
            return Err(unprocessable(
                "amount_above_cap",
                "the claim is above the 先行赔付 cap",
            ));
        }
        self.refuse_blocked_text(&description).await?;
        let row = GuaranteeClaimRow {
            id: GuaranteeClaimId::new(),
            order_id: o.id,
            customer_id: m.id,
            provider_id: o.provider_id,
            kind,
            description,
            claimed_fen,
            approved_fen: 0,
            status: "open".into(),
            note: String::new(),
            decided_by: None,
            created_at: now,
            decided_at: None,
        };
        match self.store.insert_guarantee_claim(&row).await {
            Ok(()) => Ok(row),
            Err(StoreError::Conflict(_)) => Err(conflict(
                "claim_open",
                "this order already has an open 先行赔付 claim",
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// The claims on one of the customer's orders, newest first; another's order answers 404.
    pub async fn order_guarantee_claims(
        &self,
        actor: &Actor,
        order: OrderId,
    ) -> AppResult<Vec<GuaranteeClaimRow>> {
        let m = actor.member()?;
        self.store
            .order(order)
            .await?
            .filter(|o| o.customer_id == m.id)
            .ok_or(AppError::NotFound)?;
        Ok(self.store.guarantee_claims_of_order(order).await?)
    }

    /// When the claim window of a completed order closes (for the countdown), if it has one.
    pub fn guarantee_deadline(&self, completed_at: Option<Timestamp>) -> Option<Timestamp> {
        completed_at.map(|t| Timestamp(t.0 + self.config.money.guarantee_window_ms))
    }

    /// The operators' queue: claims in one status (or all), oldest first.
    pub async fn guarantee_queue(
        &self,
        actor: &Actor,
        status: Option<&str>,
    ) -> AppResult<Vec<GuaranteeClaimRow>> {
        actor.require(Permission::FinanceManage)?;
        Ok(self.store.guarantee_queue(status, QUEUE_LIMIT).await?)
    }

    /// An operator approves or rejects an open claim. Approval pays the customer from the fund
    /// and charges the provider in the same entry, posted with the decision.
    pub async fn decide_guarantee_claim(
        &self,
        actor: &Actor,
        id: GuaranteeClaimId,
        f: &GuaranteeDecisionForm,
    ) -> AppResult<GuaranteeClaimRow> {
        let me = actor.require(Permission::FinanceManage)?;
        let c = self
            .store
            .guarantee_claim(id)
            .await?
            .ok_or(AppError::NotFound)?;
        if c.status != "open" {
            return Err(conflict("claim_decided", "this claim was already decided"));
        }
        let note: String = f.note.trim().chars().take(200).collect();
        let (status, approved_fen, payout) = match f.decision.trim() {
            "approve" => {
                let a = positive_amount(&f.amount)?;
                if a > c.claimed_fen {
                    return Err(unprocessable(
                        "amount_too_large",
                        "the approved amount is more than the claim",
                    ));
                }
                let payout = Payout {
                    order: c.order_id,
                    customer: c.customer_id,
                    provider: c.provider_id,
                    amount: Money::from_fen(a),
                    reference: format!("guarantee:{}", c.id),
                };
                ("approved", a, Some(payout))
            }
            "reject" => ("rejected", 0, None),
            _ => return Err(DomainError::Invalid("decision").into()),
        };
        let d = GuaranteeDecision {
            id,
            status,
            approved_fen,
            note: &note,
            decided_by: me.id,
            payout: payout.as_ref(),
        };
        match self.store.decide_guarantee_claim(&d, self.now()).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => {
                return Err(conflict("claim_decided", "this claim was already decided"));
            }
            Err(e) => return Err(e.into()),
        }
        self.store
            .guarantee_claim(id)
            .await?
            .ok_or(AppError::NotFound)
    }
}
