//! Provider deposits (保证金). A category may require a deposit (a top-level category's
//! requirement covers its children); while a provider holds less than a listing's category
//! requires, that listing cannot be booked (409 `deposit_required`). The provider pays what is
//! missing through the payment gateway like an order; the signed notification (or a query-back)
//! posts psp → `ProviderDeposit(provider)` exactly once. The deposit is drawn on by 先行赔付
//! recovery (`linli_domain::guarantee`).

use linli_domain::{
    DomainError,
    ledger::{Account, Entry, EntryKind},
    money::Money,
    permission::Permission,
    time::MINUTE_MS,
};
use linli_pay::{CreatePayment, PayError, TradeState, Transaction};
use linli_store::{DepositPaymentRow, ListingRow, ProviderRow, StoreError};

use crate::{
    Actor, App, AppError, AppResult,
    money::{PayStart, new_reference, pay_error, yuan},
};

/// How long a deposit payment may be paid at the cashier.
pub const PAY_WINDOW_MS: i64 = 15 * MINUTE_MS;

/// One category's requirement, as `/pro/deposit` lists it.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DepositRequirement {
    /// Category slug.
    pub category: String,
    /// Category name (zh-CN).
    pub name: String,
    /// Required, 分.
    pub required_fen: i64,
    /// Required, `¥…`.
    pub required: String,
}

/// One deposit payment as shown.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DepositPaymentView {
    /// Our payment reference.
    pub out_trade_no: String,
    /// Amount, `¥…`.
    pub amount: String,
    /// `pending`, `success` or `closed`.
    pub status: String,
    /// Started, local time.
    pub created: String,
}

/// A provider's deposit: required vs held.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DepositView {
    /// The most any of the provider's listings' categories requires, 分.
    pub required_fen: i64,
    /// Required, `¥…`.
    pub required: String,
    /// What the deposit holds, 分.
    pub held_fen: i64,
    /// Held, `¥…`.
    pub held: String,
    /// Still to pay before every listing can be booked, 分.
    pub due_fen: i64,
    /// Due, `¥…`.
    pub due: String,
    /// The categories of the provider's listings that require a deposit.
    pub requirements: Vec<DepositRequirement>,
    /// Deposit payments, newest first.
    pub payments: Vec<DepositPaymentView>,
}

impl App {
    /// What a category requires, 分: its own deposit or its parent's, whichever is more.
    pub async fn category_deposit_fen(&self, slug: &str) -> AppResult<i64> {
        let cats = self.store.categories().await?;
        let Some(c) = cats.iter().find(|c| c.slug == slug) else {
            return Ok(0);
        };
        let parent = c
            .parent_id
            .as_deref()
            .and_then(|p| cats.iter().find(|x| x.id == p))
            .map_or(0, |p| p.deposit_fen);
        Ok(c.deposit_fen.max(parent))
    }

    /// What a provider's deposit holds, 分.
    pub async fn deposit_held_fen(
        &self,
        provider: linli_domain::ids::ProviderId,
    ) -> AppResult<i64> {
        let a = Account::ProviderDeposit(provider);
        Ok(a.owed(self.store.account_balance(&a.key()).await?))
    }

    /// How much more deposit the listing's provider must hold before it can be booked, 分
    /// (0 when it can).
    pub async fn deposit_shortfall_fen(&self, l: &ListingRow) -> AppResult<i64> {
        let required = self.category_deposit_fen(&l.category).await?;
        if required == 0 {
            return Ok(0);
        }
        let held = self.deposit_held_fen(l.provider_id).await?;
        Ok((required - held).max(0))
    }

    /// [`App::deposit_shortfall_fen`] of a listing by id (0 for an unknown one).
    pub async fn listing_deposit_shortfall_fen(
        &self,
        id: linli_domain::ids::ListingId,
    ) -> AppResult<i64> {
        match self.store.listing(id).await? {
            Some(l) => self.deposit_shortfall_fen(&l).await,
            None => Ok(0),
        }
    }

