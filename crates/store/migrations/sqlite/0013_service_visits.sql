-- Verified visits: the customer's service code (核销码), the provider's check-in position and
-- distance (with an override reason when far away), check-out with the actual duration and
-- the final price it gives, and the listing checklist worked through on site.
CREATE TABLE service_visits (
    order_id           TEXT PRIMARY KEY REFERENCES orders(id),
    service_code       TEXT NOT NULL,
    code_attempts      BIGINT NOT NULL DEFAULT 0,
    code_verified_at   BIGINT,
    checkin_at         BIGINT,
    checkin_lat_micro  BIGINT,
    checkin_lng_micro  BIGINT,
    checkin_distance_m BIGINT,
    override_reason    TEXT NOT NULL DEFAULT '',
    checkout_at        BIGINT,
    actual_minutes     BIGINT,
    final_fen          BIGINT,
    extra_fen          BIGINT NOT NULL DEFAULT 0,
    created_at         BIGINT NOT NULL
);

-- One row per checklist item ticked (its index in the listing's checklist at completion).
CREATE TABLE visit_checklist (
    order_id   TEXT NOT NULL REFERENCES orders(id),
    item_index BIGINT NOT NULL,
    done_at    BIGINT NOT NULL,
    photo      TEXT NOT NULL DEFAULT '',
    thumb      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (order_id, item_index)
);
