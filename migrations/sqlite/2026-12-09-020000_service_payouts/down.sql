DROP INDEX service_cases_follow_up;
ALTER TABLE service_cases DROP COLUMN reminded_at;
ALTER TABLE service_cases DROP COLUMN score;
DROP TABLE service_payouts;
DROP TABLE service_budgets;
