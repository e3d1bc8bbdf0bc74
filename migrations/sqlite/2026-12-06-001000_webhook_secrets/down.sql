ALTER TABLE merchants DROP COLUMN webhook_previous_until;
ALTER TABLE merchants DROP COLUMN webhook_previous_secret_cipher;
ALTER TABLE merchants DROP COLUMN webhook_secret_cipher;
