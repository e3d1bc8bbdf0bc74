CREATE TABLE rebates_before (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    transaction_id  TEXT NOT NULL UNIQUE REFERENCES card_transactions (transaction_id),
    offer_id        TEXT NOT NULL REFERENCES offers (id),
    merchant_id     TEXT NOT NULL REFERENCES merchants (id),
    member_id       TEXT NOT NULL REFERENCES members (id),
    card_id         TEXT NOT NULL REFERENCES cards (id),
    amount_fen      BIGINT NOT NULL,
    funder          TEXT NOT NULL,
    payout_day      DATE NOT NULL,
    created_at      TIMESTAMP NOT NULL
);
INSERT INTO rebates_before (seq, transaction_id, offer_id, merchant_id, member_id, card_id, amount_fen, funder,
                            payout_day, created_at)
    SELECT seq, transaction_id, offer_id, merchant_id, member_id, card_id, amount_fen, funder, payout_day, created_at
    FROM rebates WHERE refund_id IS NULL;
DROP TABLE rebates;
ALTER TABLE rebates_before RENAME TO rebates;
CREATE INDEX rebates_by_day ON rebates (payout_day, seq);
CREATE INDEX rebates_by_member ON rebates (member_id, seq);
DROP TABLE card_refunds;
