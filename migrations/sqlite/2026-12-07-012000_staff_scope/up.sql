-- Staff work in a part of the union tree: their scope node and everything under it. Today's
-- accounts keep the whole tree. A new role, union_officer, for a grassroots union's chair or staff.
-- An audit row keeps the path of its actor's scope, so each reader sees the rows of their own part
-- of the tree (rows from before, and from the command line, are the city's).
--
-- SQLite changes neither a CHECK constraint nor adds a column with a foreign key in place, so
-- admin_users is rebuilt; foreign keys are off while it is (tables referring to it keep their
-- rows), hence this migration runs outside the harness's transaction, in one of its own.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE admin_users_new (
    id             TEXT PRIMARY KEY NOT NULL,
    username       TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    email          TEXT,
    role           TEXT NOT NULL
                   CHECK (role IN ('admin', 'operator', 'auditor', 'pickup_operator', 'union_officer')),
    disabled       BOOLEAN NOT NULL DEFAULT FALSE,
    failed_logins  INTEGER NOT NULL DEFAULT 0,
    locked_until   TIMESTAMP,
    password_hash  TEXT NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    sessions_since TIMESTAMP,
    scope_code     TEXT NOT NULL DEFAULT 'ROOT' REFERENCES union_nodes (code)
);
INSERT INTO admin_users_new (id, username, display_name, email, role, disabled, failed_logins, locked_until,
                             password_hash, created_at, updated_at, sessions_since)
SELECT id, username, display_name, email, role, disabled, failed_logins, locked_until,
       password_hash, created_at, updated_at, sessions_since
  FROM admin_users;
DROP TABLE admin_users;
ALTER TABLE admin_users_new RENAME TO admin_users;
ALTER TABLE audit_log ADD COLUMN actor_scope TEXT;
CREATE INDEX audit_log_scope ON audit_log (actor_scope, id);
COMMIT;
PRAGMA foreign_keys = ON;
