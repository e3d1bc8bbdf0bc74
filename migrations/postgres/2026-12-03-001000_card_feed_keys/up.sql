-- The bank's feed writes a million card transactions and rebates a day, all naming the same few
-- merchants and offers. A foreign key check takes a share lock on the row it names, so concurrent
-- batches would queue on those few rows; the batch statements check every reference themselves
-- (the merchant, card, member and offer are read, and the offer and standing checked under the
-- members' offer-use locks), so these two tables keep their references without the constraints.
ALTER TABLE card_transactions DROP CONSTRAINT card_transactions_merchant_id_fkey;
ALTER TABLE card_transactions DROP CONSTRAINT card_transactions_card_id_fkey;
ALTER TABLE card_transactions DROP CONSTRAINT card_transactions_member_id_fkey;
ALTER TABLE rebates DROP CONSTRAINT rebates_transaction_id_fkey;
ALTER TABLE rebates DROP CONSTRAINT rebates_offer_id_fkey;
ALTER TABLE rebates DROP CONSTRAINT rebates_merchant_id_fkey;
ALTER TABLE rebates DROP CONSTRAINT rebates_member_id_fkey;
ALTER TABLE rebates DROP CONSTRAINT rebates_card_id_fkey;
