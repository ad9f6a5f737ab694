-- Overrun supplements (补款): an hourly job that ran over what was paid waits in the new order
-- status 'awaiting_supplement' until the customer pays the extra (a payment with purpose
-- 'supplement'), declines it, or lets its window pass.
ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN ('pending_payment',
    'awaiting_acceptance', 'accepted', 'in_service', 'awaiting_supplement', 'completed',
    'confirmed', 'cancelled', 'expired', 'declined'));

-- What a payment pays for: the order itself, or an overrun's supplement.
ALTER TABLE payments ADD COLUMN purpose TEXT NOT NULL DEFAULT 'order'
    CHECK (purpose IN ('order', 'supplement'));
