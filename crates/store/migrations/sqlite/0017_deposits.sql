-- Provider deposits (保证金): a category may require one before its listings can be booked; a
-- provider pays it through the payment provider like an order (one row per attempt). The money
-- itself lives in the ledger (account provider_deposit:<provider>).
ALTER TABLE categories ADD COLUMN deposit_fen BIGINT NOT NULL DEFAULT 0 CHECK (deposit_fen >= 0);

CREATE TABLE deposit_payments (
    out_trade_no   TEXT PRIMARY KEY,
    provider_id    TEXT NOT NULL REFERENCES providers(id),
    amount_fen     BIGINT NOT NULL CHECK (amount_fen > 0),
    status         TEXT NOT NULL CHECK (status IN ('pending', 'success', 'closed')),
    prepay_id      TEXT NOT NULL,
    cashier_url    TEXT NOT NULL,
    transaction_id TEXT,
    created_at     BIGINT NOT NULL,
    paid_at        BIGINT
);
CREATE INDEX deposit_payments_provider ON deposit_payments (provider_id, created_at);
