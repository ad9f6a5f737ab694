-- Service listings, the admin-editable moderation word list, and the outbox that carries
-- changes to search and other consumers (written in the same transaction as the change).

CREATE TABLE listings (
    id           TEXT PRIMARY KEY,
    provider_id  TEXT NOT NULL REFERENCES providers (id),
    category     TEXT NOT NULL,
    title        TEXT NOT NULL,
    description  TEXT NOT NULL,
    unit         TEXT NOT NULL CHECK (unit IN ('fixed', 'hour', 'sqm', 'item')),
    price_fen    BIGINT NOT NULL CHECK (price_fen >= 0),
    min_units    BIGINT NOT NULL,
    minutes      BIGINT NOT NULL,
    options      TEXT NOT NULL DEFAULT '[]',
    sop          TEXT NOT NULL DEFAULT '[]',
    photos       TEXT NOT NULL DEFAULT '[]',
    status       TEXT NOT NULL CHECK (status IN ('draft', 'pending', 'published', 'rejected', 'offline')),
    review_note  TEXT,
    flags        TEXT NOT NULL DEFAULT '',
    sales        BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    published_at BIGINT
);
CREATE INDEX listings_provider ON listings (provider_id);
CREATE INDEX listings_status ON listings (status, updated_at);

CREATE TABLE moderation_words (
    word       TEXT PRIMARY KEY,
    severity   TEXT NOT NULL CHECK (severity IN ('review', 'reject')),
    created_at BIGINT NOT NULL
);

CREATE TABLE outbox (
    id           TEXT PRIMARY KEY,
    topic        TEXT NOT NULL,
    payload      TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    processed_at BIGINT
);
CREATE INDEX outbox_pending ON outbox (processed_at, created_at);
