-- Money: payments, the append-only double-entry ledger, refunds, commission rules,
-- withdrawals and reconciliation.

ALTER TABLE orders ADD COLUMN paid_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN commission_bps BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN commission_min_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN money_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN completed_at BIGINT;
ALTER TABLE orders ADD COLUMN released_at BIGINT;

-- One row per attempt to pay an order at the payment provider.
CREATE TABLE payments (
    out_trade_no   TEXT PRIMARY KEY,
    order_id       TEXT NOT NULL REFERENCES orders(id),
    amount_fen     BIGINT NOT NULL CHECK (amount_fen > 0),
    status         TEXT NOT NULL CHECK (status IN ('pending', 'success', 'closed')),
    prepay_id      TEXT NOT NULL,
    cashier_url    TEXT NOT NULL,
    transaction_id TEXT,
    created_at     BIGINT NOT NULL,
    paid_at        BIGINT
);
CREATE INDEX payments_order ON payments (order_id);
CREATE INDEX payments_pending ON payments (status, created_at);

-- Journal entries and their postings. Append-only: triggers refuse UPDATE and DELETE. An entry's
-- postings are written first and its header last; the header is refused unless they balance,
-- and no posting may join an entry whose header exists (the entry is sealed).
CREATE TABLE journal_entries (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    order_id   TEXT,
    reference  TEXT,
    memo       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX journal_entries_reference ON journal_entries (reference);
CREATE INDEX journal_entries_order ON journal_entries (order_id, id);

CREATE TABLE postings (
    entry_id   TEXT NOT NULL REFERENCES journal_entries(id) DEFERRABLE INITIALLY DEFERRED,
    line       BIGINT NOT NULL,
    account    TEXT NOT NULL,
    amount     BIGINT NOT NULL CHECK (amount <> 0),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (entry_id, line)
);
CREATE INDEX postings_account ON postings (account, created_at);

-- Refunds asked of the payment provider.
CREATE TABLE refunds (
    out_refund_no TEXT PRIMARY KEY,
    order_id      TEXT NOT NULL REFERENCES orders(id),
    out_trade_no  TEXT NOT NULL REFERENCES payments(out_trade_no),
    amount_fen    BIGINT NOT NULL CHECK (amount_fen > 0),
    status        TEXT NOT NULL CHECK (status IN ('processing', 'success', 'failed')),
    reason        TEXT NOT NULL,
    refund_id     TEXT,
    created_at    BIGINT NOT NULL,
    finished_at   BIGINT
);
CREATE INDEX refunds_order ON refunds (order_id);

-- Nonces of payment notifications already seen (a replay is refused).
CREATE TABLE psp_nonces (
    nonce TEXT PRIMARY KEY,
    at    BIGINT NOT NULL
);

-- Commission rules; the most specific rule in force applies, snapshotted at capture.
CREATE TABLE commission_rules (
    id                 TEXT PRIMARY KEY,
    scope              TEXT NOT NULL CHECK (scope IN ('default', 'category', 'provider')),
    scope_id           TEXT NOT NULL,
    bps                BIGINT NOT NULL CHECK (bps BETWEEN 0 AND 10000),
    min_fen            BIGINT NOT NULL CHECK (min_fen >= 0),
    starts_at          BIGINT,
    ends_at            BIGINT,
    new_provider_days  BIGINT,
    new_provider_orders BIGINT,
    active             INTEGER NOT NULL,
    note               TEXT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE TABLE commission_rule_audit (
    id         TEXT PRIMARY KEY,
    rule_id    TEXT NOT NULL,
    actor_id   TEXT NOT NULL,
    action     TEXT NOT NULL,
    before     TEXT NOT NULL,
    after      TEXT NOT NULL,
    at         BIGINT NOT NULL
);
CREATE INDEX commission_rule_audit_rule ON commission_rule_audit (rule_id, at);

-- A provider's payout account (bank card or Alipay), the number kept encrypted.
CREATE TABLE payout_accounts (
    provider_id    TEXT PRIMARY KEY REFERENCES providers(id),
    kind           TEXT NOT NULL CHECK (kind IN ('bank_card', 'alipay')),
    account_masked TEXT NOT NULL,
    account_enc    TEXT NOT NULL,
    holder_name    TEXT NOT NULL,
    updated_at     BIGINT NOT NULL
);

-- Withdrawal requests. The wallet row serialises a provider's money moves.
CREATE TABLE wallets (
    provider_id TEXT PRIMARY KEY REFERENCES providers(id),
    version     BIGINT NOT NULL
);
CREATE TABLE withdrawals (
    id             TEXT PRIMARY KEY,
    provider_id    TEXT NOT NULL REFERENCES providers(id),
    amount_fen     BIGINT NOT NULL CHECK (amount_fen > 0),
    fee_fen        BIGINT NOT NULL CHECK (fee_fen >= 0),
    status         TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'paid', 'rejected', 'failed')),
    account_kind   TEXT NOT NULL,
    account_masked TEXT NOT NULL,
    account_enc    TEXT NOT NULL,
    holder_name    TEXT NOT NULL,
    note           TEXT NOT NULL,
    transfer_id    TEXT,
    decided_by     TEXT,
    created_at     BIGINT NOT NULL,
    decided_at     BIGINT,
    finished_at    BIGINT
);
CREATE INDEX withdrawals_provider ON withdrawals (provider_id, created_at);
CREATE INDEX withdrawals_status ON withdrawals (status, created_at);

-- Daily reconciliation of the payment provider's statement against the platform's records.
CREATE TABLE reconciliations (
    day         TEXT PRIMARY KEY,
    matched     BIGINT NOT NULL,
    differences TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger is append-only';
END
$$;
CREATE TRIGGER journal_entries_append_only BEFORE UPDATE OR DELETE ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER journal_entries_no_truncate BEFORE TRUNCATE ON journal_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER postings_append_only BEFORE UPDATE OR DELETE ON postings
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER postings_no_truncate BEFORE TRUNCATE ON postings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();

-- Every entry balances and is sealed once its header is written.
CREATE FUNCTION ledger_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM postings WHERE entry_id = NEW.id)
       OR (SELECT SUM(amount) FROM postings WHERE entry_id = NEW.id) <> 0 THEN
        RAISE EXCEPTION 'journal entry does not balance';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER journal_entries_balanced AFTER INSERT ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_balanced();
CREATE FUNCTION ledger_entry_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM journal_entries WHERE id = NEW.entry_id) THEN
        RAISE EXCEPTION 'journal entry is sealed';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER postings_sealed BEFORE INSERT ON postings
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_sealed();
