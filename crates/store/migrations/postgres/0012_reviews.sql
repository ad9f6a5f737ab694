-- Reviews (评价): one per confirmed order by its customer, with photos, an optional provider
-- reply, reports, and the operators' queue; and providers' ratings of customers.

-- `status`: published (counted in ratings), pending (held by the word filter until an operator
-- keeps it), hidden (an operator hid it). `queued` marks it for the admin queue (filtered,
-- reported, or a reply held by the filter). `photos` is a JSON array of {photo, thumb}.
CREATE TABLE reviews (
    id              TEXT PRIMARY KEY,
    order_id        TEXT NOT NULL UNIQUE REFERENCES orders(id),
    customer_id     TEXT NOT NULL REFERENCES users(id),
    provider_id     TEXT NOT NULL REFERENCES providers(id),
    listing_id      TEXT NOT NULL REFERENCES listings(id),
    stars           BIGINT NOT NULL CHECK (stars BETWEEN 1 AND 5),
    punctual        BIGINT NOT NULL CHECK (punctual BETWEEN 1 AND 5),
    professional    BIGINT NOT NULL CHECK (professional BETWEEN 1 AND 5),
    attitude        BIGINT NOT NULL CHECK (attitude BETWEEN 1 AND 5),
    body            TEXT NOT NULL,
    photos          TEXT NOT NULL,
    photo_count     BIGINT NOT NULL CHECK (photo_count BETWEEN 0 AND 9),
    anonymous       INTEGER NOT NULL,
    is_default      INTEGER NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('published', 'pending', 'hidden')),
    flags           TEXT NOT NULL DEFAULT '',
    report_count    BIGINT NOT NULL DEFAULT 0,
    queued          INTEGER NOT NULL DEFAULT 0,
    reply           TEXT,
    reply_status    TEXT CHECK (reply_status IN ('published', 'pending', 'hidden')),
    reply_at        BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX reviews_provider ON reviews (provider_id, status, created_at);
CREATE INDEX reviews_listing ON reviews (listing_id, status, created_at);
CREATE INDEX reviews_queue ON reviews (queued, updated_at);

-- Reports: one per reporter and review.
CREATE TABLE review_reports (
    id          TEXT PRIMARY KEY,
    review_id   TEXT NOT NULL REFERENCES reviews(id),
    reporter_id TEXT NOT NULL REFERENCES users(id),
    reason      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (review_id, reporter_id)
);

-- A provider's rating of the customer of one order (seen only by providers).
CREATE TABLE customer_ratings (
    order_id    TEXT PRIMARY KEY REFERENCES orders(id),
    provider_id TEXT NOT NULL REFERENCES providers(id),
    customer_id TEXT NOT NULL REFERENCES users(id),
    stars       BIGINT NOT NULL CHECK (stars BETWEEN 1 AND 5),
    body        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX customer_ratings_customer ON customer_ratings (customer_id, created_at);
