//! The statements behind [`ComplaintStore`].

use async_trait::async_trait;
use linli_domain::{
    ids::{ComplaintId, ProviderId, UserId},
    time::Timestamp,
};
use sqlx::{Row, any::AnyRow};

use super::{SqlStore, decode, map_err, parse_id};
use crate::{
    ComplaintChange, ComplaintNoteRow, ComplaintRow, ComplaintStore, ReliabilityInputs, StoreError,
    StoreResult,
};

const COLUMNS: &str = "id, customer_id, order_id, provider_id, category, body, status, \
     sla_due_at, first_response_at, upheld, created_at, updated_at";

fn complaint(row: &AnyRow) -> StoreResult<ComplaintRow> {
    let opt = |col: &str| -> StoreResult<Option<String>> { Ok(row.try_get(col)?) };
    Ok(ComplaintRow {
        id: parse_id(&row.try_get::<String, _>("id")?)?,
        customer_id: parse_id(&row.try_get::<String, _>("customer_id")?)?,
        order_id: opt("order_id")?.map(|s| parse_id(&s)).transpose()?,
        provider_id: opt("provider_id")?.map(|s| parse_id(&s)).transpose()?,
        category: row.try_get("category")?,
        body: row.try_get("body")?,
        status: row.try_get("status")?,
        sla_due_at: decode::ts(row, "sla_due_at")?,
        first_response_at: row
            .try_get::<Option<i64>, _>("first_response_at")?
            .map(Timestamp),
        upheld: decode::flag(row, "upheld")?,
        created_at: decode::ts(row, "created_at")?,
        updated_at: decode::ts(row, "updated_at")?,
    })
}

#[async_trait]
impl ComplaintStore for SqlStore {
    async fn insert_complaint(&self, c: &ComplaintRow) -> StoreResult<()> {
        let sql = format!(
            "INSERT INTO complaints ({COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(c.id.to_string())
            .bind(c.customer_id.to_string())
            .bind(c.order_id.map(|o| o.to_string()))
            .bind(c.provider_id.map(|p| p.to_string()))
            .bind(c.category.clone())
            .bind(c.body.clone())
            .bind(c.status.clone())
            .bind(c.sla_due_at.0)
            .bind(c.first_response_at.map(|t| t.0))
            .bind(i64::from(c.upheld))
            .bind(c.created_at.0)
            .bind(c.updated_at.0)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn complaint(&self, id: ComplaintId) -> StoreResult<Option<ComplaintRow>> {
        let sql = format!("SELECT {COLUMNS} FROM complaints WHERE id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(complaint)
            .transpose()
    }

    async fn complaints_of(&self, customer: UserId) -> StoreResult<Vec<ComplaintRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM complaints WHERE customer_id = $1 \
             ORDER BY created_at DESC, id DESC"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(customer.to_string())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(complaint)
            .collect()
    }

    async fn complaint_queue(
        &self,
        status: Option<&str>,
        overdue_at: Option<Timestamp>,
        limit: i64,
    ) -> StoreResult<Vec<ComplaintRow>> {
        // An empty status and a NULL deadline mean "any"; one statement for every filter.
        let sql = format!(
            "SELECT {COLUMNS} FROM complaints \
             WHERE ($1 = '' OR status = $1) \
               AND ($2 < 0 OR (first_response_at IS NULL AND sla_due_at < $2 \
                               AND status IN ('open', 'in_progress'))) \
             ORDER BY sla_due_at, id LIMIT $3"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(status.unwrap_or("").to_owned())
            .bind(overdue_at.map_or(-1, |t| t.0))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(complaint)
            .collect()
    }

    async fn complaint_notes(&self, id: ComplaintId) -> StoreResult<Vec<ComplaintNoteRow>> {
        sqlx::query(
            "SELECT author_id, kind, body, at FROM complaint_notes \
             WHERE complaint_id = $1 ORDER BY at, id",
        )
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(ComplaintNoteRow {
                author_id: parse_id(&r.try_get::<String, _>("author_id")?)?,
                kind: r.try_get("kind")?,
                body: r.try_get("body")?,
                at: decode::ts(r, "at")?,
            })
        })
        .collect()
    }

    async fn change_complaint(&self, c: &ComplaintChange<'_>, now: Timestamp) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let changed = sqlx::query(
            "UPDATE complaints SET status = $1, updated_at = $2, \
             first_response_at = CASE WHEN $3 = 1 AND first_response_at IS NULL THEN $2 \
                                      ELSE first_response_at END, \
             upheld = CASE WHEN $4 < 0 THEN upheld ELSE $4 END \
             WHERE id = $5 AND status = $6",
        )
        .bind(c.to.to_owned())
        .bind(now.0)
        .bind(i64::from(c.first_response))
        .bind(c.upheld.map_or(-1, i64::from))
        .bind(c.id.to_string())
        .bind(c.from.to_owned())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::Conflict("complaint_status".into()));
        }
        if let Some((kind, body)) = c.note {
            sqlx::query(
                "INSERT INTO complaint_notes (id, complaint_id, author_id, kind, body, at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(ComplaintId::new().to_string())
            .bind(c.id.to_string())
            .bind(c.author.to_string())
            .bind(kind.to_owned())
            .bind(body.to_owned())
            .bind(now.0)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn reliability_inputs(
        &self,
        provider: ProviderId,
        since: Timestamp,
    ) -> StoreResult<ReliabilityInputs> {
        let mut out = ReliabilityInputs::default();
        let marks = sqlx::query(
            "SELECT kind, cast(count(*) as bigint) AS n FROM reliability_events \
             WHERE provider_id = $1 AND at >= $2 GROUP BY kind",
        )
        .bind(provider.to_string())
        .bind(since.0)
        .fetch_all(&self.pool)
        .await?;
        for r in &marks {
            let n: i64 = r.try_get("n")?;
            match r.try_get::<String, _>("kind")?.as_str() {
                "provider_cancel" => out.provider_cancels = n,
                "no_show" => out.no_shows = n,
                "missed_deadline" => out.missed_deadlines = n,
                _ => {}
            }
        }
        out.disputes_lost = sqlx::query(
            "SELECT cast(count(*) as bigint) AS n FROM complaints \
             WHERE provider_id = $1 AND upheld = 1 AND status = 'resolved' AND updated_at >= $2",
        )
        .bind(provider.to_string())
        .bind(since.0)
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?;
        // Payment moves an order to awaiting_acceptance; the provider's accept moves it on.
        out.response_ms = sqlx::query(
            "SELECT a.at - p.at AS ms FROM orders o \
             JOIN order_events p ON p.order_id = o.id AND p.to_status = 'awaiting_acceptance' \
             JOIN order_events a ON a.order_id = o.id AND a.to_status = 'accepted' \
                  AND a.actor = 'provider' \
             WHERE o.provider_id = $1 AND p.at >= $2 ORDER BY ms",
        )
        .bind(provider.to_string())
        .bind(since.0)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| r.try_get::<i64, _>("ms"))
        .collect::<Result<_, _>>()?;
        if let Some(r) = sqlx::query("SELECT rating_sum, rating_count FROM providers WHERE id = $1")
            .bind(provider.to_string())
            .fetch_optional(&self.pool)
            .await?
        {
            out.rating_sum = r.try_get("rating_sum")?;
            out.rating_count = r.try_get("rating_count")?;
        }
        Ok(out)
    }
}
