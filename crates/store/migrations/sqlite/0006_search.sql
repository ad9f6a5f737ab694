-- Search history and hot words (from real searches), and admin-configured synonym groups.

CREATE TABLE search_log (
    id         TEXT PRIMARY KEY,
    user_id    TEXT,
    query      TEXT NOT NULL,
    hidden     INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1)),
    created_at BIGINT NOT NULL
);
CREATE INDEX search_log_user ON search_log (user_id, created_at);
CREATE INDEX search_log_time ON search_log (created_at);

CREATE TABLE search_synonyms (
    id         TEXT PRIMARY KEY,
    words      TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
