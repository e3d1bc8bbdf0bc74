DROP INDEX jobs_by_owner;
ALTER TABLE jobs DROP COLUMN owner;
ALTER TABLE merchants DROP COLUMN webhook_url;
