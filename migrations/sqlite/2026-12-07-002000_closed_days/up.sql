-- Payout days whose file has been served: closed, so nothing more counts into them.
CREATE TABLE payout_days (
    day        DATE PRIMARY KEY,
    closed_at  TIMESTAMP NOT NULL
);
-- The payout file each transaction belongs to (its rebate's, or its unknown merchant's report);
-- rows from before are reported by the day they were received.
ALTER TABLE card_transactions ADD COLUMN payout_day DATE;
UPDATE card_transactions SET payout_day = (SELECT r.payout_day FROM rebates r
    WHERE r.transaction_id = card_transactions.transaction_id AND r.refund_id IS NULL);
CREATE INDEX card_transactions_unmatched_by_day ON card_transactions (payout_day) WHERE merchant_id IS NULL;
