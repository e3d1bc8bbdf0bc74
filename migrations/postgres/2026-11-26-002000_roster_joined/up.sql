-- When each member first appeared on the roster, for campaigns open only to earlier members.
ALTER TABLE roster ADD COLUMN joined_at TIMESTAMP;
UPDATE roster SET joined_at = updated_at;
ALTER TABLE campaigns ADD COLUMN joined_before DATE;
