//! Booking use cases: provider availability, bookable start times, the three-step order, the
//! order's life (pay, accept or decline, reschedule, cancel, expire) and the jobs that run its
//! deadlines. Every transition goes through `booking::OrderStatus::after`; the store applies
//! it only if the order is still where the domain saw it, so a race has one winner.

use linli_domain::{
    DomainError,
    booking::{self, CancelPolicy, OrderAction, OrderStatus, Quote},
    district,
    ids::{AddressId, JobId, ListingId, OrderId, UserId},
    listing::PricingUnit,
    money::Money,
    phone,
    schedule::{self, Availability, DateException, SlotError},
    time::{Day, MINUTE_MS, Timestamp},
};
use linli_store::{NewJob, OrderChange, OrderEventRow, OrderRow, StoreError};

use crate::{Actor, App, AppError, AppResult, areas};

/// What a status change carries besides the status: all written in its transaction.
#[derive(Default)]
pub(crate) struct Effects<'a> {
    /// Fee, refund and credit in 分 (cancelling).
    pub amounts: Option<(i64, i64, i64)>,
    /// A mark against the provider's reliability.
    pub reliability: Option<&'a str>,
    /// A new acceptance deadline.
    pub accept_deadline: Option<Timestamp>,
    /// Jobs to schedule.
    pub jobs: Vec<NewJob>,
    /// Ledger entries.
    pub entries: Vec<linli_domain::ledger::Entry>,
    /// Refunds to record.
    pub refunds: Vec<linli_store::RefundRow>,
    /// A payment to capture.
    pub capture: Option<linli_store::Capture<'a>>,
    /// Expected money version.
    pub money_version: Option<i64>,
    /// The visit's check-in or check-out, written with the change.
    pub visit: Option<linli_store::VisitRecord<'a>>,
}

/// A provider may start a job this long before its start.
pub(crate) const START_EARLY_MS: i64 = 60 * linli_domain::time::MINUTE_MS;

/// Job kind: an unpaid order's payment window closed.
pub const JOB_EXPIRE: &str = "order.expire";
/// Job kind: a paid order's acceptance deadline passed.
pub const JOB_ACCEPT_DEADLINE: &str = "order.accept_deadline";
/// Job kind: remind both sides before the job.
pub const JOB_REMINDER: &str = "order.reminder";

/// The availability form: one line of ranges per weekday (Monday first), exception lines
/// (`2026-12-24 leave`, `2026-12-24 leave 12:00-14:00`, `2026-12-27 extra 18:00-21:00`), and
/// the numbers.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ScheduleForm {
    /// Seven lines of `HH:MM-HH:MM, …`, Monday first; empty = day off.
    pub weekly: Vec<String>,
    /// Exception lines.
    #[serde(default)]
    pub exceptions: String,
    /// Jobs at once (1–20).
    pub capacity: i64,
    /// Minimum notice in minutes.
    pub min_notice_min: i64,
    /// Days ahead customers may book (1–90).
    pub horizon_days: i64,
    /// Minutes kept free after each job (0–240).
    pub buffer_min: i64,
}

/// A provider's availability as shown and edited.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScheduleView {
    /// Seven lines of ranges, Monday first.
    pub weekly: Vec<String>,
    /// Exception lines.
    pub exceptions: String,
    /// Jobs at once.
    pub capacity: i64,
    /// Minimum notice, minutes.
    pub min_notice_min: i64,
    /// Days ahead.
    pub horizon_days: i64,
    /// Buffer after each job, minutes.
    pub buffer_min: i64,
}

fn schedule_view(a: &Availability) -> ScheduleView {
    ScheduleView {
        weekly: a.weekly.iter().map(|d| schedule::ranges_label(d)).collect(),
        exceptions: a
            .exceptions
            .iter()
            .map(|e| {
                if e.ranges.is_empty() {
                    format!("{} {}", e.day, e.kind)
                } else {
                    format!("{} {} {}", e.day, e.kind, schedule::ranges_label(&e.ranges))
                }
            })
            .collect::<Vec<_>>()
            .join("\n"),
        capacity: a.capacity,
        min_notice_min: a.min_notice_min,
        horizon_days: a.horizon_days,
        buffer_min: a.buffer_min,
    }
}

fn parse_schedule(f: &ScheduleForm) -> AppResult<Availability> {
    if f.weekly.len() != 7 {
        return Err(DomainError::Invalid("working hours").into());
    }
    let mut weekly: [Vec<schedule::TimeRange>; 7] = Default::default();
    for (day, text) in weekly.iter_mut().zip(&f.weekly) {
        *day = schedule::parse_ranges(text)?;
    }
    let mut exceptions = Vec::new();
    for line in f
        .exceptions
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        let mut parts = line.splitn(3, char::is_whitespace);
        let day = Day::parse(parts.next().unwrap_or_default())?;
        let kind = match parts.next().map(str::trim) {
            Some("leave" | "休息" | "请假") => "leave",
            Some("extra" | "加班") => "extra",
            _ => return Err(DomainError::Invalid("date exception").into()),
        };
        let ranges = schedule::parse_ranges(parts.next().unwrap_or_default())?;
        if kind == "extra" && ranges.is_empty() {
            return Err(DomainError::Invalid("date exception").into());
        }
        exceptions.push(DateException {
            day: day.to_string(),
            kind: kind.to_owned(),
            ranges,
        });
    }
    if exceptions.len() > 100 {
        return Err(DomainError::Invalid("date exception").into());
    }
    let a = Availability {
        weekly,
        exceptions,
        capacity: f.capacity,
        min_notice_min: f.min_notice_min,
        horizon_days: f.horizon_days,
        buffer_min: f.buffer_min,
    };
    a.validate()?;
    Ok(a)
}

