DROP INDEX card_transactions_unmatched_by_day;
ALTER TABLE card_transactions DROP COLUMN payout_day;
DROP TABLE payout_days;
