ALTER TABLE admin_users DROP CONSTRAINT admin_users_role_check;
ALTER TABLE admin_users ADD CONSTRAINT admin_users_role_check
    CHECK (role IN ('admin', 'operator', 'auditor', 'pickup_operator', 'union_officer'));
DROP TABLE service_case_reads;
DROP TABLE service_attachments;
DROP TABLE service_case_events;
DROP TABLE service_cases;
DROP TABLE service_kinds;
