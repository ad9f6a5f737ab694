//! [`MoneyStore`] over SQL: payments, the append-only ledger, refunds, commission rules,
//! payout accounts, withdrawals and reconciliation.

use async_trait::async_trait;
use linli_domain::{
    ids::{EntryId, OrderId, ProviderId, WithdrawalId},
    ledger::Entry,
    time::Timestamp,
};
use sqlx::{Row, any::AnyRow};

use super::{SqlStore, decode, map_err, parse_id};
use crate::{
    CommissionRuleRow, EntryRow, MoneyEvent, MoneyStore, PaymentRow, PayoutAccountRow,
    ReconciliationRow, RefundRow, RuleAuditRow, StoreError, StoreResult, WithdrawalChange,
    WithdrawalRow,
};

fn opt_ts(row: &AnyRow, col: &str) -> StoreResult<Option<Timestamp>> {
    Ok(row.try_get::<Option<i64>, _>(col)?.map(Timestamp))
}

/// Appends balanced entries: each entry's postings first, its header last (the database
/// refuses a header whose postings do not balance, and postings joining a sealed entry).
pub(super) async fn append_entries(
    tx: &mut sqlx::AnyConnection,
    entries: &[Entry],
    now: Timestamp,
) -> StoreResult<()> {
    for e in entries {
        let id = EntryId::new().to_string();
        for (line, p) in e.postings.iter().enumerate() {
            sqlx::query(
                "INSERT INTO postings (entry_id, line, account, amount, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&id)
            .bind(i64::try_from(line).unwrap_or(i64::MAX))
            .bind(p.account.key())
            .bind(p.amount)
            .bind(now.0)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO journal_entries (id, kind, order_id, reference, memo, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(e.kind.as_str())
        .bind(e.order.map(|o| o.to_string()))
        .bind(e.reference.clone())
        .bind(&e.memo)
        .bind(now.0)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
    }
    Ok(())
}

/// Takes the provider's wallet lock for the rest of the transaction: the provider's money moves
/// (withdrawals, 先行赔付 recovery, deposits) queue here.
pub(super) async fn lock_wallet(
    tx: &mut sqlx::AnyConnection,
    provider: ProviderId,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO wallets (provider_id, version) VALUES ($1, 1) \
         ON CONFLICT (provider_id) DO UPDATE SET version = wallets.version + 1",
    )
    .bind(provider.to_string())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The sum of an account's postings inside a transaction, 分.
pub(super) async fn balance_in(tx: &mut sqlx::AnyConnection, account: &str) -> StoreResult<i64> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS b FROM postings WHERE account = $1",
    )
    .bind(account)
    .fetch_one(&mut *tx)
    .await?;
    Ok(row.try_get::<i64, _>("b")?)
}

pub(super) async fn add_refunds(
    tx: &mut sqlx::AnyConnection,
    refunds: &[RefundRow],
) -> StoreResult<()> {
    for r in refunds {
        sqlx::query(
            "INSERT INTO refunds (out_refund_no, order_id, out_trade_no, amount_fen, status, \
             reason, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&r.out_refund_no)
        .bind(r.order_id.to_string())
        .bind(&r.out_trade_no)
        .bind(r.amount_fen)
        .bind(&r.status)
        .bind(&r.reason)
        .bind(r.created_at.0)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
    }
    Ok(())
}

fn payment(row: &AnyRow) -> StoreResult<PaymentRow> {
    Ok(PaymentRow {
        out_trade_no: row.try_get("out_trade_no")?,
        order_id: parse_id(&row.try_get::<String, _>("order_id")?)?,
        amount_fen: row.try_get("amount_fen")?,
        status: row.try_get("status")?,
        prepay_id: row.try_get("prepay_id")?,
        cashier_url: row.try_get("cashier_url")?,
        transaction_id: row.try_get("transaction_id")?,
        created_at: decode::ts(row, "created_at")?,
        paid_at: opt_ts(row, "paid_at")?,
        purpose: row.try_get("purpose")?,
    })
}

fn refund(row: &AnyRow) -> StoreResult<RefundRow> {
    Ok(RefundRow {
        out_refund_no: row.try_get("out_refund_no")?,
        order_id: parse_id(&row.try_get::<String, _>("order_id")?)?,
        out_trade_no: row.try_get("out_trade_no")?,
        amount_fen: row.try_get("amount_fen")?,
        status: row.try_get("status")?,
        reason: row.try_get("reason")?,
        refund_id: row.try_get("refund_id")?,
        created_at: decode::ts(row, "created_at")?,
        finished_at: opt_ts(row, "finished_at")?,
    })
}

fn rule(row: &AnyRow) -> StoreResult<CommissionRuleRow> {
    Ok(CommissionRuleRow {
        id: parse_id(&row.try_get::<String, _>("id")?)?,
        scope: row.try_get("scope")?,
        scope_id: row.try_get("scope_id")?,
        bps: row.try_get("bps")?,
        min_fen: row.try_get("min_fen")?,
        starts_at: opt_ts(row, "starts_at")?,
        ends_at: opt_ts(row, "ends_at")?,
        new_provider_days: row.try_get("new_provider_days")?,
        new_provider_orders: row.try_get("new_provider_orders")?,
        active: decode::flag(row, "active")?,
        note: row.try_get("note")?,
        updated_at: decode::ts(row, "updated_at")?,
    })
}

fn withdrawal(row: &AnyRow) -> StoreResult<WithdrawalRow> {
    let decided_by: Option<String> = row.try_get("decided_by")?;
    Ok(WithdrawalRow {
        id: parse_id(&row.try_get::<String, _>("id")?)?,
        provider_id: parse_id(&row.try_get::<String, _>("provider_id")?)?,
        amount_fen: row.try_get("amount_fen")?,
        fee_fen: row.try_get("fee_fen")?,
        status: row.try_get("status")?,
        account_kind: row.try_get("account_kind")?,
        account_masked: row.try_get("account_masked")?,
        account_enc: row.try_get("account_enc")?,
        holder_name: row.try_get("holder_name")?,
        note: row.try_get("note")?,
        transfer_id: row.try_get("transfer_id")?,
        decided_by: decided_by.as_deref().map(parse_id).transpose()?,
        created_at: decode::ts(row, "created_at")?,
        decided_at: opt_ts(row, "decided_at")?,
        finished_at: opt_ts(row, "finished_at")?,
    })
}

/// Groups `entry × posting` rows (ordered by entry) into entries.
fn entries_of(rows: &[AnyRow]) -> StoreResult<Vec<EntryRow>> {
    let mut out: Vec<EntryRow> = Vec::new();
    for row in rows {
        let id: String = row.try_get("id")?;
        if out.last().is_none_or(|e| e.id != id) {
            let order: Option<String> = row.try_get("order_id")?;
            out.push(EntryRow {
                id: id.clone(),
                kind: row.try_get("kind")?,
                order_id: order.as_deref().map(parse_id::<OrderId>).transpose()?,
                reference: row.try_get("reference")?,
                memo: row.try_get("memo")?,
                created_at: decode::ts(row, "created_at")?,
                postings: Vec::new(),
            });
        }
        if let Some(e) = out.last_mut() {
            e.postings
                .push((row.try_get("account")?, row.try_get("amount")?));
        }
    }
    Ok(out)
}

const ENTRY_COLS: &str = "e.id, e.kind, e.order_id, e.reference, e.memo, e.created_at, \
                          p.account, p.amount";

#[async_trait]
impl MoneyStore for SqlStore {
    async fn create_payment(&self, p: &PaymentRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO payments (out_trade_no, order_id, amount_fen, status, prepay_id, \
             cashier_url, created_at, purpose) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&p.out_trade_no)
        .bind(p.order_id.to_string())
        .bind(p.amount_fen)
        .bind(&p.status)
        .bind(&p.prepay_id)
        .bind(&p.cashier_url)
        .bind(p.created_at.0)
        .bind(&p.purpose)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn payment(&self, out_trade_no: &str) -> StoreResult<Option<PaymentRow>> {
        let row = sqlx::query("SELECT * FROM payments WHERE out_trade_no = $1")
            .bind(out_trade_no)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(payment).transpose()
    }

    async fn order_payments(&self, order: OrderId) -> StoreResult<Vec<PaymentRow>> {
        let rows = sqlx::query(
            "SELECT * FROM payments WHERE order_id = $1 ORDER BY created_at DESC, out_trade_no DESC",
        )
        .bind(order.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(payment).collect()
    }

    async fn stale_payments(&self, before: Timestamp, limit: i64) -> StoreResult<Vec<PaymentRow>> {
        let rows = sqlx::query(
            "SELECT * FROM payments WHERE status = 'pending' AND created_at < $1 \
             ORDER BY created_at LIMIT $2",
        )
        .bind(before.0)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(payment).collect()
    }

    async fn close_payment(&self, out_trade_no: &str) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE payments SET status = 'closed' WHERE out_trade_no = $1 AND status = 'pending'",
        )
        .bind(out_trade_no)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn nonce_seen(&self, nonce: &str) -> StoreResult<bool> {
        let row = sqlx::query("SELECT 1 AS one FROM psp_nonces WHERE nonce = $1")
            .bind(nonce)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    async fn remember_nonce(&self, nonce: &str, at: Timestamp) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO psp_nonces (nonce, at) VALUES ($1, $2) ON CONFLICT (nonce) DO NOTHING",
        )
        .bind(nonce)
        .bind(at.0)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn post_entries(&self, entries: &[Entry], now: Timestamp) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        append_entries(&mut tx, entries, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn account_balance(&self, account: &str) -> StoreResult<i64> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS b FROM postings WHERE account = $1",
        )
        .bind(account)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("b")?)
    }

    async fn balances(&self, prefix: &str) -> StoreResult<Vec<(String, i64)>> {
        // `>= prefix AND < prefix + U+FFFF` is a range the account index serves on both DBs.
        let rows = sqlx::query(
            "SELECT account, CAST(SUM(amount) AS BIGINT) AS b FROM postings \
             WHERE account >= $1 AND account < $2 GROUP BY account ORDER BY account",
        )
        .bind(prefix)
        .bind(format!("{prefix}\u{ffff}"))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("account")?, r.try_get("b")?)))
            .collect()
    }

    async fn order_entries(&self, order: OrderId) -> StoreResult<Vec<EntryRow>> {
        let sql = format!(
            "SELECT {ENTRY_COLS} FROM journal_entries e JOIN postings p ON p.entry_id = e.id \
             WHERE e.order_id = $1 ORDER BY e.created_at, e.id, p.line"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(order.to_string())
            .fetch_all(&self.pool)
            .await?;
        entries_of(&rows)
    }

    async fn account_entries(&self, account: &str, limit: i64) -> StoreResult<Vec<EntryRow>> {
        let sql = format!(
            "SELECT {ENTRY_COLS} FROM journal_entries e JOIN postings p ON p.entry_id = e.id \
             WHERE e.id IN (SELECT entry_id FROM postings WHERE account = $1 \
             ORDER BY created_at DESC, entry_id DESC LIMIT $2) \
             ORDER BY e.created_at DESC, e.id DESC, p.line"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(account)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        entries_of(&rows)
    }

    async fn refund(&self, out_refund_no: &str) -> StoreResult<Option<RefundRow>> {
        let row = sqlx::query("SELECT * FROM refunds WHERE out_refund_no = $1")
            .bind(out_refund_no)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(refund).transpose()
    }

    async fn order_refunds(&self, order: OrderId) -> StoreResult<Vec<RefundRow>> {
        let rows = sqlx::query(
            "SELECT * FROM refunds WHERE order_id = $1 ORDER BY created_at, out_refund_no",
        )
        .bind(order.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(refund).collect()
    }

    async fn finish_refund(
        &self,
        out_refund_no: &str,
        status: &str,
        refund_id: Option<&str>,
        entries: &[Entry],
        now: Timestamp,
    ) -> StoreResult<bool> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE refunds SET status = $2, refund_id = COALESCE($3, refund_id), finished_at = $4 \
             WHERE out_refund_no = $1 AND status = 'processing'",
        )
        .bind(out_refund_no)
        .bind(status)
        .bind(refund_id)
        .bind(now.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        append_entries(&mut tx, entries, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn commission_rules(&self) -> StoreResult<Vec<CommissionRuleRow>> {
        let rows = sqlx::query("SELECT * FROM commission_rules ORDER BY scope, scope_id, id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(rule).collect()
    }

    async fn save_commission_rule(
        &self,
        r: &CommissionRuleRow,
        audit: &RuleAuditRow,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO commission_rules (id, scope, scope_id, bps, min_fen, starts_at, ends_at, \
             new_provider_days, new_provider_orders, active, note, updated_at) VALUES ($1, $2, $3, \
             $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (id) DO UPDATE SET \
             scope = excluded.scope, scope_id = excluded.scope_id, bps = excluded.bps, \
             min_fen = excluded.min_fen, starts_at = excluded.starts_at, ends_at = excluded.ends_at, \
             new_provider_days = excluded.new_provider_days, \
             new_provider_orders = excluded.new_provider_orders, active = excluded.active, \
             note = excluded.note, updated_at = excluded.updated_at",
        )
        .bind(r.id.to_string())
        .bind(&r.scope)
        .bind(&r.scope_id)
        .bind(r.bps)
        .bind(r.min_fen)
        .bind(r.starts_at.map(|t| t.0))
        .bind(r.ends_at.map(|t| t.0))
        .bind(r.new_provider_days)
        .bind(r.new_provider_orders)
        .bind(i64::from(r.active))
        .bind(&r.note)
        .bind(r.updated_at.0)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO commission_rule_audit (id, rule_id, actor_id, action, before, after, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(EntryId::new().to_string())
        .bind(audit.rule_id.to_string())
        .bind(audit.actor_id.to_string())
        .bind(&audit.action)
        .bind(&audit.before)
        .bind(&audit.after)
        .bind(audit.at.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn rule_audit(&self, limit: i64) -> StoreResult<Vec<RuleAuditRow>> {
        let rows =
            sqlx::query("SELECT * FROM commission_rule_audit ORDER BY at DESC, id DESC LIMIT $1")
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| {
                Ok(RuleAuditRow {
                    rule_id: parse_id(&row.try_get::<String, _>("rule_id")?)?,
                    actor_id: parse_id(&row.try_get::<String, _>("actor_id")?)?,
                    action: row.try_get("action")?,
                    before: row.try_get("before")?,
                    after: row.try_get("after")?,
                    at: decode::ts(row, "at")?,
                })
            })
            .collect()
    }

    async fn provider_paid_orders(&self, provider: ProviderId) -> StoreResult<i64> {
        let row =
            sqlx::query("SELECT COUNT(*) AS n FROM orders WHERE provider_id = $1 AND paid_fen > 0")
                .bind(provider.to_string())
                .fetch_one(&self.pool)
                .await?;
        Ok(row.try_get("n")?)
    }

    async fn payout_account(&self, provider: ProviderId) -> StoreResult<Option<PayoutAccountRow>> {
        let row = sqlx::query("SELECT * FROM payout_accounts WHERE provider_id = $1")
            .bind(provider.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(|row| {
                Ok(PayoutAccountRow {
                    provider_id: provider,
                    kind: row.try_get("kind")?,
                    account_masked: row.try_get("account_masked")?,
                    account_enc: row.try_get("account_enc")?,
                    holder_name: row.try_get("holder_name")?,
                    updated_at: decode::ts(row, "updated_at")?,
                })
            })
            .transpose()
    }

    async fn put_payout_account(&self, r: &PayoutAccountRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO payout_accounts (provider_id, kind, account_masked, account_enc, \
             holder_name, updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (provider_id) \
             DO UPDATE SET kind = excluded.kind, account_masked = excluded.account_masked, \
             account_enc = excluded.account_enc, holder_name = excluded.holder_name, \
             updated_at = excluded.updated_at",
        )
        .bind(r.provider_id.to_string())
        .bind(&r.kind)
        .bind(&r.account_masked)
        .bind(&r.account_enc)
        .bind(&r.holder_name)
        .bind(r.updated_at.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn request_withdrawal(
        &self,
        w: &WithdrawalRow,
        available: &str,
        entries: &[Entry],
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        // The wallet row is this provider's lock: concurrent requests queue here.
        lock_wallet(&mut tx, w.provider_id).await?;
        // The available account is owed to the provider: its balance is negative.
        let owed = -balance_in(&mut tx, available).await?;
        if owed < w.amount_fen {
            return Err(StoreError::Rule(
                linli_domain::DomainError::InsufficientBalance,
            ));
        }
        sqlx::query(
            "INSERT INTO withdrawals (id, provider_id, amount_fen, fee_fen, status, account_kind, \
             account_masked, account_enc, holder_name, note, created_at) VALUES ($1, $2, $3, $4, \
             $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(w.id.to_string())
        .bind(w.provider_id.to_string())
        .bind(w.amount_fen)
        .bind(w.fee_fen)
        .bind(&w.status)
        .bind(&w.account_kind)
        .bind(&w.account_masked)
        .bind(&w.account_enc)
        .bind(&w.holder_name)
        .bind(&w.note)
        .bind(w.created_at.0)
        .execute(&mut *tx)
        .await?;
        append_entries(&mut tx, entries, w.created_at).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn change_withdrawal(&self, c: &WithdrawalChange<'_>) -> StoreResult<WithdrawalRow> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE withdrawals SET status = $3, \
             decided_by = COALESCE($4, decided_by), \
             decided_at = CASE WHEN $4 IS NULL THEN decided_at ELSE $5 END, \
             finished_at = CASE WHEN $3 IN ('paid', 'failed') THEN $5 ELSE finished_at END, \
             note = COALESCE($6, note), transfer_id = COALESCE($7, transfer_id) \
             WHERE id = $1 AND status = $2",
        )
        .bind(c.id.to_string())
        .bind(c.from)
        .bind(c.to)
        .bind(c.decided_by.map(|u| u.to_string()))
        .bind(c.now.0)
        .bind(c.note)
        .bind(c.transfer_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Rule(
                linli_domain::DomainError::InvalidTransition,
            ));
        }
        append_entries(&mut tx, c.entries, c.now).await?;
        super::bookings::add_jobs(&mut tx, c.jobs, c.now).await?;
        let row = sqlx::query("SELECT * FROM withdrawals WHERE id = $1")
            .bind(c.id.to_string())
            .fetch_one(&mut *tx)
            .await?;
        let w = withdrawal(&row)?;
        tx.commit().await?;
        Ok(w)
    }

    async fn withdrawal(&self, id: WithdrawalId) -> StoreResult<Option<WithdrawalRow>> {
        let row = sqlx::query("SELECT * FROM withdrawals WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(withdrawal).transpose()
    }

    async fn provider_withdrawals(&self, provider: ProviderId) -> StoreResult<Vec<WithdrawalRow>> {
        let rows = sqlx::query(
            "SELECT * FROM withdrawals WHERE provider_id = $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(provider.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(withdrawal).collect()
    }

    async fn withdrawals_in(&self, status: &str, limit: i64) -> StoreResult<Vec<WithdrawalRow>> {
        let rows = sqlx::query(
            "SELECT * FROM withdrawals WHERE status = $1 ORDER BY created_at, id LIMIT $2",
        )
        .bind(status)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(withdrawal).collect()
    }

    async fn money_events(&self, from: Timestamp, to: Timestamp) -> StoreResult<Vec<MoneyEvent>> {
        let rows = sqlx::query(
            "SELECT 'payment' AS kind, out_trade_no AS our_ref, amount_fen AS amount, paid_at AS at \
             FROM payments WHERE status = 'success' AND paid_at >= $1 AND paid_at < $2 \
             UNION ALL SELECT 'payment', out_trade_no, amount_fen, paid_at FROM deposit_payments \
             WHERE status = 'success' AND paid_at >= $1 AND paid_at < $2 \
             UNION ALL SELECT 'refund', out_refund_no, amount_fen, finished_at FROM refunds \
             WHERE status = 'success' AND finished_at >= $1 AND finished_at < $2 \
             UNION ALL SELECT 'transfer', id, amount_fen - fee_fen, finished_at FROM withdrawals \
             WHERE status = 'paid' AND finished_at >= $1 AND finished_at < $2",
        )
        .bind(from.0)
        .bind(to.0)
        .fetch_all(&self.pool)
        .await?;
        let mut out = rows
            .iter()
            .map(|r| {
                Ok(MoneyEvent {
                    kind: r.try_get("kind")?,
                    our_ref: r.try_get("our_ref")?,
                    amount_fen: r.try_get("amount")?,
                    at: decode::ts(r, "at")?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        out.sort_by(|a, b| (a.at, &a.our_ref).cmp(&(b.at, &b.our_ref)));
        Ok(out)
    }

    async fn save_reconciliation(&self, r: &ReconciliationRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO reconciliations (day, matched, differences, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (day) DO UPDATE SET matched = excluded.matched, \
             differences = excluded.differences, created_at = excluded.created_at",
        )
        .bind(&r.day)
        .bind(r.matched)
        .bind(&r.differences)
        .bind(r.created_at.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn reconciliations(&self, limit: i64) -> StoreResult<Vec<ReconciliationRow>> {
        let rows = sqlx::query("SELECT * FROM reconciliations ORDER BY day DESC LIMIT $1")
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ReconciliationRow {
                    day: r.try_get("day")?,
                    matched: r.try_get("matched")?,
                    differences: r.try_get("differences")?,
                    created_at: decode::ts(r, "created_at")?,
                })
            })
            .collect()
    }
}
