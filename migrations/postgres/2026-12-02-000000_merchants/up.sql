-- Partner merchants, their stores and discount offers; the keys their systems sign requests with;
-- short-lived member codes; per-merchant member references; discounted sales and offer usage.

CREATE TABLE merchants (
    id                TEXT PRIMARY KEY,
    -- The merchant number its WeChat Pay SDK sends as `mchid`.
    mchid             TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL,
    category          TEXT NOT NULL,
    contact           TEXT NOT NULL,
    settlement_email  TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);
CREATE INDEX merchants_by_category ON merchants (category);

-- Coordinates are GCJ-02 in millionths of a degree (about 0.1 m): exact integers, indexable.
CREATE TABLE stores (
    id           TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    name         TEXT NOT NULL,
    address      TEXT NOT NULL,
    district     TEXT NOT NULL,
    lat_e6       INTEGER NOT NULL,
    lng_e6       INTEGER NOT NULL,
    hours        TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX stores_by_merchant ON stores (merchant_id);
CREATE INDEX stores_by_position ON stores (lat_e6, lng_e6);

CREATE TABLE offers (
    id             TEXT PRIMARY KEY,
    merchant_id    TEXT NOT NULL REFERENCES merchants (id),
    title          TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('percent_off', 'amount_off', 'spend_save')),
    percent_bps    INTEGER,
    amount_fen     BIGINT,
    threshold_fen  BIGINT,
    cap_fen        BIGINT,
    valid_from     DATE NOT NULL,
    valid_until    DATE NOT NULL,
    -- Bit 0 is Monday … bit 6 Sunday, Beijing time.
    weekdays       INTEGER NOT NULL,
    all_stores     BOOLEAN NOT NULL,
    audience       TEXT NOT NULL CHECK (audience IN ('activated', 'cardholders')),
    daily_limit    INTEGER,
    total_limit    INTEGER,
    status         TEXT NOT NULL CHECK (status IN ('draft', 'published', 'paused', 'expired')),
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE INDEX offers_by_merchant ON offers (merchant_id);

CREATE TABLE offer_stores (
    offer_id  TEXT NOT NULL REFERENCES offers (id),
    store_id  TEXT NOT NULL REFERENCES stores (id),
    PRIMARY KEY (offer_id, store_id)
);

CREATE TABLE partner_keys (
    -- Upper-case hex, as WeChat Pay prints certificate serials; compared case-insensitively.
    serial          TEXT PRIMARY KEY,
    merchant_id     TEXT NOT NULL REFERENCES merchants (id),
    store_id        TEXT REFERENCES stores (id),
    public_key_der  BYTEA NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    revoked_at      TIMESTAMP
);
CREATE INDEX partner_keys_by_merchant ON partner_keys (merchant_id);

-- Only a digest of each code is kept: a copy of the table lets nobody pose as a member.
CREATE TABLE member_codes (
    code_hash   TEXT PRIMARY KEY,
    member_id   TEXT NOT NULL REFERENCES members (id),
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL
);
CREATE INDEX member_codes_by_expiry ON member_codes (expires_at);

CREATE TABLE merchant_members (
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    reference    TEXT NOT NULL,
    member_id    TEXT NOT NULL REFERENCES members (id),
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (merchant_id, reference)
);

CREATE TABLE discount_sales (
    seq                BIGSERIAL PRIMARY KEY,
    id                 TEXT NOT NULL UNIQUE,
    merchant_id        TEXT NOT NULL REFERENCES merchants (id),
    store_id           TEXT NOT NULL REFERENCES stores (id),
    offer_id           TEXT NOT NULL REFERENCES offers (id),
    member_id          TEXT NOT NULL REFERENCES members (id),
    member_ref         TEXT NOT NULL,
    original_fen       BIGINT NOT NULL,
    discount_fen       BIGINT NOT NULL,
    paid_fen           BIGINT NOT NULL,
    till_ref           TEXT NOT NULL,
    channel            TEXT NOT NULL,
    -- The Beijing date of the sale: what daily limits and statements count by.
    sale_day           DATE NOT NULL,
    created_at         TIMESTAMP NOT NULL,
    reversed_at        TIMESTAMP,
    reversal_till_ref  TEXT
);
CREATE INDEX discount_sales_by_merchant ON discount_sales (merchant_id, seq);
CREATE INDEX discount_sales_by_merchant_day ON discount_sales (merchant_id, sale_day);
CREATE INDEX discount_sales_by_member ON discount_sales (member_id, seq);

-- One row per member and offer, updated under its row lock: concurrent sales against the same
-- limits queue here and nowhere else.
CREATE TABLE offer_usage (
    offer_id    TEXT NOT NULL REFERENCES offers (id),
    member_id   TEXT NOT NULL REFERENCES members (id),
    day         DATE NOT NULL,
    day_used    INTEGER NOT NULL,
    total_used  INTEGER NOT NULL,
    PRIMARY KEY (offer_id, member_id)
);
