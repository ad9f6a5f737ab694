-- no-transaction
-- Overrun supplements (补款): an hourly job that ran over what was paid waits in the new order
-- status 'awaiting_supplement' until the customer pays the extra (a payment with purpose
-- 'supplement'), declines it, or lets its window pass.
--
-- SQLite cannot change a CHECK constraint in place, so `orders` is rebuilt (the documented
-- twelve-step way: foreign keys off outside the transaction, copy, swap, check, on again).
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE orders_new (
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
                        'accepted', 'in_service', 'awaiting_supplement', 'completed',
                        'confirmed', 'cancelled', 'expired', 'declined')),
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
    updated_at      BIGINT NOT NULL,
    paid_fen        BIGINT NOT NULL DEFAULT 0,
    commission_bps  BIGINT NOT NULL DEFAULT 0,
    commission_min_fen BIGINT NOT NULL DEFAULT 0,
    money_version   BIGINT NOT NULL DEFAULT 0,
    completed_at    BIGINT,
    released_at     BIGINT
);
INSERT INTO orders_new (id, customer_id, provider_id, listing_id, listing_title, quote,
    total_fen, address_id, district_code, lat_micro, lng_micro, address_text, contact_name,
    contact_phone, start_at, end_at, buffer_min, status, cancel_policy, instant_book,
    pay_deadline, accept_deadline, times_moved, fee_fen, refund_fen, credit_fen, note,
    created_at, updated_at, paid_fen, commission_bps, commission_min_fen, money_version,
    completed_at, released_at)
SELECT id, customer_id, provider_id, listing_id, listing_title, quote,
    total_fen, address_id, district_code, lat_micro, lng_micro, address_text, contact_name,
    contact_phone, start_at, end_at, buffer_min, status, cancel_policy, instant_book,
    pay_deadline, accept_deadline, times_moved, fee_fen, refund_fen, credit_fen, note,
    created_at, updated_at, paid_fen, commission_bps, commission_min_fen, money_version,
    completed_at, released_at
FROM orders;
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;
CREATE INDEX orders_customer ON orders (customer_id, created_at);
CREATE INDEX orders_provider_start ON orders (provider_id, start_at);
CREATE INDEX orders_status ON orders (status, pay_deadline);

-- What a payment pays for: the order itself, or an overrun's supplement.
ALTER TABLE payments ADD COLUMN purpose TEXT NOT NULL DEFAULT 'order'
    CHECK (purpose IN ('order', 'supplement'));
COMMIT;
PRAGMA foreign_keys = ON;
