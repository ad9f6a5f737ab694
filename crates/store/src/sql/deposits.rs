//! The statements behind [`DepositStore`].

use async_trait::async_trait;
use linli_domain::{ids::ProviderId, ledger::Entry, time::Timestamp};
use sqlx::{Row, any::AnyRow};

use super::{
    SqlStore, decode, map_err,
    money::{append_entries, lock_wallet},
    parse_id,
};
use crate::{DepositPaymentRow, DepositStore, StoreResult};

const COLUMNS: &str = "out_trade_no, provider_id, amount_fen, status, prepay_id, cashier_url, \
     transaction_id, created_at, paid_at";

fn payment(row: &AnyRow) -> StoreResult<DepositPaymentRow> {
    Ok(DepositPaymentRow {
        out_trade_no: row.try_get("out_trade_no")?,
        provider_id: parse_id(&row.try_get::<String, _>("provider_id")?)?,
        amount_fen: row.try_get("amount_fen")?,
        status: row.try_get("status")?,
        prepay_id: row.try_get("prepay_id")?,
        cashier_url: row.try_get("cashier_url")?,
        transaction_id: row.try_get("transaction_id")?,
        created_at: decode::ts(row, "created_at")?,
        paid_at: row.try_get::<Option<i64>, _>("paid_at")?.map(Timestamp),
    })
}

#[async_trait]
impl DepositStore for SqlStore {
    async fn create_deposit_payment(&self, p: &DepositPaymentRow) -> StoreResult<()> {
        let sql = format!(
            "INSERT INTO deposit_payments ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(p.out_trade_no.clone())
            .bind(p.provider_id.to_string())
            .bind(p.amount_fen)
            .bind(p.status.clone())
            .bind(p.prepay_id.clone())
            .bind(p.cashier_url.clone())
            .bind(p.transaction_id.clone())
            .bind(p.created_at.0)
            .bind(p.paid_at.map(|t| t.0))
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn deposit_payment(&self, out_trade_no: &str) -> StoreResult<Option<DepositPaymentRow>> {
        let sql = format!("SELECT {COLUMNS} FROM deposit_payments WHERE out_trade_no = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(out_trade_no.to_owned())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(payment)
            .transpose()
    }

    async fn provider_deposit_payments(
        &self,
        provider: ProviderId,
    ) -> StoreResult<Vec<DepositPaymentRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM deposit_payments WHERE provider_id = $1 \
             ORDER BY created_at DESC, out_trade_no DESC"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(provider.to_string())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(payment)
            .collect()
    }

    async fn capture_deposit_payment(
        &self,
        out_trade_no: &str,
        transaction_id: &str,
        entry: &Entry,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let mut tx = self.write_tx().await?;
        let Some(row) =
            sqlx::query("SELECT provider_id FROM deposit_payments WHERE out_trade_no = $1")
                .bind(out_trade_no)
                .fetch_optional(&mut *tx)
                .await?
        else {
            return Ok(false);
        };
        let provider: ProviderId = parse_id(&row.try_get::<String, _>("provider_id")?)?;
        lock_wallet(&mut tx, provider).await?;
        // Only the delivery that moves it out of `pending` posts the entry; any other (a
        // duplicate notification, a query-back) finds it paid and writes nothing.
        let done = sqlx::query(
            "UPDATE deposit_payments SET status = 'success', transaction_id = $2, paid_at = $3 \
             WHERE out_trade_no = $1 AND status = 'pending'",
        )
        .bind(out_trade_no)
        .bind(transaction_id)
        .bind(now.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        append_entries(&mut tx, std::slice::from_ref(entry), now).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn close_deposit_payment(&self, out_trade_no: &str) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE deposit_payments SET status = 'closed' \
             WHERE out_trade_no = $1 AND status = 'pending'",
        )
        .bind(out_trade_no)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
