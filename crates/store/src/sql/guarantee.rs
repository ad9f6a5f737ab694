//! The statements behind [`GuaranteeStore`].

use async_trait::async_trait;
use linli_domain::{
    ids::{GuaranteeClaimId, OrderId},
    ledger::Account,
    time::Timestamp,
};
use sqlx::{Row, any::AnyRow};

use super::{
    SqlStore, decode, map_err,
    money::{append_entries, balance_in, lock_wallet},
    parse_id,
};
use crate::{GuaranteeClaimRow, GuaranteeDecision, GuaranteeStore, StoreError, StoreResult};

const COLUMNS: &str = "id, order_id, customer_id, provider_id, kind, description, claimed_fen, \
     approved_fen, status, note, decided_by, created_at, decided_at";

fn claim(row: &AnyRow) -> StoreResult<GuaranteeClaimRow> {
    Ok(GuaranteeClaimRow {
        id: parse_id(&row.try_get::<String, _>("id")?)?,
        order_id: parse_id(&row.try_get::<String, _>("order_id")?)?,
        customer_id: parse_id(&row.try_get::<String, _>("customer_id")?)?,
        provider_id: parse_id(&row.try_get::<String, _>("provider_id")?)?,
        kind: row.try_get("kind")?,
        description: row.try_get("description")?,
        claimed_fen: row.try_get("claimed_fen")?,
        approved_fen: row.try_get("approved_fen")?,
        status: row.try_get("status")?,
        note: row.try_get("note")?,
        decided_by: row
            .try_get::<Option<String>, _>("decided_by")?
            .map(|s| parse_id(&s))
            .transpose()?,
        created_at: decode::ts(row, "created_at")?,
        decided_at: row.try_get::<Option<i64>, _>("decided_at")?.map(Timestamp),
    })
}

#[async_trait]
impl GuaranteeStore for SqlStore {
    async fn insert_guarantee_claim(&self, c: &GuaranteeClaimRow) -> StoreResult<()> {
        let sql = format!(
            "INSERT INTO guarantee_claims ({COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(c.id.to_string())
            .bind(c.order_id.to_string())
            .bind(c.customer_id.to_string())
            .bind(c.provider_id.to_string())
            .bind(c.kind.clone())
            .bind(c.description.clone())
            .bind(c.claimed_fen)
            .bind(c.approved_fen)
            .bind(c.status.clone())
            .bind(c.note.clone())
            .bind(c.decided_by.map(|u| u.to_string()))
            .bind(c.created_at.0)
            .bind(c.decided_at.map(|t| t.0))
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn guarantee_claim(
        &self,
        id: GuaranteeClaimId,
    ) -> StoreResult<Option<GuaranteeClaimRow>> {
        let sql = format!("SELECT {COLUMNS} FROM guarantee_claims WHERE id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(claim)
            .transpose()
    }

    async fn guarantee_claims_of_order(
        &self,
        order: OrderId,
    ) -> StoreResult<Vec<GuaranteeClaimRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM guarantee_claims WHERE order_id = $1 \
             ORDER BY created_at DESC, id DESC"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(order.to_string())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(claim)
            .collect()
    }

    async fn guarantee_queue(
        &self,
        status: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<GuaranteeClaimRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM guarantee_claims WHERE ($1 = '' OR status = $1) \
             ORDER BY created_at, id LIMIT $2"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(status.unwrap_or("").to_owned())
            .bind(limit)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(claim)
            .collect()
    }

    async fn decide_guarantee_claim(
        &self,
        d: &GuaranteeDecision<'_>,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        // The provider's balances are read under its wallet lock, so the split between the
        // available balance and the deposit holds against concurrent withdrawals.
        let entry = match d.payout {
            Some(p) => {
                lock_wallet(&mut tx, p.provider).await?;
                let available = Account::ProviderAvailable(p.provider);
                let deposit = Account::ProviderDeposit(p.provider);
                let available = available.owed(balance_in(&mut tx, &available.key()).await?);
                let deposit = deposit.owed(balance_in(&mut tx, &deposit.key()).await?);
                Some(p.entry(available, deposit)?)
            }
            None => None,
        };
        let changed = sqlx::query(
            "UPDATE guarantee_claims SET status = $1, approved_fen = $2, note = $3, \
             decided_by = $4, decided_at = $5 WHERE id = $6 AND status = 'open'",
        )
        .bind(d.status.to_owned())
        .bind(d.approved_fen)
        .bind(d.note.to_owned())
        .bind(d.decided_by.to_string())
        .bind(now.0)
        .bind(d.id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(map_err)?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::Conflict("guarantee_claim_status".into()));
        }
        append_entries(&mut tx, entry.as_slice(), now).await?;
        tx.commit().await?;
        Ok(())
    }
}
