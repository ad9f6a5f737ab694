//! The statements behind [`BookingStore`].
//!
//! No double booking rests on two things, the same on both databases:
//! 1. Every booking transaction first bumps the provider's `provider_schedules.lock_version`.
//!    On PostgreSQL that row lock serialises one provider's bookings (other providers are not
//!    held up); on SQLite the transaction is `BEGIN IMMEDIATE`, which serialises all writers.
//!    Inside it, the travel-time rule is checked against the jobs as they are now.
//! 2. The occupancy cells' primary key `(provider_id, cell, lane)`, with lanes below the
//!    provider's capacity, is a constraint no interleaving can break: even a transaction that
//!    skipped the lock could not put more jobs in a quarter-hour than there are lanes.

use async_trait::async_trait;
use linli_domain::{
    DomainError,
    ids::{AfterSaleId, JobId, OrderId, ProviderId, UserId},
    schedule::{self, Availability, BookedJob, Candidate, SlotError, Travel},
    time::{MINUTE_MS, Timestamp},
};
use sqlx::{Row, any::AnyRow};

use super::{SqlStore, decode, map_err, parse_id};
use crate::{BookingStore, NewJob, OrderChange, OrderEventRow, OrderRow, StoreError, StoreResult};

/// Statuses that hold a slot (`OrderStatus::holds_slot`), as SQL.
const HOLDING: &str = "('pending_payment', 'awaiting_acceptance', 'accepted', 'in_service')";

fn order(row: &AnyRow) -> StoreResult<OrderRow> {
    let accept: Option<i64> = row.try_get("accept_deadline")?;
    Ok(OrderRow {
        id: parse_id(&row.try_get::<String, _>("id")?)?,
        customer_id: parse_id(&row.try_get::<String, _>("customer_id")?)?,
        provider_id: parse_id(&row.try_get::<String, _>("provider_id")?)?,
        listing_id: parse_id(&row.try_get::<String, _>("listing_id")?)?,
        listing_title: row.try_get("listing_title")?,
        quote: row.try_get("quote")?,
        total_fen: row.try_get("total_fen")?,
        address_id: row.try_get("address_id")?,
        district_code: row.try_get("district_code")?,
        lat_micro: row.try_get("lat_micro")?,
        lng_micro: row.try_get("lng_micro")?,
        address_text: row.try_get("address_text")?,
        contact_name: row.try_get("contact_name")?,
        contact_phone: row.try_get("contact_phone")?,
        start_at: decode::ts(row, "start_at")?,
        end_at: decode::ts(row, "end_at")?,
        buffer_min: row.try_get("buffer_min")?,
        status: row.try_get("status")?,
        cancel_policy: row.try_get("cancel_policy")?,
        instant_book: decode::flag(row, "instant_book")?,
        pay_deadline: decode::ts(row, "pay_deadline")?,
        accept_deadline: accept.map(Timestamp),
        times_moved: row.try_get("times_moved")?,
        fee_fen: row.try_get("fee_fen")?,
        refund_fen: row.try_get("refund_fen")?,
        credit_fen: row.try_get("credit_fen")?,
        note: row.try_get("note")?,
        paid_fen: row.try_get("paid_fen")?,
        commission_bps: row.try_get("commission_bps")?,
        commission_min_fen: row.try_get("commission_min_fen")?,
        money_version: row.try_get("money_version")?,
        completed_at: row
            .try_get::<Option<i64>, _>("completed_at")?
            .map(Timestamp),
        released_at: row.try_get::<Option<i64>, _>("released_at")?.map(Timestamp),
        reservice_of: row
            .try_get::<Option<String>, _>("reservice_of")?
            .map(|s| parse_id(&s))
            .transpose()?,
        created_at: decode::ts(row, "created_at")?,
        updated_at: decode::ts(row, "updated_at")?,
    })
}

fn corrupt(col: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{col}: {e}"))
}

