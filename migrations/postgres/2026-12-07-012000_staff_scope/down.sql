DROP INDEX audit_log_scope;
ALTER TABLE audit_log DROP COLUMN actor_scope;
ALTER TABLE admin_users DROP CONSTRAINT admin_users_role_check;
ALTER TABLE admin_users ADD CONSTRAINT admin_users_role_check
    CHECK (role IN ('admin', 'operator', 'auditor', 'pickup_operator'));
ALTER TABLE admin_users DROP COLUMN scope_code;
