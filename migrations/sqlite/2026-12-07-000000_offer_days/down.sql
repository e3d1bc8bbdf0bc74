DROP TABLE offer_status_log;
ALTER TABLE offer_usage DROP COLUMN total_limit;
ALTER TABLE offer_usage ADD COLUMN day DATE NOT NULL DEFAULT '1970-01-01';
ALTER TABLE offer_usage ADD COLUMN day_used INTEGER NOT NULL DEFAULT 0;
UPDATE offer_usage SET
    day = COALESCE((SELECT MAX(d.day) FROM offer_day_usage d
                    WHERE d.offer_id = offer_usage.offer_id AND d.member_id = offer_usage.member_id), day),
    day_used = COALESCE((SELECT d.used FROM offer_day_usage d
                         WHERE d.offer_id = offer_usage.offer_id AND d.member_id = offer_usage.member_id
                         ORDER BY d.day DESC LIMIT 1), 0);
DROP TABLE offer_day_usage;
