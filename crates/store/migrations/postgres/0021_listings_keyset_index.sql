-- A full reindex walks the published listings in id order, a page at a time
-- (`published_after`: `status = 'published' AND id > $1 ORDER BY id LIMIT $2`). With only the
-- (status, updated_at) index, SQLite read every published listing and sorted them for each
-- page, so a reindex took time quadratic in the catalogue. On (status, id) each page is one
-- range of the index, read in order.
CREATE INDEX listings_status_id ON listings (status, id);