/// What the customer chose in step 1 (and the quote depends on).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// Variant name (empty or absent for the base price).
    #[serde(default)]
    pub variant: Option<String>,
    /// Add-on names.
    #[serde(default)]
    pub addons: Vec<String>,
    /// Hours, m² or items (ignored for fixed prices; defaults to the listing's minimum).
    #[serde(default)]
    pub units: Option<i64>,
}

/// Step 3: the order as placed. The price is never sent: the server computes it.
///
/// The step-1 choice is spelled out field by field rather than flattened from [`Choice`]: a
/// flattened struct becomes an `allOf` in the OpenAPI document, and with unknown fields refused
/// on both parts no body could satisfy it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OrderForm {
    /// The listing.
    pub listing: String,
    /// Variant name (empty or absent for the base price).
    #[serde(default)]
    pub variant: Option<String>,
    /// Add-on names.
    #[serde(default)]
    pub addons: Vec<String>,
    /// Hours, m² or items (ignored for fixed prices; defaults to the listing's minimum).
    #[serde(default)]
    pub units: Option<i64>,
    /// One of the caller's addresses.
    pub address: String,
    /// Local date `YYYY-MM-DD`.
    pub date: String,
    /// Local start time `HH:MM`, one of the offered slots.
    pub time: String,
    /// A note for the provider (at most 200 characters).
    #[serde(default)]
    pub note: String,
}

impl OrderForm {
    /// What the customer chose in step 1.
    pub fn choice(&self) -> Choice {
        Choice {
            variant: self.variant.clone(),
            addons: self.addons.clone(),
            units: self.units,
        }
    }
}

/// Bookable start times of one day.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Slots {
    /// The local date.
    pub date: String,
    /// Start times `HH:MM` (local).
    pub times: Vec<String>,
    /// Whether the address is in the service's area (no times when not).
    pub served: bool,
    /// The price explanation for the choice at this address.
    pub quote: QuoteView,
}

/// A price explanation as shown.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuoteView {
    /// `(label, ¥amount)` lines.
    pub lines: Vec<(String, String)>,
    /// Total, `¥…`.
    pub total: String,
    /// Total in 分.
    pub total_fen: i64,
    /// Minutes.
    pub minutes: i64,
}

pub(crate) fn quote_view(q: &Quote) -> QuoteView {
    QuoteView {
        lines: q
            .lines
            .iter()
            .map(|l| (l.label.clone(), l.amount.to_string()))
            .collect(),
        total: q.total.to_string(),
        total_fen: q.total.fen(),
        minutes: q.minutes,
    }
}

/// One timeline entry as shown.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineEntry {
    /// Local time.
    pub at: String,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// Status after.
    pub status: String,
    /// Detail.
    pub note: String,
}

/// An order as its customer or provider sees it.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderView {
    /// Id.
    pub id: String,
    /// Status text.
    pub status: String,
    /// The listing.
    pub listing_id: String,
    /// Its title when booked.
    pub listing_title: String,
    /// Provider id.
    pub provider_id: String,
    /// Start, local `YYYY-MM-DD HH:MM`.
    pub start: String,
    /// End, local.
    pub end: String,
    /// Start, unix ms.
    pub start_ms: i64,
    /// Price explanation.
    pub quote: QuoteView,
    /// Variant, if any.
    pub variant: Option<String>,
    /// Add-ons.
    pub addons: Vec<String>,
    /// Address (district and detail; the detail is masked to the provider until accepted).
    pub address: String,
    /// Contact name.
    pub contact_name: String,
    /// Contact phone (masked to the provider until accepted).
    pub contact_phone: String,
    /// Pay by (pending payment only), local.
    pub pay_deadline: Option<String>,
    /// Pay by, unix ms.
    pub pay_deadline_ms: Option<i64>,
    /// Accept by (awaiting acceptance only), unix ms.
    pub accept_deadline_ms: Option<i64>,
    /// Cancellation policy.
    pub cancel_policy: String,
    /// Times rescheduled.
    pub times_moved: i64,
    /// Fee kept when cancelled, `¥…`.
    pub fee: String,
    /// Refund due, `¥…`.
    pub refund: String,
    /// Credit granted, `¥…`.
    pub credit: String,
    /// Note from the customer.
    pub note: String,
    /// What the viewer may do now: `pay`, `confirm`, `cancel`, `reschedule`, `no_show`,
    /// `pay_supplement`, `decline_supplement` (customers); `accept`, `decline`,
    /// `provider_cancel`, `start`, `complete` (providers).
    pub actions: Vec<String>,
    /// Timeline, oldest first (detail views only).
    pub timeline: Vec<TimelineEntry>,
    /// Paid into escrow, `¥…` (`¥0.00` until paid).
    pub paid: String,
    /// Refunds and whether they have reached the customer (detail views only).
    pub refunds: Vec<RefundLine>,
    /// The overrun supplement (补款) of an hourly job, with its explanation (detail views
    /// only; `None` when the job did not overrun).
    pub supplement: Option<crate::supplements::SupplementView>,
    /// The after-sale request this order re-serves (返工, at no charge), if it is one.
    pub reservice_of: Option<String>,
}

/// One refund of an order.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefundLine {
    /// Amount, `¥…`.
    pub amount: String,
    /// `processing`, `success` or `failed`.
    pub status: String,
    /// Why.
    pub reason: String,
    /// Asked, local time.
    pub at: String,
}

/// What cancelling now would cost.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CancelPreview {
    /// Fee kept for the provider, `¥…`.
    pub fee: String,
    /// Fee in 分.
    pub fee_fen: i64,
    /// Refund to the customer, `¥…` (after payment).
    pub refund: String,
    /// Credit to the customer, `¥…` (provider cancelling).
    pub credit: String,
    /// Percent of the total charged.
    pub percent: i64,
}

/// Which side of an order the caller is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Customer,
    Provider,
}

impl Side {
    fn actor(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Provider => "provider",
        }
    }
}

