ALTER TABLE members DROP COLUMN sessions_since;
