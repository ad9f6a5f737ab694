//! The statements behind [`AfterSaleStore`].

use async_trait::async_trait;
use linli_domain::{
    ids::{AfterSaleId, OrderId},
    time::Timestamp,
};
use sqlx::{Row, any::AnyRow};

use super::{SqlStore, bookings::add_jobs, decode, parse_id};
use crate::{AfterSaleRow, AfterSaleStore, NewJob, StoreResult};

const COLUMNS: &str = "id, order_id, customer_id, provider_id, kind, amount_fen, reason, photos, \
     status, counter_fen, provider_note, provider_photos, outcome, award_fen, resolved_by, \
     decision_note, answer_deadline, created_at, updated_at";

fn after_sale(row: &AnyRow) -> StoreResult<AfterSaleRow> {
    Ok(AfterSaleRow {
        id: parse_id(&row.try_get::<String, _>("id")?)?,
        order_id: parse_id(&row.try_get::<String, _>("order_id")?)?,
        customer_id: parse_id(&row.try_get::<String, _>("customer_id")?)?,
        provider_id: parse_id(&row.try_get::<String, _>("provider_id")?)?,
        kind: row.try_get("kind")?,
        amount_fen: row.try_get("amount_fen")?,
        reason: row.try_get("reason")?,
        photos: row.try_get("photos")?,
        status: row.try_get("status")?,
        counter_fen: row.try_get("counter_fen")?,
        provider_note: row.try_get("provider_note")?,
        provider_photos: row.try_get("provider_photos")?,
        outcome: row.try_get("outcome")?,
        award_fen: row.try_get("award_fen")?,
        resolved_by: row.try_get("resolved_by")?,
        decision_note: row.try_get("decision_note")?,
        answer_deadline: decode::ts(row, "answer_deadline")?,
        created_at: decode::ts(row, "created_at")?,
        updated_at: decode::ts(row, "updated_at")?,
    })
}

#[async_trait]
impl AfterSaleStore for SqlStore {
    async fn create_after_sale(
        &self,
        r: &AfterSaleRow,
        jobs: &[NewJob],
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let sql = format!(
            "INSERT INTO after_sales ({COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(r.id.to_string())
            .bind(r.order_id.to_string())
            .bind(r.customer_id.to_string())
            .bind(r.provider_id.to_string())
            .bind(&r.kind)
            .bind(r.amount_fen)
            .bind(&r.reason)
            .bind(&r.photos)
            .bind(&r.status)
            .bind(r.counter_fen)
            .bind(&r.provider_note)
            .bind(&r.provider_photos)
            .bind(&r.outcome)
            .bind(r.award_fen)
            .bind(&r.resolved_by)
            .bind(&r.decision_note)
            .bind(r.answer_deadline.0)
            .bind(r.created_at.0)
            .bind(r.updated_at.0)
            .execute(&mut *tx)
            .await?;
        add_jobs(&mut tx, jobs, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn after_sale(&self, id: AfterSaleId) -> StoreResult<Option<AfterSaleRow>> {
        let sql = format!("SELECT {COLUMNS} FROM after_sales WHERE id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(after_sale)
            .transpose()
    }

    async fn order_after_sales(&self, order: OrderId) -> StoreResult<Vec<AfterSaleRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM after_sales WHERE order_id = $1 ORDER BY created_at DESC, id DESC"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(order.to_string())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(after_sale)
            .collect()
    }

    async fn after_sale_queue(&self, status: Option<&str>) -> StoreResult<Vec<AfterSaleRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM after_sales WHERE ($1 = '' OR status = $1) \
             ORDER BY created_at, id LIMIT 500"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(status.unwrap_or_default())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(after_sale)
            .collect()
    }

    async fn update_after_sale(&self, r: &AfterSaleRow, from: &str) -> StoreResult<bool> {
        write_after_sale(&mut *self.pool.acquire().await?, r, from).await
    }
}

/// Moves the request to `r`'s state if it is still in status `from`; whether it was.
pub(super) async fn write_after_sale(
    conn: &mut sqlx::AnyConnection,
    r: &AfterSaleRow,
    from: &str,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE after_sales SET status = $1, counter_fen = $2, provider_note = $3, \
         provider_photos = $4, outcome = $5, award_fen = $6, resolved_by = $7, \
         decision_note = $8, updated_at = $9 WHERE id = $10 AND status = $11",
    )
    .bind(&r.status)
    .bind(r.counter_fen)
    .bind(&r.provider_note)
    .bind(&r.provider_photos)
    .bind(&r.outcome)
    .bind(r.award_fen)
    .bind(&r.resolved_by)
    .bind(&r.decision_note)
    .bind(r.updated_at.0)
    .bind(r.id.to_string())
    .bind(from)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
