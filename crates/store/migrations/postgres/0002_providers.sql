-- Provider onboarding: applications (one per account), their documents, the audit log of
-- identity reveals, and in-app notifications.

CREATE TABLE providers (
    id               TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL UNIQUE REFERENCES users (id),
    kind             TEXT NOT NULL CHECK (kind IN ('individual', 'company')),
    display_name     TEXT NOT NULL,
    real_name_masked TEXT NOT NULL,
    real_name_enc    TEXT NOT NULL,
    id_number_masked TEXT NOT NULL,
    id_number_enc    TEXT NOT NULL,
    categories       TEXT NOT NULL,
    districts        TEXT NOT NULL,
    intro            TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'needs_info', 'approved', 'rejected')),
    review_note      TEXT,
    reviewed_by      TEXT,
    submitted_at     BIGINT NOT NULL,
    reviewed_at      BIGINT,
    approved_at      BIGINT,
    suspended        INTEGER NOT NULL DEFAULT 0 CHECK (suspended IN (0, 1)),
    completed_orders BIGINT NOT NULL DEFAULT 0,
    rating_sum       BIGINT NOT NULL DEFAULT 0,
    rating_count     BIGINT NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX providers_status ON providers (status, submitted_at);

CREATE TABLE provider_documents (
    id          TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    kind        TEXT NOT NULL CHECK (kind IN ('licence', 'qualification')),
    photo       TEXT NOT NULL,
    thumb       TEXT NOT NULL,
    expires_on  TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'expiring', 'expired', 'replaced')),
    created_at  BIGINT NOT NULL
);
CREATE INDEX provider_documents_provider ON provider_documents (provider_id);
CREATE INDEX provider_documents_expiry ON provider_documents (status, expires_on);

CREATE TABLE audit_log (
    id         TEXT PRIMARY KEY,
    actor_id   TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_log_target ON audit_log (target, created_at);

CREATE TABLE notifications (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    kind       TEXT NOT NULL,
    body       TEXT NOT NULL,
    dedupe_key TEXT UNIQUE,
    created_at BIGINT NOT NULL,
    read_at    BIGINT
);
CREATE INDEX notifications_user ON notifications (user_id, created_at);