pub(crate) fn slot_error(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict(name) if name.contains("reservice") => AppError::Conflict {
            code: "reservice_booked",
            message: "a re-service is already booked for this request",
        },
        StoreError::Rule(DomainError::Slot(SlotError::Taken)) | StoreError::Conflict(_) => {
            AppError::Conflict {
                code: "slot_taken",
                message: "this time has just been booked; please choose another",
            }
        }
        other => other.into(),
    }
}

/// The price explanation kept on an order; an unreadable one (never written by this code)
/// shows as no lines rather than failing the page.
pub(crate) fn stored_quote(o: &OrderRow) -> Quote {
    serde_json::from_str(&o.quote).unwrap_or_else(|_| Quote {
        lines: Vec::new(),
        total: Money::from_fen(o.total_fen),
        minutes: (o.end_at.0 - o.start_at.0) / MINUTE_MS,
        variant: None,
        addons: Vec::new(),
        units: 1,
    })
}

pub(crate) fn parse_start(date: &str, time: &str) -> AppResult<Timestamp> {
    let day = Day::parse(date)?;
    let min = schedule::parse_hhmm(time)?;
    Ok(Timestamp(day.start_ms() + min * MINUTE_MS))
}

impl App {
    /// The provider's availability (defaults until saved).
    pub(crate) async fn availability(
        &self,
        provider: linli_domain::ids::ProviderId,
    ) -> AppResult<Availability> {
        Ok(self.store.schedule(provider).await?.unwrap_or_default())
    }

    /// The caller's availability settings (approved providers).
    pub async fn my_schedule(&self, actor: &Actor) -> AppResult<ScheduleView> {
        let p = self.active_provider(actor).await?;
        Ok(schedule_view(&self.availability(p.id).await?))
    }

    /// Replaces the caller's availability. Existing orders keep their times.
    pub async fn save_schedule(&self, actor: &Actor, f: &ScheduleForm) -> AppResult<ScheduleView> {
        let p = self.active_provider(actor).await?;
        let a = parse_schedule(f)?;
        self.store.put_schedule(p.id, &a, self.now()).await?;
        Ok(schedule_view(&a))
    }

    /// A published, bookable listing and its provider.
    /// The listing as booking reads it, with the caller's address (one read; 404 when either
    /// is missing or the address is someone else's).
    async fn bookable(
        &self,
        id: ListingId,
        user: UserId,
        address: AddressId,
    ) -> AppResult<(linli_store::BookableListing, linli_store::AddressRow)> {
        let mut b = self
            .store
            .bookable_listing(id, user, address)
            .await?
            .ok_or(AppError::NotFound)?;
        let a = b.address.take().ok_or(AppError::NotFound)?;
        Ok((b, a))
    }

    /// The quote for a choice at an address, and whether the address is served.
    fn quote_at(
        b: &linli_store::BookableListing,
        choice: &Choice,
        a: &linli_store::AddressRow,
    ) -> AppResult<(Quote, bool)> {
        let l = &b.listing;
        let surcharge = areas::surcharge_in(&b.areas, &a.district_code, a.lat_micro, a.lng_micro);
        let served = surcharge.is_some();
        let q = booking::quote(
            booking::Offer {
                unit: PricingUnit::parse(&l.unit)?,
                price: Money::from_fen(l.price_fen),
                min_units: l.min_units,
                minutes: l.minutes,
                options: &l.options,
            },
            choice.variant.as_deref(),
            &choice.addons,
            choice.units.unwrap_or(l.min_units),
            surcharge.unwrap_or(Money::ZERO),
        )?;
        Ok((q, served))
    }

    /// Start times of `date` that can really be booked for `choice` at the caller's address.
    pub async fn slots(
        &self,
        actor: &Actor,
        listing: ListingId,
        address: AddressId,
        date: &str,
        choice: &Choice,
    ) -> AppResult<Slots> {
        self.slots_except(actor, listing, address, date, choice, None)
            .await
    }

    async fn slots_except(
        &self,
        actor: &Actor,
        listing: ListingId,
        address: AddressId,
        date: &str,
        choice: &Choice,
        except: Option<OrderId>,
    ) -> AppResult<Slots> {
        let m = actor.member()?;
        let day = Day::parse(date)?;
        let (b, a) = self.bookable(listing, m.id, address).await?;
        let (q, served) = Self::quote_at(&b, choice, &a)?;
        let times = if served && b.provider_user != m.id {
            self.free_starts(
                &b.listing,
                day,
                q.minutes,
                (a.lat_micro, a.lng_micro),
                except,
            )
            .await?
        } else {
            Vec::new()
        };
        Ok(Slots {
            date: day.to_string(),
            times,
            served,
            quote: quote_view(&q),
        })
    }

    /// The start times (`HH:MM`) of `day` at which the listing's provider can take a job of
    /// `minutes` at `at`, the order `except` not counted.
    pub(crate) async fn free_starts(
        &self,
        l: &linli_store::ListingRow,
        day: Day,
        minutes: i64,
        at: (i64, i64),
        except: Option<OrderId>,
    ) -> AppResult<Vec<String>> {
        let avail = self.availability(l.provider_id).await?;
        let from = Timestamp(day.start_ms() - linli_domain::time::DAY_MS);
        let to = Timestamp(day.plus_days(2).start_ms());
        let booked: Vec<schedule::BookedJob> = self
            .store
            .provider_orders(l.provider_id, &HOLDING, from, to)
            .await?
            .iter()
            .filter(|o| Some(o.id) != except)
            .map(|o| schedule::BookedJob {
                start: o.start_at,
                end: o.end_at,
                at: (o.lat_micro, o.lng_micro),
            })
            .collect();
        Ok(schedule::free_starts(
            &avail,
            self.config.travel,
            &booked,
            day,
            minutes,
            at,
            self.now(),
        )
        .into_iter()
        .map(|t| schedule::hhmm((t.0 - day.start_ms()) / MINUTE_MS))
        .collect())
    }

