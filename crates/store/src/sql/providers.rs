//! The statements behind [`ProviderStore`].

use async_trait::async_trait;
use linli_domain::{
    ids::{DocumentId, ProviderId, UserId},
    provider::{ApplicationStatus, ReviewAction},
    time::Timestamp,
};
use sqlx::{Row, any::AnyRow};

use super::{SqlStore, decode, map_err, parse_id};
use crate::{
    AreaRow, AuditRow, DocumentRow, ExpirySweep, NotificationRow, ProviderRow, ProviderStore,
    StoreError, StoreResult,
};

fn opt_ts(row: &AnyRow, col: &str) -> StoreResult<Option<Timestamp>> {
    Ok(row.try_get::<Option<i64>, _>(col)?.map(Timestamp))
}

fn provider(row: &AnyRow) -> StoreResult<ProviderRow> {
    Ok(ProviderRow {
        id: parse_id(&row.try_get::<String, _>("id")?)?,
        user_id: parse_id(&row.try_get::<String, _>("user_id")?)?,
        kind: row.try_get("kind")?,
        display_name: row.try_get("display_name")?,
        real_name_masked: row.try_get("real_name_masked")?,
        real_name_enc: row.try_get("real_name_enc")?,
        id_number_masked: row.try_get("id_number_masked")?,
        id_number_enc: row.try_get("id_number_enc")?,
        categories: decode::list(&row.try_get::<String, _>("categories")?),
        districts: decode::list(&row.try_get::<String, _>("districts")?),
        intro: row.try_get("intro")?,
        status: row.try_get("status")?,
        review_note: row.try_get("review_note")?,
        submitted_at: decode::ts(row, "submitted_at")?,
        reviewed_at: opt_ts(row, "reviewed_at")?,
        approved_at: opt_ts(row, "approved_at")?,
        suspended: decode::flag(row, "suspended")?,
        completed_orders: row.try_get("completed_orders")?,
        rating_sum: row.try_get("rating_sum")?,
        rating_count: row.try_get("rating_count")?,
    })
}

fn document(row: &AnyRow) -> StoreResult<DocumentRow> {
    Ok(DocumentRow {
        id: parse_id(&row.try_get::<String, _>("id")?)?,
        provider_id: parse_id(&row.try_get::<String, _>("provider_id")?)?,
        kind: row.try_get("kind")?,
        photo: row.try_get("photo")?,
        thumb: row.try_get("thumb")?,
        expires_on: row.try_get("expires_on")?,
        status: row.try_get("status")?,
    })
}

async fn insert_area<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    exec: E,
    a: &AreaRow,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO service_areas (id, provider_id, kind, districts, lat_micro, lng_micro, radius_m, surcharge_fen, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&a.id)
    .bind(a.provider_id.to_string())
    .bind(&a.kind)
    .bind(a.districts.join(","))
    .bind(a.lat_micro)
    .bind(a.lng_micro)
    .bind(a.radius_m)
    .bind(a.surcharge_fen)
    .bind(now.0)
    .execute(exec)
    .await?;
    Ok(())
}

/// A timestamp for rows written by the sweep (which is given days, not instants).
fn today_ms(today: &str) -> i64 {
    linli_domain::time::Day::parse(today)
        .map(|d| d.start_ms())
        .unwrap_or(0)
}

fn status_of(s: &str) -> StoreResult<ApplicationStatus> {
    ApplicationStatus::parse(s).map_err(|_| StoreError::Corrupt(format!("provider status {s}")))
}

