-- The claimed-units counter of the database-only mode (SGH_INVENTORY_GATE=off): a granted claim
-- raises it while it is below the released stock and takes its new value as the slot. With the
-- gate on, slots come from the gate and the counter stays untouched; switching modes resyncs it
-- to the highest slot in use.
ALTER TABLE gifts ADD COLUMN claimed INTEGER NOT NULL DEFAULT 0;