    /// Start times the customer's order could move to on `date` (its own time not counted
    /// against it).
    pub async fn reschedule_slots(
        &self,
        actor: &Actor,
        id: OrderId,
        date: &str,
    ) -> AppResult<Slots> {
        let (o, side) = self.order_for(actor, id).await?;
        if side != Side::Customer {
            return Err(AppError::NotFound);
        }
        let q = stored_quote(&o);
        let choice = Choice {
            variant: q.variant,
            addons: q.addons,
            units: Some(q.units),
        };
        let address: AddressId = o.address_id.parse().map_err(|_| AppError::NotFound)?;
        let mut slots = self
            .slots_except(actor, o.listing_id, address, date, &choice, Some(o.id))
            .await?;
        // The current time is not a move.
        if Day::of(o.start_at).to_string() == slots.date {
            let current =
                schedule::hhmm((o.start_at.0 - Day::of(o.start_at).start_ms()) / MINUTE_MS);
            slots.times.retain(|t| *t != current);
        }
        Ok(slots)
    }

    /// Places an order (step 3): the price is computed here, the slot is checked and held in
    /// one transaction, and the payment window starts.
    pub async fn place_order(&self, actor: &Actor, f: &OrderForm) -> AppResult<OrderView> {
        let m = actor.member()?;
        let listing: ListingId = f.listing.parse().map_err(|_| DomainError::MalformedId)?;
        let address: AddressId = f.address.parse().map_err(|_| DomainError::MalformedId)?;
        let note = f.note.trim();
        if note.chars().count() > 200 {
            return Err(DomainError::TextLength {
                field: "note",
                min: 0,
                max: 200,
            }
            .into());
        }
        let start = parse_start(&f.date, &f.time)?;
        let (b, a) = self.bookable(listing, m.id, address).await?;
        if b.provider_user == m.id {
            return Err(DomainError::Invalid("own service").into());
        }
        self.require_deposit(&b).await?;
        let (q, served) = Self::quote_at(&b, &f.choice(), &a)?;
        let l = b.listing;
        if !served {
            return Err(AppError::Conflict {
                code: "not_served",
                message: "this address is outside the service area (不在服务范围)",
            });
        }
        // The provider's availability is read under its lock by the store (defaults if never
        // saved); the order's buffer comes from there too.
        let avail = Availability::default();
        let now = self.now();
        let id = OrderId::new();
        let district_name = district::by_code(&a.district_code)
            .map(|d| d.name)
            .unwrap_or_default();
        let row = OrderRow {
            id,
            customer_id: m.id,
            provider_id: l.provider_id,
            listing_id: l.id,
            listing_title: l.title.clone(),
            quote: serde_json::to_string(&q).map_err(|e| AppError::Internal(e.to_string()))?,
            total_fen: q.total.fen(),
            address_id: a.id.to_string(),
            district_code: a.district_code.clone(),
            lat_micro: a.lat_micro,
            lng_micro: a.lng_micro,
            address_text: format!("{district_name} {}", a.detail),
            contact_name: a.contact_name.clone(),
            contact_phone: a.contact_phone.clone(),
            start_at: start,
            end_at: start.plus_ms(q.minutes * MINUTE_MS),
            buffer_min: avail.buffer_min,
            status: OrderStatus::PendingPayment.as_str().to_owned(),
            cancel_policy: l.cancel_policy.clone(),
            instant_book: l.instant_book,
            pay_deadline: now.plus_ms(self.config.pay_window_ms),
            accept_deadline: None,
            times_moved: 0,
            fee_fen: 0,
            refund_fen: 0,
            credit_fen: 0,
            note: note.to_owned(),
            paid_fen: 0,
            commission_bps: 0,
            commission_min_fen: 0,
            money_version: 0,
            completed_at: None,
            released_at: None,
            reservice_of: None,
            created_at: now,
            updated_at: now,
        };
        let jobs = [order_job(JOB_EXPIRE, id, row.pay_deadline)];
        self.hold(&row, &jobs).await?;
        Ok(self.placed_view(&row))
    }

    /// Writes a new order and its jobs, its slot checked and held in the same transaction
    /// (the provider's availability is read under its lock by the store).
    pub(crate) async fn hold(&self, row: &OrderRow, jobs: &[NewJob]) -> AppResult<()> {
        self.store
            .place_order(
                row,
                &Availability::default(),
                self.config.travel,
                jobs,
                row.created_at,
            )
            .await
            .map_err(slot_error)
    }

    /// The customer's view of an order just placed, from what was written (the store adds
    /// exactly this first timeline entry).
    pub(crate) fn placed_view(&self, row: &OrderRow) -> OrderView {
        let placed = OrderEventRow {
            at: row.created_at,
            actor: "customer".into(),
            action: "placed".into(),
            from_status: None,
            to_status: row.status.clone(),
            note: String::new(),
        };
        self.view(row, Side::Customer, &[placed])
    }

    /// The order and which side the caller is on (404 for anyone else).
    pub(crate) async fn order_for(
        &self,
        actor: &Actor,
        id: OrderId,
    ) -> AppResult<(OrderRow, Side)> {
        let m = actor.member()?;
        let o = self.store.order(id).await?.ok_or(AppError::NotFound)?;
        if o.customer_id == m.id {
            return Ok((o, Side::Customer));
        }
        match self.store.provider_by_user(m.id).await? {
            Some(p) if p.id == o.provider_id => Ok((o, Side::Provider)),
            _ => Err(AppError::NotFound),
        }
    }

