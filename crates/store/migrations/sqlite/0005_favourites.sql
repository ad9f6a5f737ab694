-- Favourites (收藏) of listings and follows (关注) of providers.

CREATE TABLE favourites (
    user_id    TEXT NOT NULL REFERENCES users (id),
    listing_id TEXT NOT NULL REFERENCES listings (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, listing_id)
);

CREATE TABLE follows (
    user_id     TEXT NOT NULL REFERENCES users (id),
    provider_id TEXT NOT NULL REFERENCES providers (id),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (user_id, provider_id)
);
CREATE INDEX follows_provider ON follows (provider_id);
CREATE INDEX listings_category ON listings (status, category);