    /// Refuses booking a listing whose provider holds less deposit than its category requires
    /// (the requirement comes with the listing's bookable read; the deposit is read only when
    /// there is one).
    pub(crate) async fn require_deposit(&self, b: &linli_store::BookableListing) -> AppResult<()> {
        if b.deposit_required_fen > 0
            && self.deposit_held_fen(b.listing.provider_id).await? < b.deposit_required_fen
        {
            return Err(AppError::Conflict {
                code: "deposit_required",
                message: "this provider has not paid the deposit its category requires",
            });
        }
        Ok(())
    }

    async fn deposit_of(&self, p: &ProviderRow) -> AppResult<DepositView> {
        let cats = self.store.categories().await?;
        let mut requirements: Vec<DepositRequirement> = Vec::new();
        for l in self.store.listings_of(p.id).await? {
            if l.status == "offline" || requirements.iter().any(|r| r.category == l.category) {
                continue;
            }
            let required_fen = self.category_deposit_fen(&l.category).await?;
            if required_fen > 0 {
                let name = cats
                    .iter()
                    .find(|c| c.slug == l.category)
                    .map(|c| c.name_zh.clone())
                    .unwrap_or_default();
                requirements.push(DepositRequirement {
                    category: l.category.clone(),
                    name,
                    required_fen,
                    required: yuan(required_fen),
                });
            }
        }
        let required_fen = requirements
            .iter()
            .map(|r| r.required_fen)
            .max()
            .unwrap_or(0);
        let held_fen = self.deposit_held_fen(p.id).await?;
        let due_fen = (required_fen - held_fen).max(0);
        let payments = self
            .store
            .provider_deposit_payments(p.id)
            .await?
            .iter()
            .map(|d| DepositPaymentView {
                out_trade_no: d.out_trade_no.clone(),
                amount: yuan(d.amount_fen),
                status: d.status.clone(),
                created: d.created_at.local_display(),
            })
            .collect();
        Ok(DepositView {
            required_fen,
            required: yuan(required_fen),
            held_fen,
            held: yuan(held_fen),
            due_fen,
            due: yuan(due_fen),
            requirements,
            payments,
        })
    }

    /// The signed-in provider's deposit: required vs held, and its payments.
    pub async fn deposit(&self, actor: &Actor) -> AppResult<DepositView> {
        let p = self.my_provider(actor).await?;
        self.deposit_of(&p).await
    }

    /// The signed-in provider starts paying what its deposit is missing: a payment at the
    /// provider (reused while pending for the same amount) and the cashier to go to.
    pub async fn pay_deposit(&self, actor: &Actor) -> AppResult<PayStart> {
        let p = self.my_provider(actor).await?;
        let due = self.deposit_of(&p).await?.due_fen;
        if due <= 0 {
            return Err(AppError::Conflict {
                code: "deposit_not_due",
                message: "the deposit already covers what the categories require",
            });
        }
        let now = self.now();
        if let Some(d) = self
            .store
            .provider_deposit_payments(p.id)
            .await?
            .into_iter()
            .find(|d| {
                d.status == "pending"
                    && d.amount_fen == due
                    && now.0 < d.created_at.0 + PAY_WINDOW_MS
            })
        {
            return Ok(PayStart {
                out_trade_no: d.out_trade_no,
                cashier_url: d.cashier_url,
                amount: yuan(d.amount_fen),
            });
        }
        let pay = self.payments()?;
        let out_trade_no = new_reference();
        let expires = now.plus_ms(PAY_WINDOW_MS);
        let created = pay
            .gateway
            .create(&CreatePayment {
                out_trade_no: out_trade_no.clone(),
                description: "服务商保证金".into(),
                amount: due,
                notify_url: self.notify_url()?,
                return_url: Some(format!("{}/pro/deposit", pay.public_base)),
                expire_at_ms: Some(expires.0),
            })
            .await
            .map_err(pay_error)?;
        let row = DepositPaymentRow {
            out_trade_no: out_trade_no.clone(),
            provider_id: p.id,
            amount_fen: due,
            status: "pending".into(),
            prepay_id: created.prepay_id,
            cashier_url: created.cashier_url,
            transaction_id: None,
            created_at: now,
            paid_at: None,
        };
        self.store.create_deposit_payment(&row).await?;
        self.schedule_queries(&out_trade_no, expires).await?;
        Ok(PayStart {
            out_trade_no,
            cashier_url: row.cashier_url,
            amount: yuan(due),
        })
    }

