-- After-sale requests (售后): the customer's claim on a completed order, the provider's
-- answer (accept, counter-offer, reject) within an SLA, and the platform's arbitration.
-- Photos are stored names, one `photo thumb` pair per line; they are served only to the
-- order's two sides and to operators.
CREATE TABLE after_sales (
    id              TEXT PRIMARY KEY,
    order_id        TEXT NOT NULL REFERENCES orders(id),
    customer_id     TEXT NOT NULL,
    provider_id     TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('full_refund', 'partial_refund', 'reservice')),
    amount_fen      BIGINT NOT NULL,
    reason          TEXT NOT NULL,
    photos          TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL CHECK (status IN ('pending', 'countered', 'rejected', 'escalated', 'resolved')),
    counter_fen     BIGINT NOT NULL DEFAULT 0,
    provider_note   TEXT NOT NULL DEFAULT '',
    provider_photos TEXT NOT NULL DEFAULT '',
    outcome         TEXT NOT NULL DEFAULT '' CHECK (outcome IN ('', 'refund', 'reservice', 'rejected')),
    award_fen       BIGINT NOT NULL DEFAULT 0,
    resolved_by     TEXT NOT NULL DEFAULT '',
    decision_note   TEXT NOT NULL DEFAULT '',
    answer_deadline BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

-- At most one open request per order.
CREATE UNIQUE INDEX after_sales_one_open ON after_sales (order_id) WHERE status <> 'resolved';
CREATE INDEX after_sales_status ON after_sales (status, created_at);