    /// An order with its timeline, as the caller's side sees it.
    pub async fn order_view(&self, actor: &Actor, id: OrderId) -> AppResult<OrderView> {
        let (o, side) = self.order_for(actor, id).await?;
        let events = self.store.order_events(id).await?;
        let mut v = self.view(&o, side, &events);
        v.supplement = self.supplement_of(&o, &events).await?;
        v.refunds = self
            .store
            .order_refunds(id)
            .await?
            .into_iter()
            .map(|r| RefundLine {
                amount: Money::from_fen(r.amount_fen).to_string(),
                status: r.status,
                reason: r.reason,
                at: r.created_at.local_display(),
            })
            .collect();
        Ok(v)
    }

    pub(crate) fn view(&self, o: &OrderRow, side: Side, events: &[OrderEventRow]) -> OrderView {
        let status = OrderStatus::parse(&o.status).unwrap_or(OrderStatus::Cancelled);
        let quote = stored_quote(o);
        let hidden = side == Side::Provider && !status.reveals_contact();
        let address = if hidden {
            district::by_code(&o.district_code)
                .map(|d| format!("{} ***", d.name))
                .unwrap_or_else(|| "***".into())
        } else {
            o.address_text.clone()
        };
        let mut actions = Vec::new();
        match side {
            Side::Customer => {
                if status == OrderStatus::PendingPayment && self.payments.is_some() {
                    actions.push("pay".to_owned());
                }
                if status == OrderStatus::Completed {
                    actions.push("confirm".to_owned());
                }
                if status == OrderStatus::AwaitingSupplement {
                    if self.payments.is_some() {
                        actions.push("pay_supplement".to_owned());
                    }
                    actions.push("decline_supplement".to_owned());
                }
                if status.after(OrderAction::CustomerCancel).is_ok() {
                    actions.push("cancel".to_owned());
                }
                if booking::may_reschedule(status, o.times_moved, o.start_at, self.now()).is_ok() {
                    actions.push("reschedule".to_owned());
                }
                if status.after(OrderAction::ProviderNoShow).is_ok()
                    && self.now().0 >= o.start_at.0 + NO_SHOW_AFTER_MS
                {
                    actions.push("no_show".to_owned());
                }
            }
            Side::Provider => {
                if status == OrderStatus::AwaitingAcceptance {
                    actions.push("accept".to_owned());
                    actions.push("decline".to_owned());
                }
                if status.after(OrderAction::ProviderCancel).is_ok() {
                    actions.push("provider_cancel".to_owned());
                }
                if status == OrderStatus::Accepted && self.now().0 >= o.start_at.0 - START_EARLY_MS
                {
                    actions.push("start".to_owned());
                }
                if status == OrderStatus::InService {
                    actions.push("complete".to_owned());
                }
            }
        }
        OrderView {
            id: o.id.to_string(),
            status: o.status.clone(),
            listing_id: o.listing_id.to_string(),
            listing_title: o.listing_title.clone(),
            provider_id: o.provider_id.to_string(),
            start: o.start_at.local_display(),
            end: o.end_at.local_display(),
            start_ms: o.start_at.0,
            quote: QuoteView {
                // The total and the time are the order's own (the quote is their explanation).
                total: Money::from_fen(o.total_fen).to_string(),
                total_fen: o.total_fen,
                minutes: (o.end_at.0 - o.start_at.0) / MINUTE_MS,
                ..quote_view(&quote)
            },
            variant: quote.variant.clone(),
            addons: quote.addons.clone(),
            address,
            contact_name: if hidden {
                linli_domain::provider::mask_name(&o.contact_name)
            } else {
                o.contact_name.clone()
            },
            contact_phone: if hidden {
                phone::mask(&o.contact_phone)
            } else {
                o.contact_phone.clone()
            },
            pay_deadline: (status == OrderStatus::PendingPayment)
                .then(|| o.pay_deadline.local_display()),
            pay_deadline_ms: (status == OrderStatus::PendingPayment).then_some(o.pay_deadline.0),
            accept_deadline_ms: o
                .accept_deadline
                .filter(|_| status == OrderStatus::AwaitingAcceptance)
                .map(|t| t.0),
            cancel_policy: o.cancel_policy.clone(),
            times_moved: o.times_moved,
            fee: Money::from_fen(o.fee_fen).to_string(),
            refund: Money::from_fen(o.refund_fen).to_string(),
            credit: Money::from_fen(o.credit_fen).to_string(),
            note: o.note.clone(),
            actions,
            timeline: events
                .iter()
                .map(|e| TimelineEntry {
                    at: e.at.local_display(),
                    actor: e.actor.clone(),
                    action: e.action.clone(),
                    status: e.to_status.clone(),
                    note: e.note.clone(),
                })
                .collect(),
            paid: Money::from_fen(o.paid_fen).to_string(),
            refunds: Vec::new(),
            supplement: None,
            reservice_of: o.reservice_of.map(|r| r.to_string()),
        }
    }

    /// The caller's orders as a customer, newest first; `filter` is `all`, `active`
    /// (holding a slot or waiting for a supplement), `done` (completed or confirmed) or
    /// `closed` (cancelled, expired, declined).
    pub async fn my_orders(&self, actor: &Actor, filter: &str) -> AppResult<Vec<OrderView>> {
        let m = actor.member()?;
        let statuses: &[&str] = match filter {
            "" | "all" => &[],
            "active" => &ACTIVE,
            "done" => &["completed", "confirmed"],
            "closed" => &["cancelled", "expired", "declined"],
            _ => return Err(DomainError::Invalid("filter").into()),
        };
        let rows = self.store.customer_orders(m.id, statuses, 100).await?;
        Ok(rows
            .iter()
            .map(|o| self.view(o, Side::Customer, &[]))
            .collect())
    }

