-- Service areas: each provider serves districts or radius zones, each with a surcharge.

CREATE TABLE service_areas (
    id            TEXT PRIMARY KEY,
    provider_id   TEXT NOT NULL REFERENCES providers (id),
    kind          TEXT NOT NULL CHECK (kind IN ('districts', 'radius')),
    districts     TEXT NOT NULL DEFAULT '',
    lat_micro     BIGINT NOT NULL DEFAULT 0,
    lng_micro     BIGINT NOT NULL DEFAULT 0,
    radius_m      BIGINT NOT NULL DEFAULT 0,
    surcharge_fen BIGINT NOT NULL DEFAULT 0 CHECK (surcharge_fen >= 0),
    created_at    BIGINT NOT NULL
);
CREATE INDEX service_areas_provider ON service_areas (provider_id);
