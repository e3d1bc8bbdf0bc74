ALTER TABLE campaigns DROP COLUMN joined_before;
ALTER TABLE roster DROP COLUMN joined_at;
