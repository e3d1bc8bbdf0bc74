ALTER TABLE refresh_tokens DROP COLUMN session_ends_at;
ALTER TABLE admin_users DROP COLUMN sessions_since;
