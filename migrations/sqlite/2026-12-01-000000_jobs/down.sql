DROP TRIGGER outbox_to_jobs;
INSERT INTO outbox (id, recipient, subject, body, status, attempts, next_attempt_at, leased_until, last_error,
                    created_at, sent_at)
SELECT id, json_extract(payload, '$.to'), json_extract(payload, '$.subject'), json_extract(payload, '$.body'),
       CASE state WHEN 'done' THEN 'sent' ELSE state END,
       attempts, next_attempt_at, leased_until, last_error, created_at, finished_at
FROM jobs WHERE kind = 'mail';
DROP TABLE jobs;
