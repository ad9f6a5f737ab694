-- Scheduling and booking: provider availability, orders with their timeline, and occupancy
-- cells, the database's guarantee that a provider's capacity is never exceeded.

-- Availability settings (JSON for the weekly hours and date exceptions, read as a whole).
-- `lock_version` is bumped by every booking transaction: the row lock it takes serialises
-- bookings of one provider on PostgreSQL, as BEGIN IMMEDIATE does on SQLite.
CREATE TABLE provider_schedules (
    provider_id     TEXT PRIMARY KEY REFERENCES providers(id),
    weekly          TEXT NOT NULL,
    exceptions      TEXT NOT NULL,
    capacity        BIGINT NOT NULL CHECK (capacity BETWEEN 1 AND 20),
    min_notice_min  BIGINT NOT NULL,
    horizon_days    BIGINT NOT NULL,
    buffer_min      BIGINT NOT NULL,
    lock_version    BIGINT NOT NULL DEFAULT 0,
    updated_at      BIGINT NOT NULL
);

-- Booking terms of a listing.
ALTER TABLE listings ADD COLUMN cancel_policy TEXT NOT NULL DEFAULT 'standard'
    CHECK (cancel_policy IN ('flexible', 'standard', 'strict'));
ALTER TABLE listings ADD COLUMN instant_book INTEGER NOT NULL DEFAULT 0;

CREATE TABLE orders (
    id              TEXT PRIMARY KEY,
    customer_id     TEXT NOT NULL REFERENCES users(id),
    provider_id     TEXT NOT NULL REFERENCES providers(id),
    listing_id      TEXT NOT NULL REFERENCES listings(id),
    listing_title   TEXT NOT NULL,
    quote           TEXT NOT NULL,
    total_fen       BIGINT NOT NULL CHECK (total_fen >= 0),
    address_id      TEXT NOT NULL,
    district_code   TEXT NOT NULL,
    lat_micro       BIGINT NOT NULL,
    lng_micro       BIGINT NOT NULL,
    address_text    TEXT NOT NULL,
    contact_name    TEXT NOT NULL,
    contact_phone   TEXT NOT NULL,
    start_at        BIGINT NOT NULL,
    end_at          BIGINT NOT NULL CHECK (end_at > start_at),
    buffer_min      BIGINT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending_payment', 'awaiting_acceptance',
                        'accepted', 'in_service', 'completed', 'confirmed', 'cancelled',
                        'expired', 'declined')),
    cancel_policy   TEXT NOT NULL,
    instant_book    INTEGER NOT NULL,
    pay_deadline    BIGINT NOT NULL,
    accept_deadline BIGINT,
    times_moved     BIGINT NOT NULL DEFAULT 0,
    fee_fen         BIGINT NOT NULL DEFAULT 0,
    refund_fen      BIGINT NOT NULL DEFAULT 0,
    credit_fen      BIGINT NOT NULL DEFAULT 0,
    note            TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX orders_customer ON orders (customer_id, created_at);
CREATE INDEX orders_provider_start ON orders (provider_id, start_at);
CREATE INDEX orders_status ON orders (status, pay_deadline);

-- The status timeline: who did what and when.
CREATE TABLE order_events (
    id          TEXT PRIMARY KEY,
    order_id    TEXT NOT NULL REFERENCES orders(id),
    at          BIGINT NOT NULL,
    actor       TEXT NOT NULL CHECK (actor IN ('customer', 'provider', 'system', 'operator')),
    action      TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX order_events_order ON order_events (order_id, at);

-- Occupancy: a job holds every 15-minute cell its time (plus buffer) touches, each in one of
-- the provider's `capacity` lanes. The primary key makes a cell-lane pair one job's, so no
-- interleaving of transactions can put more jobs in a cell than there are lanes.
CREATE TABLE booking_cells (
    provider_id TEXT NOT NULL REFERENCES providers(id),
    cell        BIGINT NOT NULL,
    lane        BIGINT NOT NULL CHECK (lane >= 0 AND lane < 20),
    order_id    TEXT NOT NULL REFERENCES orders(id),
    PRIMARY KEY (provider_id, cell, lane)
);
CREATE INDEX booking_cells_order ON booking_cells (order_id);

-- Marks against a provider's reliability (cancellations, no-shows, missed deadlines).
CREATE TABLE reliability_events (
    id          TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    order_id    TEXT NOT NULL REFERENCES orders(id),
    kind        TEXT NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX reliability_events_provider ON reliability_events (provider_id, at);
