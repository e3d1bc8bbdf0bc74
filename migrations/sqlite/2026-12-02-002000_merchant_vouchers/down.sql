ALTER TABLE claims DROP COLUMN redeemed_till_ref;
ALTER TABLE claims DROP COLUMN redeemed_store;
DROP TABLE gift_stores;
