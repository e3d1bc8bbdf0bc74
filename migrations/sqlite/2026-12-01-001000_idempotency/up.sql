-- Idempotency-Key answers, per caller scope; a row without a status is a run in progress, held by
-- its owner (a token per run) until locked_until.
CREATE TABLE idempotency_keys (
    scope         TEXT NOT NULL,
    idem_key      TEXT NOT NULL,
    fingerprint   TEXT NOT NULL,
    owner         TEXT NOT NULL,
    status        INTEGER,
    headers       TEXT,
    body          BLOB,
    locked_until  TIMESTAMP NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    expires_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (scope, idem_key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
