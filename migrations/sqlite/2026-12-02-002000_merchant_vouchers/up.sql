-- A gift can be a merchant voucher: listed at partner stores, redeemed there (核销) by the
-- merchant's system through the partner API, recorded with the store and the till.
CREATE TABLE gift_stores (
    gift_id   TEXT NOT NULL REFERENCES gifts (id),
    store_id  TEXT NOT NULL REFERENCES stores (id),
    PRIMARY KEY (gift_id, store_id)
);
ALTER TABLE claims ADD COLUMN redeemed_store TEXT;
ALTER TABLE claims ADD COLUMN redeemed_till_ref TEXT;
