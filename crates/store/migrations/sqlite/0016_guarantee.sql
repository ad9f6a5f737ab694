-- 先行赔付 claims: a customer claims for damage or loss on a completed order; an operator
-- approves (an amount up to the claim) or rejects. One open claim per order at a time.
CREATE TABLE guarantee_claims (
    id           TEXT PRIMARY KEY,
    order_id     TEXT NOT NULL REFERENCES orders(id),
    customer_id  TEXT NOT NULL REFERENCES users(id),
    provider_id  TEXT NOT NULL REFERENCES providers(id),
    kind         TEXT NOT NULL CHECK (kind IN ('damage', 'loss')),
    description  TEXT NOT NULL,
    claimed_fen  BIGINT NOT NULL CHECK (claimed_fen > 0),
    approved_fen BIGINT NOT NULL DEFAULT 0 CHECK (approved_fen >= 0),
    status       TEXT NOT NULL CHECK (status IN ('open', 'approved', 'rejected')),
    note         TEXT NOT NULL DEFAULT '',
    decided_by   TEXT REFERENCES users(id),
    created_at   BIGINT NOT NULL,
    decided_at   BIGINT
);
CREATE UNIQUE INDEX guarantee_claims_one_open ON guarantee_claims (order_id) WHERE status = 'open';
CREATE INDEX guarantee_claims_order ON guarantee_claims (order_id, created_at);
CREATE INDEX guarantee_claims_status ON guarantee_claims (status, created_at);