/// Takes the provider's booking lock (creating its schedule row from `defaults` if it has none
/// yet) and returns the availability as it stands under the lock: one statement, the lock-row
/// update `RETURNING` the settings.
async fn lock_provider(
    tx: &mut sqlx::AnyConnection,
    provider: ProviderId,
    defaults: &Availability,
    now: Timestamp,
) -> StoreResult<Availability> {
    let bump = || {
        sqlx::query(
            "UPDATE provider_schedules SET lock_version = lock_version + 1 WHERE provider_id = $1 \
             RETURNING weekly, exceptions, capacity, min_notice_min, horizon_days, buffer_min",
        )
        .bind(provider.to_string())
    };
    if let Some(row) = bump().fetch_optional(&mut *tx).await? {
        return availability_of(&row);
    }
    insert_schedule_if_absent(tx, provider, defaults, now).await?;
    let row = bump().fetch_one(&mut *tx).await?;
    availability_of(&row)
}

/// Columns of a new order, in the order [`lock_and_insert_order`] binds them ($1..$24; the
/// buffer, last, comes from the provider's schedule).
macro_rules! new_order_cols {
    () => {
        "id, customer_id, provider_id, listing_id, listing_title, quote, total_fen, address_id, \
         district_code, lat_micro, lng_micro, address_text, contact_name, contact_phone, \
         start_at, end_at, status, cancel_policy, instant_book, pay_deadline, accept_deadline, \
         note, created_at, updated_at, reservice_of, buffer_min"
    };
}
macro_rules! new_order_params {
    () => {
        "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, \
         $20, $21, $22, $23, $23, $24"
    };
}

/// Locks the provider's schedule (as [`lock_provider`]) and inserts the order with the
/// schedule's buffer. On PostgreSQL one statement (the insert reads the lock's `RETURNING` in
/// a data-modifying `WITH`; the calendar is read by the next statement, after the lock is
/// held); on SQLite two statements in one round trip.
async fn lock_and_insert_order(
    tx: &mut sqlx::AnyConnection,
    backend: crate::Backend,
    o: &OrderRow,
    defaults: &Availability,
    now: Timestamp,
) -> StoreResult<Availability> {
    let bind = |q: sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments>| {
        q.bind(o.id.to_string())
            .bind(o.customer_id.to_string())
            .bind(o.provider_id.to_string())
            .bind(o.listing_id.to_string())
            .bind(o.listing_title.clone())
            .bind(o.quote.clone())
            .bind(o.total_fen)
            .bind(o.address_id.clone())
            .bind(o.district_code.clone())
            .bind(o.lat_micro)
            .bind(o.lng_micro)
            .bind(o.address_text.clone())
            .bind(o.contact_name.clone())
            .bind(o.contact_phone.clone())
            .bind(o.start_at.0)
            .bind(o.end_at.0)
            .bind(o.status.clone())
            .bind(o.cancel_policy.clone())
            .bind(i64::from(o.instant_book))
            .bind(o.pay_deadline.0)
            .bind(o.accept_deadline.map(|t| t.0))
            .bind(o.note.clone())
            .bind(now.0)
            .bind(o.reservice_of.map(|r| r.to_string()))
    };
    let both = || {
        bind(sqlx::query(match backend {
            crate::Backend::Postgres => concat!(
                "WITH l AS (UPDATE provider_schedules SET lock_version = lock_version + 1 \
                 WHERE provider_id = $3 RETURNING weekly, exceptions, capacity, min_notice_min, \
                 horizon_days, buffer_min), o AS (INSERT INTO orders (",
                new_order_cols!(),
                ") SELECT ",
                new_order_params!(),
                ", l.buffer_min FROM l) SELECT * FROM l"
            ),
            // The same two steps as two statements run in one go; the insert finds the row the
            // update locked (or none, as on PostgreSQL, when the provider has no schedule yet).
            crate::Backend::Sqlite => concat!(
                "UPDATE provider_schedules SET lock_version = lock_version + 1 \
                 WHERE provider_id = $3 RETURNING weekly, exceptions, capacity, min_notice_min, \
                 horizon_days, buffer_min; INSERT INTO orders (",
                new_order_cols!(),
                ") SELECT ",
                new_order_params!(),
                ", buffer_min FROM provider_schedules WHERE provider_id = $3"
            ),
        }))
    };
    // `fetch_all`, not `fetch_optional`: on SQLite that would stop after the update's row,
    // before the insert ran.
    if let Some(row) = both().fetch_all(&mut *tx).await.map_err(map_err)?.first() {
        return availability_of(row);
    }
    insert_schedule_if_absent(tx, o.provider_id, defaults, now).await?;
    let rows = both().fetch_all(&mut *tx).await.map_err(map_err)?;
    availability_of(rows.first().ok_or(StoreError::NotFound)?)
}

