ALTER TABLE card_transactions ADD FOREIGN KEY (merchant_id) REFERENCES merchants (id);
ALTER TABLE card_transactions ADD FOREIGN KEY (card_id) REFERENCES cards (id);
ALTER TABLE card_transactions ADD FOREIGN KEY (member_id) REFERENCES members (id);
ALTER TABLE rebates ADD FOREIGN KEY (transaction_id) REFERENCES card_transactions (transaction_id);
ALTER TABLE rebates ADD FOREIGN KEY (offer_id) REFERENCES offers (id);
ALTER TABLE rebates ADD FOREIGN KEY (merchant_id) REFERENCES merchants (id);
ALTER TABLE rebates ADD FOREIGN KEY (member_id) REFERENCES members (id);
ALTER TABLE rebates ADD FOREIGN KEY (card_id) REFERENCES cards (id);
