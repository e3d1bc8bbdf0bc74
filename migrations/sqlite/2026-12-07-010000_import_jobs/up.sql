-- Imports running on their own, detached from the upload's request: their progress for staff to
-- poll, then the report and the rejected rows (kept a week: they hold names and ID numbers).
CREATE TABLE import_jobs (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('roster', 'unions')),
    started_by    TEXT NOT NULL REFERENCES admin_users (id),
    dry_run       BOOLEAN NOT NULL,
    rows_read     BIGINT NOT NULL DEFAULT 0,
    accepted      BIGINT NOT NULL DEFAULT 0,
    rejected      BIGINT NOT NULL DEFAULT 0,
    inserted      BIGINT NOT NULL DEFAULT 0,
    updated       BIGINT NOT NULL DEFAULT 0,
    unchanged     BIGINT NOT NULL DEFAULT 0,
    started_at    TIMESTAMP NOT NULL,
    alive_at      TIMESTAMP NOT NULL,
    finished_at   TIMESTAMP,
    report        TEXT,
    problem       TEXT,
    rejected_rows TEXT
);
CREATE INDEX import_jobs_alive ON import_jobs (alive_at);