#[async_trait]
impl ProviderStore for SqlStore {
    async fn submit_application(
        &self,
        p: &ProviderRow,
        docs: &[DocumentRow],
        now: Timestamp,
    ) -> StoreResult<ProviderId> {
        let mut tx = self.write_tx().await?;
        let current = sqlx::query("SELECT id, status, suspended FROM providers WHERE user_id = $1")
            .bind(p.user_id.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        let (id, current_status) = match &current {
            Some(r) => {
                let status = status_of(&r.try_get::<String, _>("status")?)?;
                // A suspended provider (expired document) resubmits like one asked for more.
                let status =
                    if status == ApplicationStatus::Approved && decode::flag(r, "suspended")? {
                        ApplicationStatus::NeedsInfo
                    } else {
                        status
                    };
                (
                    parse_id::<ProviderId>(&r.try_get::<String, _>("id")?)?,
                    Some(status),
                )
            }
            None => (p.id, None),
        };
        let next = ApplicationStatus::after(current_status, ReviewAction::Submit)?;
        let (categories, districts) = (p.categories.join(","), p.districts.join(","));
        if current.is_some() {
            sqlx::query(
                "UPDATE providers SET kind = $1, display_name = $2, real_name_masked = $3, real_name_enc = $4, \
                 id_number_masked = $5, id_number_enc = $6, categories = $7, districts = $8, intro = $9, status = $10, \
                 submitted_at = $11, updated_at = $11 WHERE id = $12",
            )
            .bind(&p.kind)
            .bind(&p.display_name)
            .bind(&p.real_name_masked)
            .bind(&p.real_name_enc)
            .bind(&p.id_number_masked)
            .bind(&p.id_number_enc)
            .bind(&categories)
            .bind(&districts)
            .bind(&p.intro)
            .bind(next.as_str())
            .bind(now.0)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
            for kind in docs.iter().map(|d| d.kind.as_str()) {
                sqlx::query("UPDATE provider_documents SET status = 'replaced' WHERE provider_id = $1 AND kind = $2 AND status <> 'replaced'")
                    .bind(id.to_string())
                    .bind(kind)
                    .execute(&mut *tx)
                    .await?;
            }
        } else {
            sqlx::query(
                "INSERT INTO providers (id, user_id, kind, display_name, real_name_masked, real_name_enc, id_number_masked, \
                 id_number_enc, categories, districts, intro, status, submitted_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $13)",
            )
            .bind(id.to_string())
            .bind(p.user_id.to_string())
            .bind(&p.kind)
            .bind(&p.display_name)
            .bind(&p.real_name_masked)
            .bind(&p.real_name_enc)
            .bind(&p.id_number_masked)
            .bind(&p.id_number_enc)
            .bind(&categories)
            .bind(&districts)
            .bind(&p.intro)
            .bind(next.as_str())
            .bind(now.0)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        }
        for d in docs {
            sqlx::query(
                "INSERT INTO provider_documents (id, provider_id, kind, photo, thumb, expires_on, status, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'active', $7)",
            )
            .bind(d.id.to_string())
            .bind(id.to_string())
            .bind(&d.kind)
            .bind(&d.photo)
            .bind(&d.thumb)
            .bind(&d.expires_on)
            .bind(now.0)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    async fn provider_by_user(&self, user: UserId) -> StoreResult<Option<ProviderRow>> {
        let row = sqlx::query("SELECT * FROM providers WHERE user_id = $1")
            .bind(user.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(provider).transpose()
    }

    async fn provider(&self, id: ProviderId) -> StoreResult<Option<ProviderRow>> {
        let row = sqlx::query("SELECT * FROM providers WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(provider).transpose()
    }

    async fn document(&self, id: DocumentId) -> StoreResult<Option<DocumentRow>> {
        let row = sqlx::query("SELECT * FROM provider_documents WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(document).transpose()
    }

    async fn provider_documents(&self, id: ProviderId) -> StoreResult<Vec<DocumentRow>> {
        let rows = sqlx::query("SELECT * FROM provider_documents WHERE provider_id = $1 ORDER BY created_at DESC, id DESC")
            .bind(id.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(document).collect()
    }

    async fn list_providers(
        &self,
        status: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> StoreResult<(Vec<ProviderRow>, i64)> {
        let status = status.unwrap_or("");
        let rows = sqlx::query(
            "SELECT * FROM providers WHERE ($1 = '' OR status = $1) ORDER BY submitted_at, id LIMIT $2 OFFSET $3",
        )
        .bind(status)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        let total: i64 = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM providers WHERE ($1 = '' OR status = $1)",
        )
        .bind(status)
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?;
        Ok((
            rows.iter().map(provider).collect::<StoreResult<_>>()?,
            total,
        ))
    }

    async fn review_application(
        &self,
        id: ProviderId,
        action: ReviewAction,
        note: Option<&str>,
        reviewer: UserId,
        now: Timestamp,
    ) -> StoreResult<ProviderRow> {
        let mut tx = self.write_tx().await?;
        let current: String = sqlx::query("SELECT status FROM providers WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?
            .try_get("status")?;
        let next = ApplicationStatus::after(Some(status_of(&current)?), action)?;
        // The status guard in WHERE makes a concurrent second decision a no-op that we detect.
        let done = sqlx::query(
            "UPDATE providers SET status = $1, review_note = $2, reviewed_by = $3, reviewed_at = $4, updated_at = $4, \
             approved_at = CASE WHEN $1 = 'approved' THEN $4 ELSE approved_at END, \
             suspended = CASE WHEN $1 = 'approved' THEN 0 ELSE suspended END WHERE id = $5 AND status = $6",
        )
        .bind(next.as_str())
        .bind(note.map(str::to_owned))
        .bind(reviewer.to_string())
        .bind(now.0)
        .bind(id.to_string())
        .bind(&current)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Rule(
                linli_domain::DomainError::InvalidTransition,
            ));
        }
        let row = sqlx::query("SELECT * FROM providers WHERE id = $1")
            .bind(id.to_string())
            .fetch_one(&mut *tx)
            .await?;
        let out = provider(&row)?;
        if next == ApplicationStatus::Approved {
            // The districts of the application become the first service area, unless the
            // provider already has areas (re-approval after a suspension).
            let has: i64 = sqlx::query(
                "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM service_areas WHERE provider_id = $1",
            )
            .bind(id.to_string())
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
            if has == 0 {
                let area = AreaRow {
                    id: DocumentId::new().to_string(),
                    provider_id: id,
                    kind: "districts".into(),
                    districts: out.districts.clone(),
                    lat_micro: 0,
                    lng_micro: 0,
                    radius_m: 0,
                    surcharge_fen: 0,
                };
                insert_area(&mut *tx, &area, now).await?;
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn append_audit(
        &self,
        actor: UserId,
        action: &str,
        target: &str,
        detail: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query("INSERT INTO audit_log (id, actor_id, action, target, detail, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(DocumentId::new().to_string())
            .bind(actor.to_string())
            .bind(action)
            .bind(target)
            .bind(detail)
            .bind(now.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn audit_entries(&self, target: &str) -> StoreResult<Vec<AuditRow>> {
        let rows = sqlx::query(
            "SELECT * FROM audit_log WHERE target = $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(target)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditRow {
                    actor_id: r.try_get("actor_id")?,
                    action: r.try_get("action")?,
                    target: r.try_get("target")?,
                    detail: r.try_get("detail")?,
                    created_at: decode::ts(r, "created_at")?,
                })
            })
            .collect()
    }

    async fn push_notification(
        &self,
        user: UserId,
        kind: &str,
        body: &str,
        dedupe_key: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO notifications (id, user_id, kind, body, dedupe_key, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(DocumentId::new().to_string())
        .bind(user.to_string())
        .bind(kind)
        .bind(body)
        .bind(dedupe_key.map(str::to_owned))
        .bind(now.0)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn notifications(&self, user: UserId, limit: i64) -> StoreResult<Vec<NotificationRow>> {
        let rows = sqlx::query("SELECT kind, body, created_at, read_at FROM notifications WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2")
            .bind(user.to_string())
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(NotificationRow {
                    kind: r.try_get("kind")?,
                    body: r.try_get("body")?,
                    created_at: decode::ts(r, "created_at")?,
                    read: r.try_get::<Option<i64>, _>("read_at")?.is_some(),
                })
            })
            .collect()
    }

    async fn service_areas(&self, provider: ProviderId) -> StoreResult<Vec<AreaRow>> {
        let rows = sqlx::query(
            "SELECT * FROM service_areas WHERE provider_id = $1 ORDER BY created_at, id",
        )
        .bind(provider.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| decode::area_as(r, "")).collect()
    }

    async fn add_service_area(&self, a: &AreaRow, now: Timestamp) -> StoreResult<()> {
        insert_area(&self.pool, a, now).await
    }

    async fn delete_service_area(&self, provider: ProviderId, id: &str) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM service_areas WHERE id = $1 AND provider_id = $2")
            .bind(id)
            .bind(provider.to_string())
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn sweep_document_expiry(
        &self,
        today: &str,
        warn_until: &str,
    ) -> StoreResult<ExpirySweep> {
        let mut tx = self.write_tx().await?;
        let expired_rows = sqlx::query(
            "SELECT d.*, p.user_id AS owner FROM provider_documents d JOIN providers p ON p.id = d.provider_id \
             WHERE p.status = 'approved' AND d.status IN ('active', 'expiring') AND d.expires_on < $1",
        )
        .bind(today)
        .fetch_all(&mut *tx)
        .await?;
        let mut sweep = ExpirySweep::default();
        for r in &expired_rows {
            let d = document(r)?;
            sqlx::query("UPDATE provider_documents SET status = 'expired' WHERE id = $1")
                .bind(d.id.to_string())
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE providers SET suspended = 1 WHERE id = $1")
                .bind(d.provider_id.to_string())
                .execute(&mut *tx)
                .await?;
            // Suspension takes the provider's live listings offline (with an outbox event each,
            // so search drops them); the provider republishes after a new document is approved.
            let live = sqlx::query(
                "SELECT id FROM listings WHERE provider_id = $1 AND status = 'published'",
            )
            .bind(d.provider_id.to_string())
            .fetch_all(&mut *tx)
            .await?;
            for l in &live {
                let lid: String = l.try_get("id")?;
                sqlx::query("UPDATE listings SET status = 'offline', review_note = 'document_expired', updated_at = $1 WHERE id = $2")
                    .bind(today_ms(today))
                    .bind(&lid)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("INSERT INTO outbox (id, topic, payload, created_at) VALUES ($1, 'listing.changed', $2, $3)")
                    .bind(DocumentId::new().to_string())
                    .bind(format!("{{\"listing\":\"{lid}\"}}"))
                    .bind(today_ms(today))
                    .execute(&mut *tx)
                    .await?;
            }
            sweep
                .expired
                .push((d, parse_id(&r.try_get::<String, _>("owner")?)?));
        }
        let expiring_rows = sqlx::query(
            "SELECT d.*, p.user_id AS owner FROM provider_documents d JOIN providers p ON p.id = d.provider_id \
             WHERE p.status = 'approved' AND d.status = 'active' AND d.expires_on <= $1 AND d.expires_on >= $2",
        )
        .bind(warn_until)
        .bind(today)
        .fetch_all(&mut *tx)
        .await?;
        for r in &expiring_rows {
            let d = document(r)?;
            sqlx::query("UPDATE provider_documents SET status = 'expiring' WHERE id = $1")
                .bind(d.id.to_string())
                .execute(&mut *tx)
                .await?;
            sweep
                .expiring
                .push((d, parse_id(&r.try_get::<String, _>("owner")?)?));
        }
        tx.commit().await?;
        Ok(sweep)
    }
}
