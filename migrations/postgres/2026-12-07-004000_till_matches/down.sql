DROP INDEX discount_sales_unmatched;
ALTER TABLE discount_sales DROP COLUMN card_transaction_id;
