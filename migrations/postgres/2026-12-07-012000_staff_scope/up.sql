-- Staff work in a part of the union tree: their scope node and everything under it. Today's
-- accounts keep the whole tree. A new role, union_officer, for a grassroots union's chair or staff.
-- An audit row keeps the path of its actor's scope, so each reader sees the rows of their own part
-- of the tree (rows from before, and from the command line, are the city's).
ALTER TABLE admin_users ADD COLUMN scope_code TEXT NOT NULL DEFAULT 'ROOT' REFERENCES union_nodes (code);
ALTER TABLE admin_users DROP CONSTRAINT admin_users_role_check;
ALTER TABLE admin_users ADD CONSTRAINT admin_users_role_check
    CHECK (role IN ('admin', 'operator', 'auditor', 'pickup_operator', 'union_officer'));
ALTER TABLE audit_log ADD COLUMN actor_scope TEXT COLLATE "C";
CREATE INDEX audit_log_scope ON audit_log (actor_scope, id);
