-- Access tokens issued before this moment are dead for good: set when staff suspend a member, so
-- lifting the suspension does not bring the old tokens back.
ALTER TABLE members ADD COLUMN sessions_since TIMESTAMP;
