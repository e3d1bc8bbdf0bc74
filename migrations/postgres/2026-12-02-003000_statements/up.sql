-- Which merchants' daily settlement statements are issued: one row each, so every instance
-- issues a statement once.
CREATE TABLE settlement_statements (
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    day          DATE NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (merchant_id, day)
);
