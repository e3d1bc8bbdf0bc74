-- Staff work in a part of the union tree: their scope node and everything under it. Today's
-- accounts keep the whole tree. An audit row keeps the path of its actor's scope, so each reader
-- sees the rows of their own part of the tree (rows from before, and from the command line, are
-- the city's).
ALTER TABLE admin_users ADD COLUMN scope_code TEXT NOT NULL DEFAULT 'ROOT';
ALTER TABLE audit_log ADD COLUMN actor_scope TEXT;
CREATE INDEX audit_log_scope ON audit_log (actor_scope, id);
