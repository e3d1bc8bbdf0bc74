-- The mail outbox becomes a jobs outbox: one table, a kind and a JSON payload per row, so webhook
-- deliveries and statements can join mail without a table each. Existing mail moves over as is.
CREATE TABLE jobs (
    id               BIGSERIAL PRIMARY KEY,
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
SELECT id, 'mail', json_build_object('to', recipient, 'subject', subject, 'body', body)::text,
       CASE status WHEN 'sent' THEN 'done' ELSE status END,
       attempts, next_attempt_at, leased_until, last_error, created_at, sent_at
FROM outbox;
SELECT setval(pg_get_serial_sequence('jobs', 'id'), GREATEST((SELECT max(id) FROM jobs), 1));
DELETE FROM outbox;

-- During a rolling upgrade, instances still on the previous build write mail into `outbox`: each
-- such row becomes a job instead. A later release drops `outbox` and this trigger.
CREATE FUNCTION outbox_to_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO jobs (kind, payload, state, attempts, next_attempt_at, created_at)
    VALUES ('mail', json_build_object('to', NEW.recipient, 'subject', NEW.subject, 'body', NEW.body)::text,
            'pending', 0, NEW.next_attempt_at, NEW.created_at);
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_to_jobs BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION outbox_to_jobs();

CREATE INDEX jobs_due ON jobs (next_attempt_at) WHERE state = 'pending';
CREATE INDEX jobs_by_state ON jobs (state, id);
