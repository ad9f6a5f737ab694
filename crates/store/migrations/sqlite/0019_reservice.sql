-- Re-service (返工): an after-sale request resolved as a re-service lets its customer book the
-- same service again at no charge. The order booked for it names the request; at most one such
-- order is live (not cancelled, expired or declined) per request, enforced here.
ALTER TABLE orders ADD COLUMN reservice_of TEXT REFERENCES after_sales (id);
CREATE UNIQUE INDEX orders_reservice_live ON orders (reservice_of)
    WHERE reservice_of IS NOT NULL AND status NOT IN ('cancelled', 'expired', 'declined');
