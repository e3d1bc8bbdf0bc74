-- 会员服务卡: cards and their history, the daily code handles, the bank's card events and card
-- transactions, and the rebates those earn. A bank is a partner like a merchant, with its own role.

ALTER TABLE merchants ADD COLUMN kind TEXT NOT NULL DEFAULT 'merchant' CHECK (kind IN ('merchant', 'bank'));
-- The number the bank knows this merchant by in its card transactions.
ALTER TABLE merchants ADD COLUMN bank_merchant_id TEXT;
CREATE UNIQUE INDEX merchants_by_bank_id ON merchants (bank_merchant_id) WHERE bank_merchant_id IS NOT NULL;

-- Who pays an offer's discount when it is given as a rebate on a card transaction.
ALTER TABLE offers ADD COLUMN funder TEXT NOT NULL DEFAULT 'merchant' CHECK (funder IN ('merchant', 'union', 'bank'));

ALTER TABLE campaigns ADD COLUMN cardholders_only BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE cards (
    id              TEXT PRIMARY KEY,
    member_id       TEXT NOT NULL REFERENCES members (id),
    status          TEXT NOT NULL CHECK (status IN ('applied', 'issued', 'active', 'frozen', 'lost', 'cancelled')),
    -- The card number is kept only as a keyed digest (to find the card) and its last 4 digits.
    number_index    TEXT UNIQUE,
    number_last4    TEXT,
    -- The bank's token for the account behind the card, and its last 4 digits.
    account_token   TEXT,
    account_last4   TEXT,
    -- The code secret, sealed with the field key.
    secret_cipher   TEXT NOT NULL,
    replaces        TEXT REFERENCES cards (id),
    -- When the last bank event applied to this card happened (the bank's clock): an older one
    -- arriving late changes nothing.
    bank_event_at   TIMESTAMP,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
-- One card per member that is not cancelled.
CREATE UNIQUE INDEX cards_one_current ON cards (member_id) WHERE status <> 'cancelled';
CREATE INDEX cards_by_member ON cards (member_id, id);
CREATE INDEX cards_by_account ON cards (account_token) WHERE account_token IS NOT NULL;
CREATE INDEX cards_applied ON cards (id) WHERE status = 'applied';

CREATE TABLE card_history (
    id           BIGSERIAL PRIMARY KEY,
    card_id      TEXT NOT NULL REFERENCES cards (id),
    event        TEXT NOT NULL,
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    at           TIMESTAMP NOT NULL
);
CREATE INDEX card_history_by_card ON card_history (card_id, id);

-- Each card's random handle per Beijing day: what a scanned code finds the card by.
CREATE TABLE card_handles (
    day      DATE NOT NULL,
    handle   TEXT NOT NULL,
    card_id  TEXT NOT NULL REFERENCES cards (id),
    PRIMARY KEY (day, handle)
);
CREATE UNIQUE INDEX card_handles_by_card ON card_handles (card_id, day);

-- The bank's card events by its event id, with the answer given: a replay gets the same one.
CREATE TABLE bank_card_events (
    event_id     TEXT PRIMARY KEY,
    card_id      TEXT NOT NULL,
    kind         TEXT NOT NULL,
    occurred_at  TIMESTAMP NOT NULL,
    outcome      TEXT NOT NULL,
    answer       TEXT NOT NULL,
    received_at  TIMESTAMP NOT NULL
);

CREATE TABLE card_transactions (
    seq               BIGSERIAL PRIMARY KEY,
    transaction_id    TEXT NOT NULL UNIQUE,
    bank_merchant_id  TEXT NOT NULL,
    merchant_id       TEXT REFERENCES merchants (id),
    card_id           TEXT REFERENCES cards (id),
    member_id         TEXT REFERENCES members (id),
    account_token     TEXT NOT NULL,
    amount_fen        BIGINT NOT NULL,
    occurred_at       TIMESTAMP NOT NULL,
    outcome           TEXT NOT NULL,
    rebate_fen        BIGINT NOT NULL,
    received_at       TIMESTAMP NOT NULL
);
CREATE INDEX card_transactions_by_member ON card_transactions (member_id, seq) WHERE member_id IS NOT NULL;
CREATE INDEX card_transactions_unmatched ON card_transactions (seq) WHERE merchant_id IS NULL;

-- Each row is also the funder's ledger entry: who pays it, how much, on which payout day.
CREATE TABLE rebates (
    seq             BIGSERIAL PRIMARY KEY,
    transaction_id  TEXT NOT NULL UNIQUE REFERENCES card_transactions (transaction_id),
    offer_id        TEXT NOT NULL REFERENCES offers (id),
    merchant_id     TEXT NOT NULL REFERENCES merchants (id),
    member_id       TEXT NOT NULL REFERENCES members (id),
    card_id         TEXT NOT NULL REFERENCES cards (id),
    amount_fen      BIGINT NOT NULL,
    funder          TEXT NOT NULL,
    -- The Beijing day the rebate was recorded: the payout file it belongs to.
    payout_day      DATE NOT NULL,
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX rebates_by_day ON rebates (payout_day, seq);
CREATE INDEX rebates_by_member ON rebates (member_id, seq);