    /// The provider's orders starting from `from` (local date) for `days` days; `requests`
    /// only lists orders waiting for acceptance.
    pub async fn provider_orders(
        &self,
        actor: &Actor,
        from: Option<&str>,
        days: i64,
        requests_only: bool,
    ) -> AppResult<Vec<OrderView>> {
        let p = self.active_provider(actor).await?;
        let (start, end) = if requests_only {
            (Timestamp(0), Timestamp(i64::MAX))
        } else {
            let day = match from.filter(|d| !d.is_empty()) {
                Some(d) => Day::parse(d)?,
                None => Day::of(self.now()),
            };
            let days = days.clamp(1, 31);
            (
                Timestamp(day.start_ms()),
                Timestamp(day.plus_days(days).start_ms()),
            )
        };
        let statuses: &[&str] = if requests_only {
            &["awaiting_acceptance"]
        } else {
            &[
                "awaiting_acceptance",
                "accepted",
                "in_service",
                "awaiting_supplement",
                "completed",
            ]
        };
        let rows = self
            .store
            .provider_orders(p.id, statuses, start, end)
            .await?;
        Ok(rows
            .iter()
            .map(|o| self.view(o, Side::Provider, &[]))
            .collect())
    }

    /// Applies `action` on behalf of `actor`'s side (the transition decides if it is legal).
    /// For a paid order the money follows in the same transaction: cancellation-like moves
    /// (with `amounts`) refund escrow less the fee, confirming releases it; and the change only
    /// lands if no other money change happened since `o` was read.
    pub(crate) async fn apply(
        &self,
        o: &OrderRow,
        action: OrderAction,
        name: &str,
        actor: &str,
        note: &str,
        mut fx: Effects<'_>,
    ) -> AppResult<OrderRow> {
        let from = OrderStatus::parse(&o.status)?;
        let to = from.after(action)?;
        if o.paid_fen > 0 {
            if let Some(amounts) = fx.amounts {
                self.cancel_money(o, amounts, &mut fx).await?;
            }
            if to == OrderStatus::Confirmed {
                self.release_money(o, &mut fx).await?;
            }
            fx.money_version.get_or_insert(o.money_version);
        }
        Ok(self
            .store
            .change_order(&OrderChange {
                id: o.id,
                from: from.as_str(),
                to: to.as_str(),
                action: name,
                actor,
                note,
                accept_deadline: fx.accept_deadline,
                amounts: fx.amounts,
                reliability: fx.reliability,
                jobs: &fx.jobs,
                entries: &fx.entries,
                refunds: &fx.refunds,
                capture: fx.capture,
                money_version: fx.money_version,
                visit: fx.visit,
                after_sale: None,
                now: self.now(),
            })
            .await?)
    }

    /// The dev-mode payment simulator for the customer's own order (pays at the sandbox).
    pub async fn simulate_payment(&self, actor: &Actor, id: OrderId) -> AppResult<OrderView> {
        if !self.config.dev_mode {
            return Err(AppError::NotFound);
        }
        let (o, side) = self.order_for(actor, id).await?;
        if side != Side::Customer {
            return Err(AppError::NotFound);
        }
        self.mark_paid(o.id).await?;
        self.order_view(actor, id).await
    }

    // Check-in (`start_service`) and check-out (`complete_order`) live in `crate::visits`.

    /// The customer confirms the job was done: escrow is released to the provider.
    pub async fn confirm_order(&self, actor: &Actor, id: OrderId) -> AppResult<OrderView> {
        let (o, side) = self.order_for(actor, id).await?;
        if side != Side::Customer {
            return Err(AppError::NotFound);
        }
        self.apply(
            &o,
            OrderAction::Confirm,
            "confirmed",
            "customer",
            "",
            Effects::default(),
        )
        .await?;
        if let Some(p) = self.store.provider(o.provider_id).await? {
            self.store
                .push_notification(
                    p.user_id,
                    "order",
                    &format!("客户已确认完成，收益进入待结算：{}", o.listing_title),
                    None,
                    self.now(),
                )
                .await?;
        }
        self.order_view(actor, id).await
    }

    /// Job: a completed order the customer did not confirm in time is confirmed.
    pub async fn auto_confirm(&self, id: OrderId) -> AppResult<bool> {
        let auto = self.config.money.auto_confirm_ms;
        self.system_transition(
            id,
            OrderStatus::Completed,
            OrderAction::Confirm,
            "auto_confirmed",
            |o| o.completed_at.unwrap_or(Timestamp(i64::MAX)).plus_ms(auto),
        )
        .await
    }

    /// The provider accepts or declines a request.
    pub async fn answer_order(
        &self,
        actor: &Actor,
        id: OrderId,
        accept: bool,
        reason: &str,
    ) -> AppResult<OrderView> {
        let (o, side) = self.order_for(actor, id).await?;
        if side != Side::Provider {
            return Err(AppError::NotFound);
        }
        let (action, name) = if accept {
            (OrderAction::Accept, "accepted")
        } else {
            (OrderAction::Decline, "declined")
        };
        let reason = reason.trim();
        if reason.chars().count() > 200 {
            return Err(DomainError::TextLength {
                field: "reason",
                min: 0,
                max: 200,
            }
            .into());
        }
        let amounts = (!accept).then_some((0, o.total_fen, 0));
        self.apply(
            &o,
            action,
            name,
            "provider",
            reason,
            Effects {
                amounts,
                ..Effects::default()
            },
        )
        .await?;
        let body = if accept {
            format!(
                "服务商已接单：{} {}",
                o.listing_title,
                o.start_at.local_display()
            )
        } else {
            format!("服务商无法接单，已全额退款：{}", o.listing_title)
        };
        self.store
            .push_notification(o.customer_id, "order", &body, None, self.now())
            .await?;
        self.order_view(actor, id).await
    }

    /// What cancelling the order now would cost the caller's side.
    pub async fn cancel_preview(&self, actor: &Actor, id: OrderId) -> AppResult<CancelPreview> {
        let (o, side) = self.order_for(actor, id).await?;
        let (terms, percent) = self.terms(&o, side)?;
        Ok(CancelPreview {
            fee: terms.fee.to_string(),
            fee_fen: terms.fee.fen(),
            refund: terms.refund.to_string(),
            credit: terms.credit.to_string(),
            percent,
        })
    }

