-- One purchase, one benefit: a till sale of a cardholder offer paid with the card is matched to
-- the card transaction that paid it, which then earns no rebate.
ALTER TABLE discount_sales ADD COLUMN card_transaction_id TEXT;
CREATE INDEX discount_sales_unmatched ON discount_sales (member_id, sale_day)
    WHERE card_transaction_id IS NULL AND reversed_at IS NULL;
