DROP TABLE offer_status_log;
ALTER TABLE offer_usage DROP CONSTRAINT offer_usage_within_limit;
ALTER TABLE offer_usage DROP COLUMN total_limit;
ALTER TABLE offer_usage ADD COLUMN day DATE;
ALTER TABLE offer_usage ADD COLUMN day_used INTEGER NOT NULL DEFAULT 0;
UPDATE offer_usage u SET day = d.day, day_used = d.used
    FROM (SELECT DISTINCT ON (offer_id, member_id) offer_id, member_id, day, used FROM offer_day_usage
          ORDER BY offer_id, member_id, day DESC) d
    WHERE u.offer_id = d.offer_id AND u.member_id = d.member_id;
UPDATE offer_usage SET day = DATE '1970-01-01' WHERE day IS NULL;
ALTER TABLE offer_usage ALTER COLUMN day SET NOT NULL;
ALTER TABLE offer_usage ALTER COLUMN day_used DROP DEFAULT;
DROP TABLE offer_day_usage;
