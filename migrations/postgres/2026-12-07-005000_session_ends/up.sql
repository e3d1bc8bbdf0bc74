-- Staff tokens issued before this second are dead: set when the password or the role changes.
ALTER TABLE admin_users ADD COLUMN sessions_since TIMESTAMP;
-- A member's sign-in lasts at most this long however often its refresh token is rotated; tokens
-- from before get the end their current token has.
ALTER TABLE refresh_tokens ADD COLUMN session_ends_at TIMESTAMP;
UPDATE refresh_tokens SET session_ends_at = expires_at;
