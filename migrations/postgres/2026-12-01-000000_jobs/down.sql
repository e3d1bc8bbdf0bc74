DROP TRIGGER outbox_to_jobs ON outbox;
DROP FUNCTION outbox_to_jobs();
INSERT INTO outbox (id, recipient, subject, body, status, attempts, next_attempt_at, leased_until, last_error,
                    created_at, sent_at)
SELECT id, payload::json->>'to', payload::json->>'subject', payload::json->>'body',
       CASE state WHEN 'done' THEN 'sent' ELSE state END,
       attempts, next_attempt_at, leased_until, last_error, created_at, finished_at
FROM jobs WHERE kind = 'mail';
SELECT setval(pg_get_serial_sequence('outbox', 'id'), GREATEST((SELECT max(id) FROM outbox), 1));
DROP TABLE jobs;
