-- Merchants' webhook endpoints, and an owner on jobs so a merchant can list its own deliveries.
ALTER TABLE merchants ADD COLUMN webhook_url TEXT;
ALTER TABLE jobs ADD COLUMN owner TEXT;
CREATE INDEX jobs_by_owner ON jobs (owner, id) WHERE owner IS NOT NULL;