    fn terms(&self, o: &OrderRow, side: Side) -> AppResult<(booking::CancelTerms, i64)> {
        let status = OrderStatus::parse(&o.status)?;
        let policy = CancelPolicy::parse(&o.cancel_policy)?;
        let action = match side {
            Side::Customer => OrderAction::CustomerCancel,
            Side::Provider => OrderAction::ProviderCancel,
        };
        let terms = booking::cancel_terms(
            status,
            action,
            policy,
            Money::from_fen(o.total_fen),
            o.start_at,
            self.now(),
        )?;
        let percent = if o.total_fen > 0 {
            terms.fee.fen() * 100 / o.total_fen
        } else {
            0
        };
        Ok((terms, percent))
    }

    /// Cancels the order for the caller's side with the policy's fee (customer) or a credit
    /// and a reliability mark (provider).
    pub async fn cancel_order(
        &self,
        actor: &Actor,
        id: OrderId,
        reason: &str,
    ) -> AppResult<OrderView> {
        let (o, side) = self.order_for(actor, id).await?;
        let (terms, _) = self.terms(&o, side)?;
        let action = match side {
            Side::Customer => OrderAction::CustomerCancel,
            Side::Provider => OrderAction::ProviderCancel,
        };
        let reason: String = reason.trim().chars().take(200).collect();
        self.apply(
            &o,
            action,
            "cancelled",
            side.actor(),
            &reason,
            Effects {
                amounts: Some((terms.fee.fen(), terms.refund.fen(), terms.credit.fen())),
                reliability: terms.provider_at_fault.then_some("provider_cancel"),
                ..Effects::default()
            },
        )
        .await?;
        let (to, body) = match side {
            Side::Customer => {
                let p = self.store.provider(o.provider_id).await?;
                (
                    p.map(|p| p.user_id),
                    format!("客户取消了订单：{}", o.listing_title),
                )
            }
            Side::Provider => (
                Some(o.customer_id),
                format!(
                    "服务商取消了订单，已全额退款并补偿 {}：{}",
                    terms.credit, o.listing_title
                ),
            ),
        };
        if let Some(user) = to {
            self.store
                .push_notification(user, "order", &body, None, self.now())
                .await?;
        }
        self.order_view(actor, id).await
    }

    /// The customer reports that the provider did not come: allowed once the start is
    /// [`NO_SHOW_AFTER_MS`] past and the provider has not checked in. Full refund, a credit, and
    /// a reliability mark for the provider.
    pub async fn report_no_show(&self, actor: &Actor, id: OrderId) -> AppResult<OrderView> {
        let (o, side) = self.order_for(actor, id).await?;
        if side != Side::Customer {
            return Err(AppError::NotFound);
        }
        let status = OrderStatus::parse(&o.status)?;
        status.after(OrderAction::ProviderNoShow)?;
        if self.now().0 < o.start_at.0 + NO_SHOW_AFTER_MS {
            return Err(DomainError::Invalid("too early to report a no-show").into());
        }
        let terms = booking::cancel_terms(
            status,
            OrderAction::ProviderNoShow,
            CancelPolicy::parse(&o.cancel_policy)?,
            Money::from_fen(o.total_fen),
            o.start_at,
            self.now(),
        )?;
        self.apply(
            &o,
            OrderAction::ProviderNoShow,
            "provider_no_show",
            "customer",
            "",
            Effects {
                amounts: Some((terms.fee.fen(), terms.refund.fen(), terms.credit.fen())),
                reliability: Some("no_show"),
                ..Effects::default()
            },
        )
        .await?;
        if let Some(p) = self.store.provider(o.provider_id).await? {
            self.store
                .push_notification(
                    p.user_id,
                    "order",
                    &format!("客户反馈您未按时上门，订单已取消：{}", o.listing_title),
                    None,
                    self.now(),
                )
                .await?;
        }
        self.order_view(actor, id).await
    }

    /// Moves the customer's order to another free start time.
    pub async fn reschedule(
        &self,
        actor: &Actor,
        id: OrderId,
        date: &str,
        time: &str,
    ) -> AppResult<OrderView> {
        let (o, side) = self.order_for(actor, id).await?;
        if side != Side::Customer {
            return Err(AppError::NotFound);
        }
        let status = OrderStatus::parse(&o.status)?;
        booking::may_reschedule(status, o.times_moved, o.start_at, self.now())?;
        let start = parse_start(date, time)?;
        let minutes = (o.end_at.0 - o.start_at.0) / MINUTE_MS;
        let avail = Availability::default();
        let jobs = [reminder_job(o.id, start, self.config.reminder_before_ms)];
        self.store
            .reschedule_order(
                id,
                start,
                start.plus_ms(minutes * MINUTE_MS),
                &avail,
                self.config.travel,
                "customer",
                &jobs,
                self.now(),
            )
            .await
            .map_err(slot_error)?;
        self.order_view(actor, id).await
    }

    /// Job: an unpaid order whose window closed expires and frees its slot (once; a paid or
    /// cancelled order is left alone).
    pub async fn expire_order(&self, id: OrderId) -> AppResult<bool> {
        self.system_transition(
            id,
            OrderStatus::PendingPayment,
            OrderAction::Expire,
            "expired",
            |o| o.pay_deadline,
        )
        .await
    }

    /// Job: a paid order not answered by its deadline is declined (full refund).
    pub async fn decline_unanswered(&self, id: OrderId) -> AppResult<bool> {
        let declined = self
            .system_transition(
                id,
                OrderStatus::AwaitingAcceptance,
                OrderAction::AcceptDeadlinePassed,
                "accept_deadline_passed",
                |o| o.accept_deadline.unwrap_or(Timestamp(i64::MAX)),
            )
            .await?;
        if declined && let Some(o) = self.store.order(id).await? {
            self.store
                .push_notification(
                    o.customer_id,
                    "order",
                    &format!(
                        "服务商未及时接单，订单已取消并全额退款：{}",
                        o.listing_title
                    ),
                    None,
                    self.now(),
                )
                .await?;
        }
        Ok(declined)
    }

