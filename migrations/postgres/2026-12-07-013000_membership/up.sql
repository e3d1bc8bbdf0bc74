-- Membership online: applications to join, transfer or leave, decided within a time limit counted
-- in working days; the membership history they write; member numbers given per federation.
CREATE TABLE applications (
    seq BIGSERIAL PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL CHECK (kind IN ('join', 'transfer', 'leave')),
    state           TEXT NOT NULL CHECK (state IN ('open', 'approved', 'refused', 'withdrawn')),
    member_id       TEXT NOT NULL REFERENCES members (id),
    -- A join by someone whose account has no real name bound: the name and ID number they gave,
    -- sealed and indexed like the members table's; bound to the account when approved.
    id_index        TEXT,
    name_index      TEXT,
    name_cipher     TEXT,
    id_cipher       TEXT,
    union_code      TEXT NOT NULL REFERENCES union_nodes (code),
    from_union_code TEXT REFERENCES union_nodes (code),
    employer        TEXT,
    position        TEXT,
    started_on      DATE,
    reason          TEXT,
    consented_at    TIMESTAMP,
    queue_code      TEXT NOT NULL REFERENCES union_nodes (code),
    escalations     INTEGER NOT NULL DEFAULT 0,
    submitted_at    TIMESTAMP NOT NULL,
    limit_from      TIMESTAMP NOT NULL,
    due_at          TIMESTAMP NOT NULL,
    decided_at      TIMESTAMP,
    decided_by      TEXT,
    decision_note   TEXT,
    decided_late    BOOLEAN,
    member_no       TEXT
);
-- One open application per person, whoever sends two at once.
CREATE UNIQUE INDEX applications_one_open ON applications (member_id) WHERE state = 'open';
CREATE UNIQUE INDEX applications_one_open_person ON applications (id_index) WHERE state = 'open';
CREATE INDEX applications_member ON applications (member_id, seq);
CREATE INDEX applications_union ON applications (union_code, seq);
CREATE INDEX applications_from ON applications (from_union_code, seq);
CREATE INDEX applications_due ON applications (due_at) WHERE state = 'open';

CREATE TABLE application_comments (
    id BIGSERIAL PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications (id),
    author         TEXT NOT NULL,
    union_code     TEXT,
    body           TEXT NOT NULL,
    at             TIMESTAMP NOT NULL
);
CREATE INDEX application_comments_of ON application_comments (application_id, id);

-- Which union a person belonged to, from when to when; keyed like the roster, by the ID number's
-- blind index. A roster row without any is one spell, from when it was first imported.
CREATE TABLE memberships (
    id BIGSERIAL PRIMARY KEY,
    id_index    TEXT NOT NULL,
    union_code  TEXT NOT NULL,
    member_no   TEXT NOT NULL,
    started_at  TIMESTAMP NOT NULL,
    began       TEXT NOT NULL,
    ended_at    TIMESTAMP,
    ended       TEXT
);
CREATE INDEX memberships_person ON memberships (id_index, id);

-- The last member number each federation gave; its row is the lock concurrent approvals queue on.
CREATE TABLE member_numbers (
    federation_code TEXT PRIMARY KEY REFERENCES union_nodes (code),
    last            BIGINT NOT NULL
);
CREATE INDEX roster_member_no ON roster (member_no);

-- The days that differ from their weekday: public holidays, and weekend days worked instead (调休).
CREATE TABLE calendar_days (
    day  DATE PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday'))
);

-- Working days each kind of application may wait; a kind without a row has the default (5).
CREATE TABLE decision_limits (
    kind         TEXT PRIMARY KEY CHECK (kind IN ('join', 'transfer', 'leave')),
    working_days INTEGER NOT NULL
);

-- Bulk moves of members run as import jobs too.
ALTER TABLE import_jobs DROP CONSTRAINT import_jobs_kind_check;
ALTER TABLE import_jobs ADD CONSTRAINT import_jobs_kind_check CHECK (kind IN ('roster', 'unions', 'moves'));
