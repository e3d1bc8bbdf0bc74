-- Our id of the request and the client's, apart: a client's X-Request-Id is theirs to choose.
ALTER TABLE audit_log ADD COLUMN client_request_id TEXT;
