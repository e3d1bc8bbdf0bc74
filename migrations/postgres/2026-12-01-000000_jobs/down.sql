CREATE TABLE outbox (
    id               BIGSERIAL PRIMARY KEY,
    recipient        TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body             TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMP NOT NULL,
    leased_until     TIMESTAMP,
    last_error       TEXT,
    created_at       TIMESTAMP NOT NULL,
    sent_at          TIMESTAMP
);
INSERT INTO outbox (id, recipient, subject, body, status, attempts, next_attempt_at, leased_until, last_error,
                    created_at, sent_at)
SELECT id, payload::json->>'to', payload::json->>'subject', payload::json->>'body',
       CASE state WHEN 'done' THEN 'sent' ELSE state END,
       attempts, next_attempt_at, leased_until, last_error, created_at, finished_at
FROM jobs WHERE kind = 'mail';
SELECT setval(pg_get_serial_sequence('outbox', 'id'), GREATEST((SELECT max(id) FROM outbox), 1));
DROP TABLE jobs;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
