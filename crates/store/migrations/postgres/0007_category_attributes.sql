-- Category attributes (e.g. 面积, 房间数, 品牌), managed by operators, and the values a listing
-- gives them.

CREATE TABLE category_attributes (
    id          TEXT PRIMARY KEY,
    category_id TEXT NOT NULL REFERENCES categories (id),
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('number', 'choice', 'text')),
    options     TEXT NOT NULL DEFAULT '',
    unit        TEXT NOT NULL DEFAULT '',
    required    INTEGER NOT NULL DEFAULT 0 CHECK (required IN (0, 1)),
    sort        BIGINT NOT NULL DEFAULT 0,
    UNIQUE (category_id, name)
);

ALTER TABLE listings ADD COLUMN attributes TEXT NOT NULL DEFAULT '[]';
