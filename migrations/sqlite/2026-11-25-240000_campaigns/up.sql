-- SQLite twin of the PostgreSQL migration of the same name.
-- 会员有礼: campaigns, gifts, claims (each with its voucher) and the append-only budget ledger.
-- The claim table's unique constraints are the database's own guarantee against overselling:
-- one claim per (gift, slot) with slot <= stock (checked by the insert), and one per
-- (gift, member, gift_seq) / (campaign, member, campaign_seq) with the sequences <= the limits.

CREATE TABLE campaigns (
    id                TEXT PRIMARY KEY NOT NULL,
    title             TEXT NOT NULL,
    holiday           TEXT NOT NULL,
    starts_at         TIMESTAMP NOT NULL,
    ends_at           TIMESTAMP NOT NULL,
    per_member_limit  INTEGER NOT NULL CHECK (per_member_limit >= 1),
    budget_fen        BIGINT NOT NULL CHECK (budget_fen >= 0),
    union_codes       TEXT NOT NULL DEFAULT '',
    state             TEXT NOT NULL CHECK (state IN ('draft', 'published', 'cancelled')),
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    CHECK (ends_at > starts_at)
);

CREATE TABLE gifts (
    id                TEXT PRIMARY KEY NOT NULL,
    campaign_id       TEXT NOT NULL REFERENCES campaigns (id),
    name              TEXT NOT NULL,
    unit_cost_fen     BIGINT NOT NULL CHECK (unit_cost_fen >= 0),
    stock             INTEGER NOT NULL CHECK (stock >= 0),
    per_member_limit  INTEGER NOT NULL CHECK (per_member_limit >= 1),
    valid_until       DATE NOT NULL,
    funder            TEXT NOT NULL CHECK (funder IN ('union', 'bank', 'merchant')),
    created_at        TIMESTAMP NOT NULL
);

CREATE INDEX gifts_campaign ON gifts (campaign_id);

CREATE TABLE claims (
    id            TEXT PRIMARY KEY NOT NULL,
    campaign_id   TEXT NOT NULL REFERENCES campaigns (id),
    gift_id       TEXT NOT NULL REFERENCES gifts (id),
    member_id     TEXT NOT NULL REFERENCES members (id),
    slot          INTEGER NOT NULL CHECK (slot >= 1),
    gift_seq      INTEGER NOT NULL CHECK (gift_seq >= 1),
    campaign_seq  INTEGER NOT NULL CHECK (campaign_seq >= 1),
    voucher_code  TEXT NOT NULL,
    request_key   TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'issued' CHECK (status IN ('issued', 'redeemed', 'voided')),
    claimed_at    TIMESTAMP NOT NULL,
    expires_at    TIMESTAMP NOT NULL,
    CONSTRAINT claims_slot UNIQUE (gift_id, slot),
    CONSTRAINT claims_gift_seq UNIQUE (gift_id, member_id, gift_seq),
    CONSTRAINT claims_campaign_seq UNIQUE (campaign_id, member_id, campaign_seq),
    CONSTRAINT claims_request UNIQUE (request_key),
    CONSTRAINT claims_voucher UNIQUE (voucher_code)
);

CREATE INDEX claims_member ON claims (member_id);

CREATE TABLE ledger (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id  TEXT NOT NULL REFERENCES campaigns (id),
    gift_id      TEXT NOT NULL REFERENCES gifts (id),
    claim_id     TEXT REFERENCES claims (id),
    kind         TEXT NOT NULL CHECK (kind IN ('claim', 'cancel', 'void')),
    amount_fen   BIGINT NOT NULL,
    funder       TEXT NOT NULL,
    at           TIMESTAMP NOT NULL
);

CREATE INDEX ledger_campaign ON ledger (campaign_id);

CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
BEGIN
    SELECT RAISE(ABORT, 'ledger is append-only');
END;

CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
BEGIN
    SELECT RAISE(ABORT, 'ledger is append-only');
END;
