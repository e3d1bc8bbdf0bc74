-- The bank's refunds and reversals of card transactions, each kept once by its id. A refund that
-- takes back part of a rebate writes a negative rebate row, on the payout day it is processed.
CREATE TABLE card_refunds (
    refund_id        TEXT PRIMARY KEY,
    transaction_id   TEXT NOT NULL REFERENCES card_transactions (transaction_id),
    kind             TEXT NOT NULL CHECK (kind IN ('refund', 'reversal')),
    -- As the bank sent it (a reversal may leave it out), to tell a replay from a conflict.
    sent_amount_fen  BIGINT,
    amount_fen       BIGINT NOT NULL CHECK (amount_fen > 0),
    occurred_at      TIMESTAMP NOT NULL,
    clawback_fen     BIGINT NOT NULL CHECK (clawback_fen >= 0),
    -- The transaction's amount not refunded after this one.
    remaining_fen    BIGINT NOT NULL CHECK (remaining_fen >= 0),
    payout_day       DATE NOT NULL,
    received_at      TIMESTAMP NOT NULL
);
CREATE INDEX card_refunds_by_transaction ON card_refunds (transaction_id);

-- A transaction's rebate is one row; each refund that claws some back is one more, negative.
-- SQLite drops a table's UNIQUE only by building the table again.
CREATE TABLE rebates_again (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    transaction_id  TEXT NOT NULL REFERENCES card_transactions (transaction_id),
    offer_id        TEXT NOT NULL REFERENCES offers (id),
    merchant_id     TEXT NOT NULL REFERENCES merchants (id),
    member_id       TEXT NOT NULL REFERENCES members (id),
    card_id         TEXT NOT NULL REFERENCES cards (id),
    amount_fen      BIGINT NOT NULL,
    funder          TEXT NOT NULL,
    -- The Beijing day the rebate was recorded: the payout file it belongs to.
    payout_day      DATE NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    refund_id       TEXT UNIQUE REFERENCES card_refunds (refund_id)
);
INSERT INTO rebates_again (seq, transaction_id, offer_id, merchant_id, member_id, card_id, amount_fen, funder,
                           payout_day, created_at)
    SELECT seq, transaction_id, offer_id, merchant_id, member_id, card_id, amount_fen, funder, payout_day, created_at
    FROM rebates;
DROP TABLE rebates;
ALTER TABLE rebates_again RENAME TO rebates;
CREATE INDEX rebates_by_day ON rebates (payout_day, seq);
CREATE INDEX rebates_by_member ON rebates (member_id, seq);
CREATE UNIQUE INDEX rebates_once ON rebates (transaction_id) WHERE refund_id IS NULL;
