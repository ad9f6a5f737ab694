//! [`ReviewStore`] over SQL. Provider rating totals (`providers.rating_sum/count`) change in the
//! same transaction as the review that is published or hidden.

use async_trait::async_trait;
use linli_domain::{
    DomainError,
    ids::{ListingId, OrderId, ProviderId, ReviewId, UserId},
    time::Timestamp,
};
use sqlx::{Row, any::AnyRow};

use super::{SqlStore, decode, map_err, parse_id};
use crate::{
    CustomerRatingRow, NewReview, ReviewFilter, ReviewRow, ReviewStore, StoreError, StoreResult,
};

/// The review columns with the author's nickname; a macro so statements stay `&'static str`.
macro_rules! select {
    () => {
        "SELECT r.*, u.nickname FROM reviews r JOIN users u ON u.id = r.customer_id"
    };
}

fn review(row: &AnyRow) -> StoreResult<ReviewRow> {
    let photos: String = row.try_get("photos")?;
    Ok(ReviewRow {
        id: parse_id(&row.try_get::<String, _>("id")?)?,
        order_id: parse_id(&row.try_get::<String, _>("order_id")?)?,
        customer_id: parse_id(&row.try_get::<String, _>("customer_id")?)?,
        nickname: row.try_get("nickname")?,
        provider_id: parse_id(&row.try_get::<String, _>("provider_id")?)?,
        listing_id: parse_id(&row.try_get::<String, _>("listing_id")?)?,
        stars: row.try_get("stars")?,
        dims: [
            row.try_get("punctual")?,
            row.try_get("professional")?,
            row.try_get("attitude")?,
        ],
        body: row.try_get("body")?,
        photos: serde_json::from_str(&photos)
            .map_err(|e| StoreError::Corrupt(format!("photos: {e}")))?,
        anonymous: decode::flag(row, "anonymous")?,
        is_default: decode::flag(row, "is_default")?,
        status: row.try_get("status")?,
        flags: row.try_get("flags")?,
        report_count: row.try_get("report_count")?,
        queued: decode::flag(row, "queued")?,
        reply: row.try_get("reply")?,
        reply_status: row.try_get("reply_status")?,
        reply_at: row.try_get::<Option<i64>, _>("reply_at")?.map(Timestamp),
        created_at: decode::ts(row, "created_at")?,
    })
}

fn customer_rating(row: &AnyRow) -> StoreResult<CustomerRatingRow> {
    Ok(CustomerRatingRow {
        order_id: parse_id(&row.try_get::<String, _>("order_id")?)?,
        provider_id: parse_id(&row.try_get::<String, _>("provider_id")?)?,
        customer_id: parse_id(&row.try_get::<String, _>("customer_id")?)?,
        stars: row.try_get("stars")?,
        body: row.try_get("body")?,
        created_at: decode::ts(row, "created_at")?,
    })
}

/// Adds (`sign` 1) or removes (`sign` -1) one review's stars from its provider's totals.
async fn adjust_rating(
    tx: &mut sqlx::AnyConnection,
    provider: &str,
    stars: i64,
    sign: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE providers SET rating_sum = rating_sum + $1, rating_count = rating_count + $2 \
         WHERE id = $3",
    )
    .bind(sign * stars)
    .bind(sign)
    .bind(provider)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// `WHERE` clause of a review listing and its bind values (all text or numbers, in order).
fn filter_sql(f: &ReviewFilter) -> (String, Vec<String>, Option<i64>) {
    let mut sql = String::from(" WHERE r.status = 'published'");
    let mut texts = Vec::new();
    if let Some(p) = f.provider {
        texts.push(p.to_string());
        sql.push_str(&format!(" AND r.provider_id = ${}", texts.len()));
    }
    if let Some(l) = f.listing {
        texts.push(l.to_string());
        sql.push_str(&format!(" AND r.listing_id = ${}", texts.len()));
    }
    if f.with_photos {
        sql.push_str(" AND r.photo_count > 0");
    }
    if f.stars.is_some() {
        sql.push_str(&format!(" AND r.stars = ${}", texts.len() + 1));
    }
    (sql, texts, f.stars)
}