/// Decodes a `provider_schedules` row.
fn availability_of(r: &AnyRow) -> StoreResult<Availability> {
    let weekly: String = r.try_get("weekly")?;
    let exceptions: String = r.try_get("exceptions")?;
    Ok(Availability {
        weekly: serde_json::from_str(&weekly).map_err(|e| corrupt("weekly", e))?,
        exceptions: serde_json::from_str(&exceptions).map_err(|e| corrupt("exceptions", e))?,
        capacity: r.try_get("capacity")?,
        min_notice_min: r.try_get("min_notice_min")?,
        horizon_days: r.try_get("horizon_days")?,
        buffer_min: r.try_get("buffer_min")?,
    })
}

async fn insert_schedule_if_absent(
    tx: &mut sqlx::AnyConnection,
    provider: ProviderId,
    a: &Availability,
    now: Timestamp,
) -> StoreResult<()> {
    let weekly = serde_json::to_string(&a.weekly).map_err(|e| corrupt("weekly", e))?;
    let exceptions = serde_json::to_string(&a.exceptions).map_err(|e| corrupt("exceptions", e))?;
    sqlx::query(
        "INSERT INTO provider_schedules (provider_id, weekly, exceptions, capacity, min_notice_min, \
         horizon_days, buffer_min, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (provider_id) DO NOTHING",
    )
    .bind(provider.to_string())
    .bind(weekly)
    .bind(exceptions)
    .bind(a.capacity)
    .bind(a.min_notice_min)
    .bind(a.horizon_days)
    .bind(a.buffer_min)
    .bind(now.0)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// What the booking check reads under the provider's lock, in one statement: the provider's
/// jobs holding a slot within `reach_ms` of `[start, end)` (the only ones that can conflict
/// with it, [`Travel::reach_ms`]) except `skip`, and the occupied `(cell, lane)` pairs of
/// `cells`.
///
/// Both lists come back aggregated into one row (`string_agg`, on both databases): a busy
/// provider has hundreds of such jobs and cells, and a row each would cost a round trip each
/// between SQLite's worker thread and the caller, all while the write lock is held.
async fn calendar_around(
    tx: &mut sqlx::AnyConnection,
    provider: ProviderId,
    (start, end): (Timestamp, Timestamp),
    reach_ms: i64,
    skip: Option<OrderId>,
    cells: &std::ops::Range<i64>,
) -> StoreResult<(Vec<BookedJob>, Vec<(i64, i64)>)> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT (SELECT string_agg(CAST(start_at AS TEXT) || ',' || CAST(end_at AS TEXT) || ',' \
         || CAST(lat_micro AS TEXT) || ',' || CAST(lng_micro AS TEXT), ';') FROM orders \
         WHERE provider_id = $1 AND status IN {HOLDING} AND start_at < $2 AND end_at > $3 \
         AND start_at > $7 AND id <> $4) AS jobs, \
         (SELECT string_agg(CAST(cell AS TEXT) || ',' || CAST(lane AS TEXT), ';') \
         FROM booking_cells WHERE provider_id = $1 AND cell >= $5 AND cell < $6) AS cells"
    )))
    .bind(provider.to_string())
    .bind(end.0 + reach_ms)
    .bind(start.0 - reach_ms)
    .bind(skip.map(|s| s.to_string()).unwrap_or_default())
    .bind(cells.start)
    .bind(cells.end)
    // No job is longer than a day: the index on (provider, start) is read over a bounded range,
    // not over the provider's whole past.
    .bind(start.0 - reach_ms - schedule::MAX_JOB_MS)
    .fetch_one(&mut *tx)
    .await?;
    let jobs = int_tuples::<4>(row.try_get("jobs")?, "jobs")?
        .into_iter()
        .map(|[a, b, lat, lng]| BookedJob {
            start: Timestamp(a),
            end: Timestamp(b),
            at: (lat, lng),
        })
        .collect();
    let taken = int_tuples::<2>(row.try_get("cells")?, "cells")?
        .into_iter()
        .map(|[cell, lane]| (cell, lane))
        .collect();
    Ok((jobs, taken))
}

