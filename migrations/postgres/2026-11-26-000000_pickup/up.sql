-- Pickup points (职工服务中心/站/点) where pickup vouchers are redeemed, the operators who redeem
-- there, and the redemption record on each claim.

ALTER TABLE admin_users DROP CONSTRAINT admin_users_role_check;
ALTER TABLE admin_users ADD CONSTRAINT admin_users_role_check
    CHECK (role IN ('admin', 'operator', 'auditor', 'pickup_operator'));

CREATE TABLE pickup_points (
    id          TEXT PRIMARY KEY,
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
