ALTER TABLE claims DROP COLUMN redeemed_point;
ALTER TABLE claims DROP COLUMN redeemed_by;
ALTER TABLE claims DROP COLUMN redeemed_at;
DROP TABLE pickup_point_operators;
DROP TABLE gift_pickup_points;
DROP TABLE pickup_points;
ALTER TABLE admin_users DROP CONSTRAINT admin_users_role_check;
ALTER TABLE admin_users ADD CONSTRAINT admin_users_role_check CHECK (role IN ('admin', 'operator', 'auditor'));
