-- Leases: work that must run on one node at a time (the search indexer reading the outbox)
-- goes to whoever holds the named lease; a holder renews it, and an expired lease can be
-- taken over by another node.

CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
