-- Members' e-mail addresses are personal data like their phones: sealed at rest, found through a
-- blind index. Addresses already confirmed are sealed by the server at its next start (it holds the
-- key, SQL does not); addresses waiting for their code are dropped with the code (the member asks
-- for a new one).
ALTER TABLE members RENAME COLUMN email TO email_cipher;
ALTER TABLE members RENAME COLUMN pending_email TO pending_email_cipher;
ALTER TABLE members ADD COLUMN email_index TEXT;
UPDATE members SET pending_email_cipher = NULL, email_code_hash = NULL, email_code_expires_at = NULL
 WHERE pending_email_cipher IS NOT NULL;
CREATE INDEX members_email_index ON members (email_index);
-- What the start-up sealing looks for: empty once every address is sealed, so the look costs nothing.
CREATE INDEX members_plain_email ON members (id) WHERE email_cipher IS NOT NULL AND email_index IS NULL;
