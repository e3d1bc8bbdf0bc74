ALTER TABLE pickup_points DROP COLUMN scope_code;
ALTER TABLE campaigns DROP COLUMN scope_code;
