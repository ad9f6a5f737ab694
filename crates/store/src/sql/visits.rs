//! The statements behind [`VisitStore`].

use async_trait::async_trait;
use linli_domain::{ids::OrderId, time::Timestamp};
use sqlx::{Row, any::AnyRow};

use super::{SqlStore, decode, parse_id};
use crate::{ChecklistTickRow, CodeCheck, StoreResult, VisitRecord, VisitRow, VisitStore};

const VISIT_COLUMNS: &str = "order_id, service_code, code_attempts, code_verified_at, checkin_at, \
     checkin_lat_micro, checkin_lng_micro, checkin_distance_m, override_reason, checkout_at, \
     actual_minutes, final_fen, extra_fen";

fn opt_ts(row: &AnyRow, col: &str) -> StoreResult<Option<Timestamp>> {
    Ok(row.try_get::<Option<i64>, _>(col)?.map(Timestamp))
}

fn visit(row: &AnyRow) -> StoreResult<VisitRow> {
    Ok(VisitRow {
        order_id: parse_id(&row.try_get::<String, _>("order_id")?)?,
        service_code: row.try_get("service_code")?,
        code_attempts: row.try_get("code_attempts")?,
        code_verified_at: opt_ts(row, "code_verified_at")?,
        checkin_at: opt_ts(row, "checkin_at")?,
        checkin_lat_micro: row.try_get("checkin_lat_micro")?,
        checkin_lng_micro: row.try_get("checkin_lng_micro")?,
        checkin_distance_m: row.try_get("checkin_distance_m")?,
        override_reason: row.try_get("override_reason")?,
        checkout_at: opt_ts(row, "checkout_at")?,
        actual_minutes: row.try_get("actual_minutes")?,
        final_fen: row.try_get("final_fen")?,
        extra_fen: row.try_get("extra_fen")?,
        ticks: Vec::new(),
    })
}

#[async_trait]
impl VisitStore for SqlStore {
    async fn visit(&self, order: OrderId) -> StoreResult<Option<VisitRow>> {
        let sql = format!("SELECT {VISIT_COLUMNS} FROM service_visits WHERE order_id = $1");
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(order.to_string())
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let mut v = visit(&row)?;
        let ticks = sqlx::query(
            "SELECT item_index, done_at, photo, thumb FROM visit_checklist \
             WHERE order_id = $1 ORDER BY item_index",
        )
        .bind(order.to_string())
        .fetch_all(&self.pool)
        .await?;
        v.ticks = ticks
            .iter()
            .map(|r| {
                Ok(ChecklistTickRow {
                    index: r.try_get("item_index")?,
                    done_at: decode::ts(r, "done_at")?,
                    photo: r.try_get("photo")?,
                    thumb: r.try_get("thumb")?,
                })
            })
            .collect::<StoreResult<_>>()?;
        Ok(Some(v))
    }

    async fn open_visit(
        &self,
        order: OrderId,
        code: &str,
        now: Timestamp,
    ) -> StoreResult<VisitRow> {
        sqlx::query(
            "INSERT INTO service_visits (order_id, service_code, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (order_id) DO NOTHING",
        )
        .bind(order.to_string())
        .bind(code)
        .bind(now.0)
        .execute(&self.pool)
        .await?;
        self.visit(order).await?.ok_or(crate::StoreError::NotFound)
    }

    async fn try_service_code(
        &self,
        order: OrderId,
        code: &str,
        max: i64,
        now: Timestamp,
    ) -> StoreResult<CodeCheck> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(
            "SELECT service_code, code_attempts, code_verified_at FROM service_visits \
             WHERE order_id = $1",
        )
        .bind(order.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(crate::StoreError::NotFound)?;
        if row.try_get::<Option<i64>, _>("code_verified_at")?.is_some() {
            return Ok(CodeCheck::Verified);
        }
        let attempts: i64 = row.try_get("code_attempts")?;
        if attempts >= max {
            return Ok(CodeCheck::Locked);
        }
        let right = row.try_get::<String, _>("service_code")? == code;
        let outcome = if right {
            sqlx::query("UPDATE service_visits SET code_verified_at = $2 WHERE order_id = $1")
                .bind(order.to_string())
                .bind(now.0)
                .execute(&mut *tx)
                .await?;
            CodeCheck::Verified
        } else {
            sqlx::query(
                "UPDATE service_visits SET code_attempts = code_attempts + 1 WHERE order_id = $1",
            )
            .bind(order.to_string())
            .execute(&mut *tx)
            .await?;
            CodeCheck::Wrong(max - attempts - 1)
        };
        tx.commit().await?;
        Ok(outcome)
    }

    async fn tick_checklist(
        &self,
        order: OrderId,
        index: i64,
        photo: &str,
        thumb: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO visit_checklist (order_id, item_index, done_at, photo, thumb) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (order_id, item_index) DO UPDATE SET \
             done_at = excluded.done_at, \
             photo = CASE WHEN excluded.photo = '' THEN visit_checklist.photo ELSE excluded.photo END, \
             thumb = CASE WHEN excluded.thumb = '' THEN visit_checklist.thumb ELSE excluded.thumb END",
        )
        .bind(order.to_string())
        .bind(index)
        .bind(now.0)
        .bind(photo)
        .bind(thumb)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// Writes `rec` for `order` inside the caller's transaction; a check-in on an order whose visit
/// was not opened is `NotFound` (and the caller's transaction is rolled back with it).
pub(super) async fn write_visit(
    tx: &mut sqlx::AnyConnection,
    order: OrderId,
    rec: VisitRecord<'_>,
    now: Timestamp,
) -> StoreResult<()> {
    let done = match rec {
        VisitRecord::CheckIn(at) => {
            sqlx::query(
                "UPDATE service_visits SET checkin_at = $2, checkin_lat_micro = $3, \
                 checkin_lng_micro = $4, checkin_distance_m = $5, override_reason = $6 \
                 WHERE order_id = $1",
            )
            .bind(order.to_string())
            .bind(now.0)
            .bind(at.lat_micro)
            .bind(at.lng_micro)
            .bind(at.distance_m)
            .bind(at.reason)
            .execute(&mut *tx)
            .await?
        }
        VisitRecord::CheckOut {
            actual_minutes,
            final_fen,
            extra_fen,
        } => {
            sqlx::query(
                "UPDATE service_visits SET checkout_at = $2, actual_minutes = $3, \
                 final_fen = $4, extra_fen = $5 WHERE order_id = $1",
            )
            .bind(order.to_string())
            .bind(now.0)
            .bind(actual_minutes)
            .bind(final_fen)
            .bind(extra_fen)
            .execute(&mut *tx)
            .await?
        }
    };
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(crate::StoreError::NotFound)
    }
}