/// Parses a `string_agg` of `N` comma-separated integers per item, items separated by `;`
/// (`None`: no items).
fn int_tuples<const N: usize>(agg: Option<String>, col: &str) -> StoreResult<Vec<[i64; N]>> {
    let Some(agg) = agg else {
        return Ok(Vec::new());
    };
    agg.split(';')
        .map(|item| {
            let mut out = [0; N];
            let mut parts = item.split(',');
            for v in &mut out {
                *v = parts
                    .next()
                    .and_then(|p| p.parse().ok())
                    .ok_or_else(|| corrupt(col, item))?;
            }
            match parts.next() {
                None => Ok(out),
                Some(_) => Err(corrupt(col, item)),
            }
        })
        .collect()
}

/// Checks the slot under the provider's lock and picks a lane for each of its cells (the
/// lowest free one); the caller writes them ([`insert_cells`], or with the order's first
/// entry in [`add_event_and_jobs`]).
#[allow(clippy::too_many_arguments)]
async fn occupy(
    tx: &mut sqlx::AnyConnection,
    provider: ProviderId,
    order: OrderId,
    start: Timestamp,
    end: Timestamp,
    at: (i64, i64),
    a: &Availability,
    travel: Travel,
    now: Timestamp,
) -> StoreResult<Vec<(i64, i64)>> {
    let cells = schedule::cells(start, end, a.buffer_min);
    let reach = travel.reach_ms(a.buffer_min);
    let (booked, taken) =
        calendar_around(tx, provider, (start, end), reach, Some(order), &cells).await?;
    let job = Candidate {
        start,
        minutes: (end.0 - start.0) / MINUTE_MS,
        at,
    };
    schedule::check(a, travel, &booked, job, now).map_err(DomainError::from)?;
    // Each cell in its lowest free lane.
    let mut rows = Vec::new();
    for cell in cells {
        let lane = (0..a.capacity)
            .find(|l| !taken.contains(&(cell, *l)))
            .ok_or(DomainError::Slot(SlotError::Taken))?;
        rows.push((cell, lane));
    }
    Ok(rows)
}

