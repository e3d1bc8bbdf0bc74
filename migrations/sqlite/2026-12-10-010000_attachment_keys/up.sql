-- The field key each attached file is sealed under, so a key rotation knows which files to re-seal;
-- '' for files kept before this was recorded (re-sealed by the next rotation, harmlessly).
ALTER TABLE service_attachments ADD COLUMN sealed_with TEXT NOT NULL DEFAULT '';
