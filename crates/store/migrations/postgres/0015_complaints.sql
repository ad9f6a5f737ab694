-- Complaint tickets (投诉): separate from refunds, by a customer against a provider (provider_id
-- set) or the platform (NULL), optionally about one of their orders. `sla_due_at` is the
-- first-response deadline; `upheld` = 1 when resolved against the provider (a dispute lost).
CREATE TABLE complaints (
    id                TEXT PRIMARY KEY,
    customer_id       TEXT NOT NULL REFERENCES users(id),
    order_id          TEXT REFERENCES orders(id),
    provider_id       TEXT REFERENCES providers(id),
    category          TEXT NOT NULL CHECK (category IN ('attitude', 'quality', 'charges',
                          'platform', 'other')),
    body              TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('open', 'in_progress', 'resolved', 'closed')),
    sla_due_at        BIGINT NOT NULL,
    first_response_at BIGINT,
    upheld            INTEGER NOT NULL DEFAULT 0,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX complaints_customer ON complaints (customer_id, created_at);
CREATE INDEX complaints_status ON complaints (status, sla_due_at);
CREATE INDEX complaints_provider ON complaints (provider_id, upheld);

-- The ticket's thread: public replies (shown to the customer), internal notes (operators
-- only) and status changes.
CREATE TABLE complaint_notes (
    id           TEXT PRIMARY KEY,
    complaint_id TEXT NOT NULL REFERENCES complaints(id),
    author_id    TEXT NOT NULL REFERENCES users(id),
    kind         TEXT NOT NULL CHECK (kind IN ('reply', 'internal', 'status')),
    body         TEXT NOT NULL,
    at           BIGINT NOT NULL
);
CREATE INDEX complaint_notes_complaint ON complaint_notes (complaint_id, at);

-- An existing database's built-in super-admin role gains the new permission (new databases
-- get it from Permission::ALL when the role is created).
UPDATE roles SET permissions = permissions || ',complaints.handle'
WHERE is_builtin = 1 AND permissions NOT LIKE '%complaints.handle%';
