-- The mail outbox becomes a jobs outbox: one table, a kind and a JSON payload per row, so webhook
-- deliveries and statements can join mail without a table each. Existing mail moves over as is.
CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT NOT NULL,
    payload          TEXT NOT NULL,
    state            TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'dead')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMP NOT NULL,
    leased_until     TIMESTAMP,
    last_error       TEXT,
    created_at       TIMESTAMP NOT NULL,
    finished_at      TIMESTAMP
);

INSERT INTO jobs (id, kind, payload, state, attempts, next_attempt_at, leased_until, last_error, created_at, finished_at)
SELECT id, 'mail', json_object('to', recipient, 'subject', subject, 'body', body),
       CASE status WHEN 'sent' THEN 'done' ELSE status END,
       attempts, next_attempt_at, leased_until, last_error, created_at, sent_at
FROM outbox;
DELETE FROM outbox;

-- Kept like its PostgreSQL twin, which forwards rows from instances of the previous build during a
-- rolling upgrade; a later release drops `outbox` and this trigger.
CREATE TRIGGER outbox_to_jobs AFTER INSERT ON outbox
BEGIN
    INSERT INTO jobs (kind, payload, state, attempts, next_attempt_at, created_at)
    VALUES ('mail', json_object('to', NEW.recipient, 'subject', NEW.subject, 'body', NEW.body),
            'pending', 0, NEW.next_attempt_at, NEW.created_at);
    DELETE FROM outbox WHERE id = NEW.id;
END;

CREATE INDEX jobs_due ON jobs (next_attempt_at) WHERE state = 'pending';
CREATE INDEX jobs_by_state ON jobs (state, id);