    /// Dev mode and tests: pays a deposit payment at the sandbox provider (as if 确认支付 was
    /// pressed) and records it through the query-back path.
    pub async fn mark_deposit_paid(&self, out_trade_no: &str) -> AppResult<()> {
        let d = self
            .store
            .deposit_payment(out_trade_no)
            .await?
            .ok_or(AppError::NotFound)?;
        let sandbox = self.payments()?.sandbox.clone().ok_or(AppError::NotFound)?;
        sandbox
            .pay_now(&d.prepay_id)
            .map_err(|e| AppError::Internal(format!("sandbox: {e}")))?;
        self.query_deposit_payment(out_trade_no).await
    }

    /// Asks the payment provider about a pending deposit payment: paid → captured; still
    /// unpaid after its window → closed.
    pub(crate) async fn query_deposit_payment(&self, out_trade_no: &str) -> AppResult<()> {
        let Some(d) = self.store.deposit_payment(out_trade_no).await? else {
            return Ok(());
        };
        if d.status != "pending" {
            return Ok(());
        }
        let pay = self.payments()?;
        let t = match pay.gateway.query(out_trade_no).await {
            Ok(t) => t,
            Err(PayError::NotFound) => return Ok(()),
            Err(e) => return Err(pay_error(e)),
        };
        if t.trade_state.is_paid() {
            return self.capture_deposit(&t, &d).await;
        }
        if t.trade_state == TradeState::NotPay && self.now().0 > d.created_at.0 + PAY_WINDOW_MS {
            match pay.gateway.close(out_trade_no).await {
                Ok(()) => {
                    self.store.close_deposit_payment(out_trade_no).await?;
                }
                // Paid at the last moment: the next query or the notification captures it.
                Err(e) => tracing::info!(error = %e, out_trade_no, "close refused"),
            }
        }
        Ok(())
    }

    /// Records a successful deposit payment once: psp → the provider's deposit.
    pub(crate) async fn capture_deposit(
        &self,
        t: &Transaction,
        d: &DepositPaymentRow,
    ) -> AppResult<()> {
        let pay = self.payments()?;
        if t.mchid != pay.mchid || t.amount != d.amount_fen || t.payer_total != d.amount_fen {
            tracing::warn!(out_trade_no = %t.out_trade_no, amount = t.amount, expected = d.amount_fen, "deposit amount differs");
            return Err(AppError::Payment {
                code: "amount_mismatch",
                message: "the amount does not match the deposit payment".into(),
            });
        }
        if d.status == "success" {
            return Ok(());
        }
        let amount = Money::from_fen(d.amount_fen);
        let entry = Entry::builder(EntryKind::DepositPaid)
            .reference(format!("deposit:{}", d.out_trade_no))
            .memo(format!("缴纳保证金 {}", d.out_trade_no))
            .debit(Account::Psp, amount)
            .credit(Account::ProviderDeposit(d.provider_id), amount)
            .build()?;
        let transaction_id = t.transaction_id.clone().unwrap_or_default();
        match self
            .store
            .capture_deposit_payment(&d.out_trade_no, &transaction_id, &entry, self.now())
            .await
        {
            // `false`: a concurrent delivery applied it first.
            Ok(_) => Ok(()),
            Err(StoreError::Conflict(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Sets the deposit a category requires, in yuan (`0` for none) — operators managing
    /// categories (`content.review`, like the rest of `/admin/categories`).
    pub async fn set_category_deposit(
        &self,
        actor: &Actor,
        slug: &str,
        amount: &str,
    ) -> AppResult<()> {
        actor.require(Permission::ContentReview)?;
        let fen = if amount.trim().is_empty() {
            0
        } else {
            Money::parse_yuan(amount)?.fen()
        };
        if fen < 0 {
            return Err(DomainError::Invalid("deposit").into());
        }
        let cat = self
            .store
            .categories()
            .await?
            .into_iter()
            .find(|c| c.slug == slug.trim())
            .ok_or(AppError::NotFound)?;
        Ok(self.store.set_category_deposit(&cat.id, fen).await?)
    }
}
