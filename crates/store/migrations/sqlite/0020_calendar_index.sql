-- The booking check reads a provider's jobs around a slot (`calendar_around`): a range of
-- start times, filtered by end time and status, returning the place, never the job itself
-- (except its id). This index holds every column that read touches, so the range is read from
-- the index alone instead of one table lookup per job, and it replaces the (provider, start)
-- index, whose prefix it keeps.
CREATE INDEX orders_provider_calendar
    ON orders (provider_id, start_at, end_at, status, lat_micro, lng_micro, id);
DROP INDEX orders_provider_start;