    async fn system_transition(
        &self,
        id: OrderId,
        expected: OrderStatus,
        action: OrderAction,
        name: &str,
        due: impl Fn(&OrderRow) -> Timestamp,
    ) -> AppResult<bool> {
        let Some(o) = self.store.order(id).await? else {
            return Ok(false);
        };
        if OrderStatus::parse(&o.status)? != expected || self.now() < due(&o) {
            return Ok(false);
        }
        let amounts = (action == OrderAction::AcceptDeadlinePassed).then_some((0, o.total_fen, 0));
        let reliability =
            (action == OrderAction::AcceptDeadlinePassed).then_some("missed_deadline");
        match self
            .apply(
                &o,
                action,
                name,
                "system",
                "",
                Effects {
                    amounts,
                    reliability,
                    ..Effects::default()
                },
            )
            .await
        {
            Ok(_) => Ok(true),
            // Somebody else moved it first (paid at the last second, answered): nothing to do.
            Err(AppError::Invalid(DomainError::InvalidTransition)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Job: reminds customer and provider (in-app and by SMS) before an accepted job.
    pub async fn remind(&self, id: OrderId, for_start: i64) -> AppResult<()> {
        let Some(o) = self.store.order(id).await? else {
            return Ok(());
        };
        // A rescheduled order has a newer reminder; a cancelled one needs none.
        if o.start_at.0 != for_start || !OrderStatus::parse(&o.status)?.holds_slot() {
            return Ok(());
        }
        let when = o.start_at.local_display();
        let key = format!("reminder:{}:{}", o.id, o.start_at.0);
        let customer_text = format!(
            "【邻里】提醒：您预约的{}将于{}开始。",
            o.listing_title, when
        );
        if self
            .store
            .push_notification(
                o.customer_id,
                "reminder",
                &customer_text,
                Some(&key),
                self.now(),
            )
            .await?
            && let Ok(to) = phone::Phone::parse(&o.contact_phone)
        {
            let _ = self.sms.send(&to, &customer_text).await;
        }
        if let Some(p) = self.store.provider(o.provider_id).await? {
            let text = format!(
                "【邻里】提醒：{}的订单「{}」即将开始。",
                when, o.listing_title
            );
            let pkey = format!("{key}:provider");
            if self
                .store
                .push_notification(p.user_id, "reminder", &text, Some(&pkey), self.now())
                .await?
                && let Some(u) = self.store.user_by_id(p.user_id).await?
                && let Ok(to) = phone::Phone::parse(&u.phone)
            {
                let _ = self.sms.send(&to, &text).await;
            }
        }
        Ok(())
    }
}

/// How long after the start a customer may report that the provider did not come.
pub const NO_SHOW_AFTER_MS: i64 = 30 * MINUTE_MS;

/// A customer's active orders: holding a slot, or waiting for their supplement.
const ACTIVE: [&str; 5] = [
    "pending_payment",
    "awaiting_acceptance",
    "accepted",
    "in_service",
    "awaiting_supplement",
];

/// Statuses that hold a slot, as the store filters them.
const HOLDING: [&str; 4] = [
    "pending_payment",
    "awaiting_acceptance",
    "accepted",
    "in_service",
];

pub(crate) fn order_job(kind: &str, id: OrderId, at: Timestamp) -> NewJob {
    NewJob {
        id: JobId::new(),
        kind: kind.to_owned(),
        payload: serde_json::json!({ "order": id.to_string() }).to_string(),
        run_at: at,
        dedupe_key: Some(format!("{kind}:{id}")),
    }
}

pub(crate) fn reminder_job(id: OrderId, start: Timestamp, before_ms: i64) -> NewJob {
    NewJob {
        id: JobId::new(),
        kind: JOB_REMINDER.to_owned(),
        payload: serde_json::json!({ "order": id.to_string(), "start": start.0 }).to_string(),
        run_at: start.minus_ms(before_ms),
        dedupe_key: Some(format!("{JOB_REMINDER}:{id}:{}", start.0)),
    }
}

pub(crate) fn payload_order(payload: &str) -> Result<(OrderId, i64), String> {
    let v: serde_json::Value = serde_json::from_str(payload).map_err(|e| e.to_string())?;
    let id = v["order"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or("payload without an order id")?;
    Ok((id, v["start"].as_i64().unwrap_or(0)))
}

/// Runs [`JOB_EXPIRE`].
pub struct ExpireUnpaid;
/// Runs [`JOB_ACCEPT_DEADLINE`].
pub struct AcceptDeadline;
/// Runs [`JOB_REMINDER`].
pub struct Reminder;

#[async_trait::async_trait]
impl crate::jobs::JobHandler for ExpireUnpaid {
    fn kind(&self) -> &'static str {
        JOB_EXPIRE
    }
    async fn run(&self, app: &App, payload: &str) -> Result<(), String> {
        let (id, _) = payload_order(payload)?;
        app.expire_order(id)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

#[async_trait::async_trait]
impl crate::jobs::JobHandler for AcceptDeadline {
    fn kind(&self) -> &'static str {
        JOB_ACCEPT_DEADLINE
    }
    async fn run(&self, app: &App, payload: &str) -> Result<(), String> {
        let (id, _) = payload_order(payload)?;
        app.decline_unanswered(id)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

#[async_trait::async_trait]
impl crate::jobs::JobHandler for Reminder {
    fn kind(&self) -> &'static str {
        JOB_REMINDER
    }
    async fn run(&self, app: &App, payload: &str) -> Result<(), String> {
        let (id, start) = payload_order(payload)?;
        app.remind(id, start).await.map_err(|e| e.to_string())
    }
}