/// The `VALUES` list of `(provider, cell, lane, order)` rows for `cells`: the provider is
/// `$provider`, the order `$order`, and each cell's pair follows from `$pairs` on.
fn cell_values(provider: usize, order: usize, pairs: usize, cells: &[(i64, i64)]) -> String {
    (0..cells.len())
        .map(|i| {
            format!(
                "(${provider}, ${}, ${}, ${order})",
                pairs + 2 * i,
                pairs + 1 + 2 * i
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Inserts the cells [`occupy`] chose, in one statement.
async fn insert_cells(
    tx: &mut sqlx::AnyConnection,
    provider: ProviderId,
    order: OrderId,
    cells: &[(i64, i64)],
) -> StoreResult<()> {
    if cells.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO booking_cells (provider_id, cell, lane, order_id) VALUES {}",
        cell_values(1, 2, 3, cells)
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(provider.to_string())
        .bind(order.to_string());
    for (cell, lane) in cells {
        q = q.bind(*cell).bind(*lane);
    }
    q.execute(&mut *tx).await.map_err(map_err)?;
    Ok(())
}

async fn add_event(
    tx: &mut sqlx::AnyConnection,
    order: OrderId,
    e: &OrderEventRow,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO order_events (id, order_id, at, actor, action, from_status, to_status, note) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(JobId::new().to_string())
    .bind(order.to_string())
    .bind(e.at.0)
    .bind(&e.actor)
    .bind(&e.action)
    .bind(e.from_status.clone())
    .bind(&e.to_status)
    .bind(&e.note)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Appends a timeline entry, schedules jobs and takes the booking cells `cells` for the
/// order (`(provider, [(cell, lane)])`, as [`occupy`] chose them), in one round trip: on
/// PostgreSQL one statement (the cells and jobs inserts in a data-modifying `WITH`), on SQLite
/// the same inserts as one multi-statement query (run in one go by the connection's worker
/// thread, so the write lock is not held across a hand-off per insert).
async fn add_event_and_jobs(
    tx: &mut sqlx::AnyConnection,
    backend: crate::Backend,
    order: OrderId,
    e: &OrderEventRow,
    jobs: &[NewJob],
    cells: Option<(ProviderId, &[(i64, i64)])>,
    now: Timestamp,
) -> StoreResult<()> {
    // $1..$8 the entry, $9 now, five per job from $10, then the provider and the cells' pairs.
    let cells = cells.filter(|(_, c)| !c.is_empty());
    let event = "INSERT INTO order_events (id, order_id, at, actor, action, from_status, \
                 to_status, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    let jobs_insert = (!jobs.is_empty()).then(|| {
        let values: Vec<String> = (0..jobs.len())
            .map(|i| {
                let p = 10 + 5 * i;
                format!(
                    "(${}, ${}, ${}, ${}, 'pending', 0, ${}, $9, $9)",
                    p,
                    p + 1,
                    p + 2,
                    p + 3,
                    p + 4
                )
            })
            .collect();
        format!(
            "INSERT INTO jobs (id, kind, payload, run_at, status, attempts, dedupe_key, \
             created_at, updated_at) VALUES {} ON CONFLICT (dedupe_key) DO NOTHING",
            values.join(", ")
        )
    });
    let cells_insert = cells.map(|(_, c)| {
        format!(
            "INSERT INTO booking_cells (provider_id, cell, lane, order_id) VALUES {}",
            cell_values(10 + 5 * jobs.len(), 2, 11 + 5 * jobs.len(), c)
        )
    });
    let sql = match backend {
        crate::Backend::Postgres => {
            let ctes: Vec<String> = [("c", &cells_insert), ("j", &jobs_insert)]
                .into_iter()
                .filter_map(|(name, s)| s.as_ref().map(|s| format!("{name} AS ({s})")))
                .collect();
            if ctes.is_empty() {
                event.to_owned()
            } else {
                format!("WITH {} {event}", ctes.join(", "))
            }
        }
        crate::Backend::Sqlite => [cells_insert.as_deref(), Some(event), jobs_insert.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("; "),
    };
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(JobId::new().to_string())
        .bind(order.to_string())
        .bind(e.at.0)
        .bind(&e.actor)
        .bind(&e.action)
        .bind(e.from_status.clone())
        .bind(&e.to_status)
        .bind(&e.note)
        .bind(now.0);
    for j in jobs {
        q = q
            .bind(j.id.to_string())
            .bind(&j.kind)
            .bind(&j.payload)
            .bind(j.run_at.0)
            .bind(j.dedupe_key.clone());
    }
    if let Some((provider, c)) = cells {
        q = q.bind(provider.to_string());
        for (cell, lane) in c {
            q = q.bind(*cell).bind(*lane);
        }
    }
    q.execute(&mut *tx).await.map_err(map_err)?;
    Ok(())
}

pub(super) async fn add_jobs(
    tx: &mut sqlx::AnyConnection,
    jobs: &[NewJob],
    now: Timestamp,
) -> StoreResult<()> {
    for j in jobs {
        sqlx::query(
            "INSERT INTO jobs (id, kind, payload, run_at, status, attempts, dedupe_key, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'pending', 0, $5, $6, $6) ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(j.id.to_string())
        .bind(&j.kind)
        .bind(&j.payload)
        .bind(j.run_at.0)
        .bind(j.dedupe_key.clone())
        .bind(now.0)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

async fn fetch_order(tx: &mut sqlx::AnyConnection, id: OrderId) -> StoreResult<Option<OrderRow>> {
    let row = sqlx::query("SELECT * FROM orders WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
    row.as_ref().map(order).transpose()
}

fn status_filter(statuses: &[&str], first_param: usize) -> String {
    if statuses.is_empty() {
        return String::new();
    }
    let marks: Vec<String> = (0..statuses.len())
        .map(|i| format!("${}", first_param + i))
        .collect();
    format!(" AND status IN ({})", marks.join(", "))
}

#[async_trait]
impl BookingStore for SqlStore {
    async fn schedule(&self, provider: ProviderId) -> StoreResult<Option<Availability>> {
        let row = sqlx::query("SELECT * FROM provider_schedules WHERE provider_id = $1")
            .bind(provider.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(availability_of).transpose()
    }

    async fn put_schedule(
        &self,
        provider: ProviderId,
        a: &Availability,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        insert_schedule_if_absent(&mut tx, provider, a, now).await?;
        let weekly = serde_json::to_string(&a.weekly).map_err(|e| corrupt("weekly", e))?;
        let exceptions =
            serde_json::to_string(&a.exceptions).map_err(|e| corrupt("exceptions", e))?;
        sqlx::query(
            "UPDATE provider_schedules SET weekly = $2, exceptions = $3, capacity = $4, \
             min_notice_min = $5, horizon_days = $6, buffer_min = $7, updated_at = $8, \
             lock_version = lock_version + 1 WHERE provider_id = $1",
        )
        .bind(provider.to_string())
        .bind(weekly)
        .bind(exceptions)
        .bind(a.capacity)
        .bind(a.min_notice_min)
        .bind(a.horizon_days)
        .bind(a.buffer_min)
        .bind(now.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn place_order(
        &self,
        o: &OrderRow,
        defaults: &Availability,
        travel: Travel,
        jobs: &[NewJob],
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let a = &lock_and_insert_order(&mut tx, self.backend, o, defaults, now).await?;
        let cells = occupy(
            &mut tx,
            o.provider_id,
            o.id,
            o.start_at,
            o.end_at,
            (o.lat_micro, o.lng_micro),
            a,
            travel,
            now,
        )
        .await?;
        add_event_and_jobs(
            &mut tx,
            self.backend,
            o.id,
            &OrderEventRow {
                at: now,
                actor: "customer".into(),
                action: "placed".into(),
                from_status: None,
                to_status: o.status.clone(),
                note: String::new(),
            },
            jobs,
            Some((o.provider_id, &cells)),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn reschedule_order(
        &self,
        id: OrderId,
        start: Timestamp,
        end: Timestamp,
        defaults: &Availability,
        travel: Travel,
        actor: &str,
        jobs: &[NewJob],
        now: Timestamp,
    ) -> StoreResult<OrderRow> {
        let mut tx = self.write_tx().await?;
        let current = fetch_order(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let a = &lock_provider(&mut tx, current.provider_id, defaults, now).await?;
        // Re-read under the lock: the order may have moved on meanwhile.
        let current = fetch_order(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let status = linli_domain::booking::OrderStatus::parse(&current.status)?;
        status.after(linli_domain::booking::OrderAction::Reschedule)?;
        sqlx::query("DELETE FROM booking_cells WHERE order_id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        let cells = occupy(
            &mut tx,
            current.provider_id,
            id,
            start,
            end,
            (current.lat_micro, current.lng_micro),
            a,
            travel,
            now,
        )
        .await?;
        insert_cells(&mut tx, current.provider_id, id, &cells).await?;
        sqlx::query(
            "UPDATE orders SET start_at = $2, end_at = $3, buffer_min = $4, \
             times_moved = times_moved + 1, updated_at = $5 WHERE id = $1",
        )
        .bind(id.to_string())
        .bind(start.0)
        .bind(end.0)
        .bind(a.buffer_min)
        .bind(now.0)
        .execute(&mut *tx)
        .await?;
        add_event(
            &mut tx,
            id,
            &OrderEventRow {
                at: now,
                actor: actor.to_owned(),
                action: "rescheduled".into(),
                from_status: Some(current.status.clone()),
                to_status: current.status.clone(),
                note: format!(
                    "{} → {}",
                    current.start_at.local_display(),
                    start.local_display()
                ),
            },
        )
        .await?;
        add_jobs(&mut tx, jobs, now).await?;
        let row = fetch_order(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(row)
    }

    async fn change_order(&self, c: &OrderChange<'_>) -> StoreResult<OrderRow> {
        let mut tx = self.write_tx().await?;
        let (fee, refund, credit) = c.amounts.unwrap_or((0, 0, 0));
        let mut paid = 0;
        if let Some(cap) = &c.capture {
            let row = sqlx::query(
                "UPDATE payments SET status = 'success', transaction_id = $2, paid_at = $3 \
                 WHERE out_trade_no = $1 AND status <> 'success' RETURNING amount_fen",
            )
            .bind(cap.out_trade_no)
            .bind(cap.transaction_id)
            .bind(c.now.0)
            .fetch_optional(&mut *tx)
            .await?;
            match row {
                Some(r) if cap.to_order => paid = r.try_get::<i64, _>("amount_fen")?,
                Some(_) => {}
                None => return Err(StoreError::Conflict("payment".into())),
            }
        }
        let (bps, min_fee) = c
            .capture
            .filter(|cap| cap.to_order)
            .map_or((-1, -1), |cap| (cap.commission.bps, cap.commission.min_fen));
        let done = sqlx::query(
            "UPDATE orders SET status = $3, updated_at = $4, \
             accept_deadline = CASE WHEN $5 = 1 THEN $6 ELSE accept_deadline END, \
             fee_fen = CASE WHEN $7 = 1 THEN $8 ELSE fee_fen END, \
             refund_fen = CASE WHEN $7 = 1 THEN $9 ELSE refund_fen END, \
             credit_fen = CASE WHEN $7 = 1 THEN $10 ELSE credit_fen END, \
             paid_fen = paid_fen + $11, \
             commission_bps = CASE WHEN $12 >= 0 THEN $12 ELSE commission_bps END, \
             commission_min_fen = CASE WHEN $13 >= 0 THEN $13 ELSE commission_min_fen END, \
             completed_at = CASE WHEN $3 = 'completed' THEN $4 ELSE completed_at END, \
             released_at = CASE WHEN $3 = 'confirmed' THEN $4 ELSE released_at END, \
             money_version = money_version + 1 \
             WHERE id = $1 AND status = $2 AND ($14 < 0 OR money_version = $14)",
        )
        .bind(c.id.to_string())
        .bind(c.from)
        .bind(c.to)
        .bind(c.now.0)
        .bind(i64::from(c.accept_deadline.is_some()))
        .bind(c.accept_deadline.map_or(0, |t| t.0))
        .bind(i64::from(c.amounts.is_some()))
        .bind(fee)
        .bind(refund)
        .bind(credit)
        .bind(paid)
        .bind(bps)
        .bind(min_fee)
        .bind(c.money_version.unwrap_or(-1))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return match fetch_order(&mut tx, c.id).await? {
                Some(_) => Err(StoreError::Rule(DomainError::InvalidTransition)),
                None => Err(StoreError::NotFound),
            };
        }
        let holds = linli_domain::booking::OrderStatus::parse(c.to)?.holds_slot();
        if !holds {
            sqlx::query("DELETE FROM booking_cells WHERE order_id = $1")
                .bind(c.id.to_string())
                .execute(&mut *tx)
                .await?;
        }
        add_event_and_jobs(
            &mut tx,
            self.backend,
            c.id,
            &OrderEventRow {
                at: c.now,
                actor: c.actor.to_owned(),
                action: c.action.to_owned(),
                from_status: Some(c.from.to_owned()),
                to_status: c.to.to_owned(),
                note: c.note.to_owned(),
            },
            c.jobs,
            None,
            c.now,
        )
        .await?;
        let row = fetch_order(&mut tx, c.id)
            .await?
            .ok_or(StoreError::NotFound)?;
        if let Some(kind) = c.reliability {
            sqlx::query(
                "INSERT INTO reliability_events (id, provider_id, order_id, kind, at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(JobId::new().to_string())
            .bind(row.provider_id.to_string())
            .bind(c.id.to_string())
            .bind(kind)
            .bind(c.now.0)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(v) = c.visit {
            super::visits::write_visit(&mut tx, c.id, v, c.now).await?;
        }
        if let Some((r, from)) = c.after_sale
            && !super::after_sale::write_after_sale(&mut tx, r, from).await?
        {
            return Err(StoreError::Conflict("after_sale".into()));
        }
        super::money::add_refunds(&mut tx, c.refunds).await?;
        super::money::append_entries(&mut tx, c.entries, c.now).await?;
        tx.commit().await?;
        Ok(row)
    }

    async fn order(&self, id: OrderId) -> StoreResult<Option<OrderRow>> {
        let row = sqlx::query("SELECT * FROM orders WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(order).transpose()
    }

    async fn reservice_order(&self, request: AfterSaleId) -> StoreResult<Option<OrderRow>> {
        let row = sqlx::query(
            "SELECT * FROM orders WHERE reservice_of = $1 \
             AND status NOT IN ('cancelled', 'expired', 'declined')",
        )
        .bind(request.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(order).transpose()
    }

    async fn customer_orders(
        &self,
        customer: UserId,
        statuses: &[&str],
        limit: i64,
    ) -> StoreResult<Vec<OrderRow>> {
        let sql = format!(
            "SELECT * FROM orders WHERE customer_id = $1{} ORDER BY created_at DESC, id DESC LIMIT $2",
            status_filter(statuses, 3)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(customer.to_string())
            .bind(limit);
        for s in statuses {
            q = q.bind(*s);
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(order).collect()
    }

    async fn provider_orders(
        &self,
        provider: ProviderId,
        statuses: &[&str],
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<OrderRow>> {
        let sql = format!(
            "SELECT * FROM orders WHERE provider_id = $1 AND start_at >= $2 AND start_at < $3{} \
             ORDER BY start_at, id LIMIT 500",
            status_filter(statuses, 4)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(provider.to_string())
            .bind(from.0)
            .bind(to.0);
        for s in statuses {
            q = q.bind(*s);
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(order).collect()
    }

    async fn order_events(&self, id: OrderId) -> StoreResult<Vec<OrderEventRow>> {
        let rows = sqlx::query(
            "SELECT at, actor, action, from_status, to_status, note FROM order_events \
             WHERE order_id = $1 ORDER BY at, id",
        )
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(OrderEventRow {
                    at: decode::ts(r, "at")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    from_status: r.try_get("from_status")?,
                    to_status: r.try_get("to_status")?,
                    note: r.try_get("note")?,
                })
            })
            .collect()
    }

    async fn order_cells(&self, id: OrderId) -> StoreResult<i64> {
        let n: i64 = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM booking_cells WHERE order_id = $1",
        )
        .bind(id.to_string())
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?;
        Ok(n)
    }

    async fn reliability_marks(&self, provider: ProviderId) -> StoreResult<Vec<String>> {
        let rows = sqlx::query(
            "SELECT kind FROM reliability_events WHERE provider_id = $1 ORDER BY at, id",
        )
        .bind(provider.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>("kind")?))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregated_tuples_parse_and_garbage_is_corrupt() {
        assert_eq!(int_tuples::<2>(None, "c").ok(), Some(vec![]));
        assert_eq!(
            int_tuples::<2>(Some("5,0;6,-1".into()), "c").ok(),
            Some(vec![[5, 0], [6, -1]])
        );
        for bad in ["", "5", "5,x", "5,0,1", "5,0;"] {
            assert!(int_tuples::<2>(Some(bad.into()), "c").is_err(), "{bad:?}");
        }
    }
}
