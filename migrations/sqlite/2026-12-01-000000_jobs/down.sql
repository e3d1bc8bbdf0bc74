CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
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
SELECT id, json_extract(payload, '$.to'), json_extract(payload, '$.subject'), json_extract(payload, '$.body'),
       CASE state WHEN 'done' THEN 'sent' ELSE state END,
       attempts, next_attempt_at, leased_until, last_error, created_at, finished_at
FROM jobs WHERE kind = 'mail';
DROP TABLE jobs;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
