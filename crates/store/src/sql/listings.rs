//! The statements behind [`ListingStore`].

use async_trait::async_trait;
use linli_domain::{
    ids::{AddressId, JobId, ListingId, ProviderId, UserId},
    listing::{ListingAction, ListingStatus},
    time::Timestamp,
};
use sqlx::{Row, any::AnyRow};

use super::{SqlStore, decode, map_err, parse_id};
use crate::{BookableListing, ListingRow, ListingStore, StoreError, StoreResult};

/// One key-set page of published listings in id order: one range of the (status, id) index
/// (migration 0021), whatever the depth.
const PUBLISHED_AFTER: &str =
    "SELECT * FROM listings WHERE status = 'published' AND id > $1 ORDER BY id LIMIT $2";

fn json<T: serde::de::DeserializeOwned>(row: &AnyRow, col: &str) -> StoreResult<T> {
    let text: String = row.try_get(col)?;
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

fn to_json<T: serde::Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn listing(row: &AnyRow) -> StoreResult<ListingRow> {
    Ok(ListingRow {
        id: parse_id(&row.try_get::<String, _>("id")?)?,
        provider_id: parse_id(&row.try_get::<String, _>("provider_id")?)?,
        category: row.try_get("category")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        unit: row.try_get("unit")?,
        price_fen: row.try_get("price_fen")?,
        min_units: row.try_get("min_units")?,
        minutes: row.try_get("minutes")?,
        options: json(row, "options")?,
        sop: json(row, "sop")?,
        attributes: json(row, "attributes")?,
        photos: json(row, "photos")?,
        status: row.try_get("status")?,
        review_note: row.try_get("review_note")?,
        flags: row.try_get("flags")?,
        sales: row.try_get("sales")?,
        cancel_policy: row.try_get("cancel_policy")?,
        instant_book: row.try_get::<i64, _>("instant_book")? != 0,
        updated_at: decode::ts(row, "updated_at")?,
    })
}

async fn event(
    tx: &mut sqlx::AnyConnection,
    topic: &str,
    id: ListingId,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO outbox (id, topic, payload, created_at) VALUES ($1, $2, $3, $4)")
        .bind(JobId::new().to_string())
        .bind(topic)
        .bind(format!("{{\"listing\":\"{id}\"}}"))
        .bind(now.0)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

#[async_trait]
impl ListingStore for SqlStore {
    async fn save_listing(&self, l: &ListingRow, now: Timestamp) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let current = sqlx::query("SELECT provider_id, status FROM listings WHERE id = $1")
            .bind(l.id.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        let (options, sop, photos) = (to_json(&l.options)?, to_json(&l.sop)?, to_json(&l.photos)?);
        let attributes = to_json(&l.attributes)?;
        match current {
            Some(r) => {
                if r.try_get::<String, _>("provider_id")? != l.provider_id.to_string() {
                    return Err(StoreError::NotFound);
                }
                let status = ListingStatus::parse(&r.try_get::<String, _>("status")?)?;
                if !status.editable() {
                    return Err(StoreError::Rule(
                        linli_domain::DomainError::InvalidTransition,
                    ));
                }
                sqlx::query(
                    "UPDATE listings SET category = $1, title = $2, description = $3, unit = $4, price_fen = $5, min_units = $6, \
                     minutes = $7, options = $8, sop = $9, photos = $10, updated_at = $11, attributes = $13, \
                     cancel_policy = $14, instant_book = $15 WHERE id = $12",
                )
                .bind(&l.category)
                .bind(&l.title)
                .bind(&l.description)
                .bind(&l.unit)
                .bind(l.price_fen)
                .bind(l.min_units)
                .bind(l.minutes)
                .bind(&options)
                .bind(&sop)
                .bind(&photos)
                .bind(now.0)
                .bind(l.id.to_string())
                .bind(&attributes)
                .bind(&l.cancel_policy)
                .bind(i64::from(l.instant_book))
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query(
                    "INSERT INTO listings (id, provider_id, category, title, description, unit, price_fen, min_units, minutes, \
                     options, sop, photos, status, created_at, updated_at, attributes, cancel_policy, instant_book) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'draft', $13, $13, $14, $15, $16)",
                )
                .bind(l.id.to_string())
                .bind(l.provider_id.to_string())
                .bind(&l.category)
                .bind(&l.title)
                .bind(&l.description)
                .bind(&l.unit)
                .bind(l.price_fen)
                .bind(l.min_units)
                .bind(l.minutes)
                .bind(&options)
                .bind(&sop)
                .bind(&photos)
                .bind(now.0)
                .bind(&attributes)
                .bind(&l.cancel_policy)
                .bind(i64::from(l.instant_book))
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
            }
        }
        event(&mut tx, "listing.changed", l.id, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn transition_listing(
        &self,
        id: ListingId,
        owner: Option<ProviderId>,
        action: ListingAction,
        note: Option<&str>,
        flags: &str,
        now: Timestamp,
    ) -> StoreResult<ListingRow> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query("SELECT provider_id, status FROM listings WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        if owner
            .is_some_and(|o| row.try_get::<String, _>("provider_id").ok() != Some(o.to_string()))
        {
            return Err(StoreError::NotFound);
        }
        let current: String = row.try_get("status")?;
        let next = ListingStatus::parse(&current)?.after(action)?;
        let is_submit = matches!(action, ListingAction::Submit { .. });
        let done = sqlx::query(
            "UPDATE listings SET status = $1, review_note = $2, flags = CASE WHEN $3 = 1 THEN $4 ELSE flags END, updated_at = $5, \
             published_at = CASE WHEN $1 = 'published' THEN $5 ELSE published_at END WHERE id = $6 AND status = $7",
        )
        .bind(next.as_str())
        .bind(note.map(str::to_owned))
        .bind(i64::from(is_submit))
        .bind(flags)
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
        event(&mut tx, "listing.changed", id, now).await?;
        let row = sqlx::query("SELECT * FROM listings WHERE id = $1")
            .bind(id.to_string())
            .fetch_one(&mut *tx)
            .await?;
        let out = listing(&row)?;
        tx.commit().await?;
        Ok(out)
    }

    async fn listing(&self, id: ListingId) -> StoreResult<Option<ListingRow>> {
        let row = sqlx::query("SELECT * FROM listings WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(listing).transpose()
    }

    async fn bookable_listing(
        &self,
        id: ListingId,
        user: UserId,
        address: AddressId,
    ) -> StoreResult<Option<BookableListing>> {
        // One row per service area (one with NULL area columns when there is none).
        let rows = sqlx::query(concat!(
            "SELECT l.*, p.user_id AS provider_user_id, \
             COALESCE(c.deposit_fen, 0) AS own_deposit_fen, \
             COALESCE(pc.deposit_fen, 0) AS parent_deposit_fen, ",
            decode::address_cols_ad!(),
            ", ",
            decode::area_cols_sa!(),
            " FROM listings l JOIN providers p ON p.id = l.provider_id \
             LEFT JOIN categories c ON c.slug = l.category \
             LEFT JOIN categories pc ON pc.id = c.parent_id \
             LEFT JOIN addresses ad ON ad.id = $2 AND ad.user_id = $3 \
             LEFT JOIN service_areas sa ON sa.provider_id = l.provider_id \
             WHERE l.id = $1 AND l.status = 'published' AND p.status = 'approved' \
             AND p.suspended = 0 ORDER BY sa.created_at, sa.id"
        ))
        .bind(id.to_string())
        .bind(address.to_string())
        .bind(user.to_string())
        .fetch_all(&self.pool)
        .await?;
        let Some(r) = rows.first() else {
            return Ok(None);
        };
        let own: i64 = r.try_get("own_deposit_fen")?;
        let parent: i64 = r.try_get("parent_deposit_fen")?;
        let has = |r: &AnyRow, col: &str| -> StoreResult<bool> {
            Ok(r.try_get::<Option<String>, _>(col)?.is_some())
        };
        let mut areas = Vec::new();
        for r in &rows {
            if has(r, "sa_id")? {
                areas.push(decode::area_as(r, "sa_")?);
            }
        }
        Ok(Some(BookableListing {
            listing: listing(r)?,
            provider_user: parse_id(&r.try_get::<String, _>("provider_user_id")?)?,
            deposit_required_fen: own.max(parent),
            address: if has(r, "ad_id")? {
                Some(decode::address_as(r, "ad_")?)
            } else {
                None
            },
            areas,
        }))
    }

    async fn listings_of(&self, provider: ProviderId) -> StoreResult<Vec<ListingRow>> {
        let rows = sqlx::query(
            "SELECT * FROM listings WHERE provider_id = $1 ORDER BY updated_at DESC, id DESC",
        )
        .bind(provider.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(listing).collect()
    }

    async fn list_listings(
        &self,
        status: &str,
        limit: i64,
        offset: i64,
    ) -> StoreResult<(Vec<ListingRow>, i64)> {
        let rows = sqlx::query(
            "SELECT * FROM listings WHERE status = $1 ORDER BY updated_at, id LIMIT $2 OFFSET $3",
        )
        .bind(status)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        let total: i64 =
            sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM listings WHERE status = $1")
                .bind(status)
                .fetch_one(&self.pool)
                .await?
                .try_get("n")?;
        Ok((rows.iter().map(listing).collect::<StoreResult<_>>()?, total))
    }

    async fn published_in(
        &self,
        categories: &[String],
        limit: i64,
        offset: i64,
    ) -> StoreResult<(Vec<ListingRow>, i64)> {
        // A short, fixed list of slugs: one statement with an IN list built from placeholders.
        if categories.is_empty() || categories.len() > 64 {
            return Ok((Vec::new(), 0));
        }
        let marks: Vec<String> = (0..categories.len())
            .map(|i| format!("${}", i + 1))
            .collect();
        let n = categories.len();
        let sql = format!(
            "SELECT * FROM listings WHERE status = 'published' AND category IN ({}) ORDER BY sales DESC, updated_at DESC, id LIMIT ${} OFFSET ${}",
            marks.join(", "),
            n + 1,
            n + 2
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for c in categories {
            q = q.bind(c.clone());
        }
        let rows = q.bind(limit).bind(offset).fetch_all(&self.pool).await?;
        let count_sql = format!(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM listings WHERE status = 'published' AND category IN ({})",
            marks.join(", ")
        );
        let mut c = sqlx::query(sqlx::AssertSqlSafe(count_sql));
        for cat in categories {
            c = c.bind(cat.clone());
        }
        let total: i64 = c.fetch_one(&self.pool).await?.try_get("n")?;
        Ok((rows.iter().map(listing).collect::<StoreResult<_>>()?, total))
    }

    async fn published_after(
        &self,
        after: Option<ListingId>,
        limit: i64,
    ) -> StoreResult<Vec<ListingRow>> {
        let rows = sqlx::query(PUBLISHED_AFTER)
            .bind(after.map(|a| a.to_string()).unwrap_or_default())
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(listing).collect()
    }

    async fn set_favourite(
        &self,
        user: UserId,
        listing_id: ListingId,
        on: bool,
        now: Timestamp,
    ) -> StoreResult<bool> {
        if on {
            sqlx::query("INSERT INTO favourites (user_id, listing_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (user_id, listing_id) DO NOTHING")
                .bind(user.to_string())
                .bind(listing_id.to_string())
                .bind(now.0)
                .execute(&self.pool)
                .await
                .map_err(map_err)?;
        } else {
            sqlx::query("DELETE FROM favourites WHERE user_id = $1 AND listing_id = $2")
                .bind(user.to_string())
                .bind(listing_id.to_string())
                .execute(&self.pool)
                .await?;
        }
        Ok(on)
    }

    async fn is_favourite(&self, user: UserId, listing_id: ListingId) -> StoreResult<bool> {
        Ok(
            sqlx::query("SELECT 1 AS one FROM favourites WHERE user_id = $1 AND listing_id = $2")
                .bind(user.to_string())
                .bind(listing_id.to_string())
                .fetch_optional(&self.pool)
                .await?
                .is_some(),
        )
    }

    async fn favourites(&self, user: UserId) -> StoreResult<Vec<ListingRow>> {
        let rows = sqlx::query("SELECT l.* FROM listings l JOIN favourites f ON f.listing_id = l.id WHERE f.user_id = $1 ORDER BY f.created_at DESC, l.id")
            .bind(user.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(listing).collect()
    }

    async fn set_follow(
        &self,
        user: UserId,
        provider: ProviderId,
        on: bool,
        now: Timestamp,
    ) -> StoreResult<bool> {
        if on {
            sqlx::query("INSERT INTO follows (user_id, provider_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (user_id, provider_id) DO NOTHING")
                .bind(user.to_string())
                .bind(provider.to_string())
                .bind(now.0)
                .execute(&self.pool)
                .await
                .map_err(map_err)?;
        } else {
            sqlx::query("DELETE FROM follows WHERE user_id = $1 AND provider_id = $2")
                .bind(user.to_string())
                .bind(provider.to_string())
                .execute(&self.pool)
                .await?;
        }
        Ok(on)
    }

    async fn follow_state(
        &self,
        user: Option<UserId>,
        provider: ProviderId,
    ) -> StoreResult<(bool, i64)> {
        let n: i64 =
            sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM follows WHERE provider_id = $1")
                .bind(provider.to_string())
                .fetch_one(&self.pool)
                .await?
                .try_get("n")?;
        let mine = match user {
            Some(u) => {
                sqlx::query("SELECT 1 AS one FROM follows WHERE user_id = $1 AND provider_id = $2")
                    .bind(u.to_string())
                    .bind(provider.to_string())
                    .fetch_optional(&self.pool)
                    .await?
                    .is_some()
            }
            None => false,
        };
        Ok((mine, n))
    }

    async fn follows(&self, user: UserId) -> StoreResult<Vec<(ProviderId, String)>> {
        let rows = sqlx::query("SELECT p.id, p.display_name FROM providers p JOIN follows f ON f.provider_id = p.id WHERE f.user_id = $1 ORDER BY f.created_at DESC, p.id")
            .bind(user.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    parse_id(&r.try_get::<String, _>("id")?)?,
                    r.try_get("display_name")?,
                ))
            })
            .collect()
    }

    async fn log_search(
        &self,
        user: Option<UserId>,
        query: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO search_log (id, user_id, query, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(JobId::new().to_string())
        .bind(user.map(|u| u.to_string()))
        .bind(query)
        .bind(now.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn search_history(&self, user: UserId, limit: i64) -> StoreResult<Vec<String>> {
        let rows = sqlx::query(
            "SELECT query, CAST(MAX(created_at) AS BIGINT) AS last FROM search_log WHERE user_id = $1 AND hidden = 0 \
             GROUP BY query ORDER BY last DESC, MAX(id) DESC LIMIT $2",
        )
        .bind(user.to_string())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok(r.try_get("query")?)).collect()
    }

    async fn clear_search_history(&self, user: UserId) -> StoreResult<()> {
        sqlx::query("UPDATE search_log SET hidden = 1 WHERE user_id = $1")
            .bind(user.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn hot_searches(&self, since: Timestamp, limit: i64) -> StoreResult<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "SELECT query, CAST(COUNT(*) AS BIGINT) AS n FROM search_log WHERE created_at >= $1 GROUP BY query ORDER BY n DESC, query LIMIT $2",
        )
        .bind(since.0)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("query")?, r.try_get("n")?)))
            .collect()
    }

    async fn synonym_groups(&self) -> StoreResult<Vec<(String, Vec<String>)>> {
        let rows = sqlx::query("SELECT id, words FROM search_synonyms ORDER BY created_at, id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let words: String = r.try_get("words")?;
                Ok((
                    r.try_get("id")?,
                    words
                        .split(',')
                        .filter(|w| !w.is_empty())
                        .map(str::to_owned)
                        .collect(),
                ))
            })
            .collect()
    }

    async fn add_synonym_group(
        &self,
        id: &str,
        words: &[String],
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query("INSERT INTO search_synonyms (id, words, created_at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(words.join(","))
            .bind(now.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_synonym_group(&self, id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM search_synonyms WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn moderation_words(&self) -> StoreResult<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT word, severity FROM moderation_words ORDER BY word")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("word")?, r.try_get("severity")?)))
            .collect()
    }

    async fn put_moderation_word(
        &self,
        word: &str,
        severity: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO moderation_words (word, severity, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (word) DO UPDATE SET severity = excluded.severity",
        )
        .bind(word)
        .bind(severity)
        .bind(now.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn delete_moderation_word(&self, word: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM moderation_words WHERE word = $1")
            .bind(word)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn pending_events(&self, limit: i64) -> StoreResult<Vec<(String, String, String)>> {
        let rows = sqlx::query("SELECT id, topic, payload FROM outbox WHERE processed_at IS NULL ORDER BY created_at, id LIMIT $1")
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("topic")?, r.try_get("payload")?)))
            .collect()
    }

    async fn mark_events_processed(&self, ids: &[String], now: Timestamp) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        for id in ids {
            sqlx::query("UPDATE outbox SET processed_at = $1 WHERE id = $2")
                .bind(now.0)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::PUBLISHED_AFTER;

    /// SQLite walks a page of the reindex as one index range in id order: no scan of every
    /// published listing and no sort (which made a full reindex quadratic).
    #[tokio::test]
    async fn a_published_after_page_is_one_index_range_in_order() {
        let db = linli_testkit::fresh_db(linli_testkit::Backend::Sqlite)
            .await
            .unwrap();
        let plan: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(format!(
            "EXPLAIN QUERY PLAN {PUBLISHED_AFTER}"
        )))
        .bind("")
        .bind(500_i64)
        .fetch_all(db.store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| sqlx::Row::try_get::<String, _>(r, "detail").unwrap())
        .collect();
        assert_eq!(
            plan,
            ["SEARCH listings USING INDEX listings_status_id (status=? AND id>?)"],
            "{plan:?}"
        );
    }
}
