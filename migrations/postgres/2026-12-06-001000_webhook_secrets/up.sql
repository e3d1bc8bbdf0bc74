-- Standard Webhooks' symmetric `v1` signatures: each merchant endpoint's `whsec_` secret, sealed
-- like personal data, and the one it replaced, which signs too until the overlap ends.
ALTER TABLE merchants ADD COLUMN webhook_secret_cipher TEXT;
ALTER TABLE merchants ADD COLUMN webhook_previous_secret_cipher TEXT;
ALTER TABLE merchants ADD COLUMN webhook_previous_until TIMESTAMP;
