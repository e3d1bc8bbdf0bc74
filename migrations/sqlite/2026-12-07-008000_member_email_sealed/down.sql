DROP INDEX members_plain_email;
DROP INDEX members_email_index;
ALTER TABLE members DROP COLUMN email_index;
ALTER TABLE members RENAME COLUMN pending_email_cipher TO pending_email;
ALTER TABLE members RENAME COLUMN email_cipher TO email;
