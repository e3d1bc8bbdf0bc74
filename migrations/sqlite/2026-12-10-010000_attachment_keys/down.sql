ALTER TABLE service_attachments DROP COLUMN sealed_with;
