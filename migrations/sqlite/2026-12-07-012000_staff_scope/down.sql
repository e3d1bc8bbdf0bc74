DROP INDEX audit_log_scope;
ALTER TABLE audit_log DROP COLUMN actor_scope;
ALTER TABLE admin_users DROP COLUMN scope_code;
