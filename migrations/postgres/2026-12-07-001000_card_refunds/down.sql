DELETE FROM rebates WHERE refund_id IS NOT NULL;
DROP INDEX rebates_once;
ALTER TABLE rebates DROP COLUMN refund_id;
ALTER TABLE rebates ADD CONSTRAINT rebates_transaction_id_key UNIQUE (transaction_id);
DROP TABLE card_refunds;