#[async_trait]
impl ReviewStore for SqlStore {
    async fn insert_review(&self, r: &NewReview, now: Timestamp) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let order = sqlx::query(
            "SELECT provider_id, listing_id, customer_id, status FROM orders WHERE id = $1",
        )
        .bind(r.order_id.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let provider: String = order.try_get("provider_id")?;
        let listing: String = order.try_get("listing_id")?;
        let customer: String = order.try_get("customer_id")?;
        let status: String = order.try_get("status")?;
        if customer != r.customer_id.to_string() {
            return Err(StoreError::NotFound);
        }
        if status != "confirmed" {
            return Err(DomainError::InvalidTransition.into());
        }
        let photos =
            serde_json::to_string(&r.photos).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO reviews (id, order_id, customer_id, provider_id, listing_id, stars, punctual, \
             professional, attitude, body, photos, photo_count, anonymous, is_default, status, flags, \
             queued, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18)",
        )
        .bind(r.id.to_string())
        .bind(r.order_id.to_string())
        .bind(&customer)
        .bind(&provider)
        .bind(&listing)
        .bind(r.stars)
        .bind(r.dims[0])
        .bind(r.dims[1])
        .bind(r.dims[2])
        .bind(&r.body)
        .bind(&photos)
        .bind(i64::try_from(r.photos.len()).unwrap_or(i64::MAX))
        .bind(i64::from(r.anonymous))
        .bind(i64::from(r.is_default))
        .bind(&r.status)
        .bind(&r.flags)
        .bind(i64::from(r.status == "pending"))
        .bind(now.0)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if r.status == "published" {
            adjust_rating(&mut tx, &provider, r.stars, 1).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn review(&self, id: ReviewId) -> StoreResult<Option<ReviewRow>> {
        let row = sqlx::query(concat!(select!(), " WHERE r.id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(review).transpose()
    }

    async fn review_of_order(&self, order: OrderId) -> StoreResult<Option<ReviewRow>> {
        let row = sqlx::query(concat!(select!(), " WHERE r.order_id = $1"))
            .bind(order.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(review).transpose()
    }

    async fn reviews(
        &self,
        filter: &ReviewFilter,
        limit: i64,
        offset: i64,
    ) -> StoreResult<(Vec<ReviewRow>, i64)> {
        let (clause, texts, stars) = filter_sql(filter);
        let n = texts.len() + usize::from(stars.is_some());
        let count_sql = format!("SELECT count(*) AS n FROM reviews r{clause}");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(count_sql));
        for t in &texts {
            q = q.bind(t.clone());
        }
        if let Some(s) = stars {
            q = q.bind(s);
        }
        let total: i64 = q.fetch_one(&self.pool).await?.try_get("n")?;
        let list_sql = format!(
            "{}{clause} ORDER BY r.created_at DESC, r.id DESC LIMIT ${} OFFSET ${}",
            select!(),
            n + 1,
            n + 2
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(list_sql));
        for t in &texts {
            q = q.bind(t.clone());
        }
        if let Some(s) = stars {
            q = q.bind(s);
        }
        let rows = q.bind(limit).bind(offset).fetch_all(&self.pool).await?;
        Ok((rows.iter().map(review).collect::<StoreResult<_>>()?, total))
    }

    async fn listing_rating(&self, listing: ListingId) -> StoreResult<(i64, i64)> {
        let row = sqlx::query(
            "SELECT count(*) AS n, cast(coalesce(sum(stars), 0) as bigint) AS s FROM reviews \
             WHERE listing_id = $1 AND status = 'published'",
        )
        .bind(listing.to_string())
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get("n")?, row.try_get("s")?))
    }

    async fn set_review_reply(
        &self,
        id: ReviewId,
        provider: ProviderId,
        reply: &str,
        status: &str,
        flags: &str,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE reviews SET reply = $1, reply_status = $2, reply_at = $3, updated_at = $3, \
             queued = CASE WHEN $2 = 'pending' THEN 1 ELSE queued END, \
             flags = CASE WHEN $4 = '' THEN flags ELSE $4 END \
             WHERE id = $5 AND provider_id = $6 AND reply IS NULL",
        )
        .bind(reply)
        .bind(status)
        .bind(now.0)
        .bind(flags)
        .bind(id.to_string())
        .bind(provider.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(done == 1)
    }

    async fn report_review(
        &self,
        id: ReviewId,
        reporter: UserId,
        reason: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let added = sqlx::query(
            "INSERT INTO review_reports (id, review_id, reporter_id, reason, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (review_id, reporter_id) DO NOTHING",
        )
        .bind(ReviewId::new().to_string())
        .bind(id.to_string())
        .bind(reporter.to_string())
        .bind(reason)
        .bind(now.0)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if added == 1 {
            sqlx::query(
                "UPDATE reviews SET report_count = report_count + 1, queued = 1, updated_at = $1 \
                 WHERE id = $2",
            )
            .bind(now.0)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn review_queue(&self, limit: i64) -> StoreResult<Vec<ReviewRow>> {
        let rows = sqlx::query(concat!(
            select!(),
            " WHERE r.queued = 1 ORDER BY r.updated_at, r.id LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(review).collect()
    }

    async fn review_report_reasons(&self, id: ReviewId) -> StoreResult<Vec<String>> {
        let rows = sqlx::query(
            "SELECT reason FROM review_reports WHERE review_id = $1 ORDER BY created_at, id",
        )
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>("reason")?))
            .collect()
    }

    async fn decide_review(
        &self,
        id: ReviewId,
        hide: bool,
        now: Timestamp,
    ) -> StoreResult<ReviewRow> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(
            "SELECT provider_id, stars, status, reply_status FROM reviews WHERE id = $1 AND queued = 1",
        )
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let provider: String = row.try_get("provider_id")?;
        let stars: i64 = row.try_get("stars")?;
        let was: String = row.try_get("status")?;
        let (status, reply_status) = if hide {
            ("hidden", "hidden")
        } else {
            ("published", "published")
        };
        match (was.as_str(), hide) {
            ("published", true) => adjust_rating(&mut tx, &provider, stars, -1).await?,
            ("pending" | "hidden", false) => adjust_rating(&mut tx, &provider, stars, 1).await?,
            _ => {}
        }
        sqlx::query(
            "UPDATE reviews SET status = $1, \
             reply_status = CASE WHEN reply IS NULL THEN NULL ELSE $2 END, \
             queued = 0, updated_at = $3 WHERE id = $4",
        )
        .bind(status)
        .bind(reply_status)
        .bind(now.0)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(concat!(select!(), " WHERE r.id = $1"))
            .bind(id.to_string())
            .fetch_one(&mut *tx)
            .await?;
        let out = review(&row)?;
        tx.commit().await?;
        Ok(out)
    }

    async fn unreviewed_confirmed_orders(
        &self,
        before: Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<(OrderId, UserId)>> {
        let rows = sqlx::query(
            "SELECT o.id, o.customer_id FROM orders o WHERE o.status = 'confirmed' \
             AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.order_id = o.id) \
             AND EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = o.id \
                 AND e.to_status = 'confirmed' AND e.at <= $1) \
             ORDER BY o.id LIMIT $2",
        )
        .bind(before.0)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    parse_id(&r.try_get::<String, _>("id")?)?,
                    parse_id(&r.try_get::<String, _>("customer_id")?)?,
                ))
            })
            .collect()
    }

    async fn insert_customer_rating(&self, c: &CustomerRatingRow) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let ok = sqlx::query(
            "SELECT 1 AS one FROM orders WHERE id = $1 AND provider_id = $2 AND customer_id = $3 \
             AND status = 'confirmed'",
        )
        .bind(c.order_id.to_string())
        .bind(c.provider_id.to_string())
        .bind(c.customer_id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        if ok.is_none() {
            return Err(DomainError::InvalidTransition.into());
        }
        sqlx::query(
            "INSERT INTO customer_ratings (order_id, provider_id, customer_id, stars, body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(c.order_id.to_string())
        .bind(c.provider_id.to_string())
        .bind(c.customer_id.to_string())
        .bind(c.stars)
        .bind(&c.body)
        .bind(c.created_at.0)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await?;
        Ok(())
    }

    async fn customer_ratings(&self, customer: UserId) -> StoreResult<Vec<CustomerRatingRow>> {
        let rows = sqlx::query(
            "SELECT * FROM customer_ratings WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 50",
        )
        .bind(customer.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(customer_rating).collect()
    }

    async fn customer_rating_of_order(
        &self,
        order: OrderId,
    ) -> StoreResult<Option<CustomerRatingRow>> {
        let row = sqlx::query("SELECT * FROM customer_ratings WHERE order_id = $1")
            .bind(order.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(customer_rating).transpose()
    }
}
