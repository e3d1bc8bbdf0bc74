ALTER TABLE member_codes DROP COLUMN used_at;
