-- SQLite twin of the PostgreSQL migration of the same name. SQLite cannot change a CHECK
-- constraint, so admin_users is rebuilt with the new role allowed.

CREATE TABLE admin_users_new (
    id             TEXT PRIMARY KEY NOT NULL,
    username       TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    email          TEXT,
    role           TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'auditor', 'pickup_operator')),
    disabled       BOOLEAN NOT NULL DEFAULT FALSE,
    failed_logins  INTEGER NOT NULL DEFAULT 0,
    locked_until   TIMESTAMP,
    password_hash  TEXT NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
INSERT INTO admin_users_new SELECT * FROM admin_users;
DROP TABLE admin_users;
ALTER TABLE admin_users_new RENAME TO admin_users;

CREATE TABLE pickup_points (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('center', 'station', 'point')),
    address     TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE gift_pickup_points (
    gift_id          TEXT NOT NULL REFERENCES gifts (id),
    pickup_point_id  TEXT NOT NULL REFERENCES pickup_points (id),
    PRIMARY KEY (gift_id, pickup_point_id)
);

CREATE TABLE pickup_point_operators (
    pickup_point_id  TEXT NOT NULL REFERENCES pickup_points (id),
    admin_id         TEXT NOT NULL REFERENCES admin_users (id),
    PRIMARY KEY (pickup_point_id, admin_id)
);

ALTER TABLE claims ADD COLUMN redeemed_at TIMESTAMP;
ALTER TABLE claims ADD COLUMN redeemed_by TEXT;
ALTER TABLE claims ADD COLUMN redeemed_point TEXT;
