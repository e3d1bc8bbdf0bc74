-- Service windows (服务窗口): kinds of case staff configure, the cases members open, everything
-- that happens to each (the thread, staff's notes, steps, escalations), the files attached, and
-- every read of a case by staff. What a member wrote and the names of their files are sealed
-- like the ID numbers; the files themselves are sealed in the file store.
CREATE TABLE service_kinds (
    code        TEXT PRIMARY KEY NOT NULL,
    category    TEXT NOT NULL CHECK (category IN ('consultation', 'application', 'complaint')),
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    -- The form, the attachment slots, the eligibility and the money rule, as JSON.
    spec        TEXT NOT NULL,
    accept_days INTEGER NOT NULL CHECK (accept_days BETWEEN 1 AND 60),
    answer_days INTEGER NOT NULL CHECK (answer_days BETWEEN 1 AND 60),
    active      BOOLEAN NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

CREATE TABLE service_cases (
    seq            BIGSERIAL PRIMARY KEY,
    id             TEXT NOT NULL UNIQUE,
    kind_code      TEXT NOT NULL REFERENCES service_kinds (code),
    member_id      TEXT NOT NULL REFERENCES members (id),
    union_code     TEXT NOT NULL REFERENCES union_nodes (code),
    queue_code     TEXT NOT NULL REFERENCES union_nodes (code),
    state          TEXT NOT NULL CHECK (state IN ('submitted', 'returned', 'accepted', 'answered', 'approved',
                                                  'refused', 'closed', 'withdrawn', 'reopened')),
    assignee       TEXT,
    answers_cipher TEXT NOT NULL,
    submitted_at   TIMESTAMP NOT NULL,
    due_at         TIMESTAMP,
    -- The queue's order: the deadline while the clock runs, far in the future otherwise.
    queue_rank     TIMESTAMP NOT NULL,
    escalations    INTEGER NOT NULL DEFAULT 0,
    late           BOOLEAN NOT NULL DEFAULT FALSE,
    amount_fen     BIGINT CHECK (amount_fen > 0),
    resolved_at    TIMESTAMP,
    closed_at      TIMESTAMP,
    updated_at     TIMESTAMP NOT NULL
);
CREATE INDEX service_cases_queue ON service_cases (queue_rank, seq);
CREATE INDEX service_cases_union ON service_cases (union_code, queue_rank, seq);
CREATE INDEX service_cases_member ON service_cases (member_id, seq);
CREATE INDEX service_cases_due ON service_cases (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX service_cases_state ON service_cases (state, seq);

CREATE TABLE service_case_events (
    id          BIGSERIAL PRIMARY KEY,
    case_seq    BIGINT NOT NULL REFERENCES service_cases (seq),
    kind        TEXT NOT NULL,
    -- 'member', 'system', or the staff member's username.
    author      TEXT NOT NULL,
    by_staff    BOOLEAN NOT NULL,
    at          TIMESTAMP NOT NULL,
    body_cipher TEXT,
    -- Whom it was assigned to, where it escalated to, the amount approved, the score given.
    detail      TEXT
);
CREATE INDEX service_case_events_case ON service_case_events (case_seq, id);

CREATE TABLE service_attachments (
    id          TEXT PRIMARY KEY NOT NULL,
    case_seq    BIGINT NOT NULL REFERENCES service_cases (seq),
    event_id    BIGINT REFERENCES service_case_events (id),
    slot        TEXT NOT NULL,
    name_cipher TEXT NOT NULL,
    file_type   TEXT NOT NULL CHECK (file_type IN ('pdf', 'jpeg', 'png')),
    bytes       BIGINT NOT NULL CHECK (bytes > 0),
    sha256      TEXT NOT NULL,
    at          TIMESTAMP NOT NULL
);
CREATE INDEX service_attachments_case ON service_attachments (case_seq);

CREATE TABLE service_case_reads (
    id       BIGSERIAL PRIMARY KEY,
    case_seq BIGINT NOT NULL REFERENCES service_cases (seq),
    staff    TEXT NOT NULL,
    at       TIMESTAMP NOT NULL,
    -- 'case', or the id of the attachment read.
    what     TEXT NOT NULL
);
CREATE INDEX service_case_reads_case ON service_case_reads (case_seq, id);

-- Caseworkers: staff who work on cases in their part of the tree, nothing else.
ALTER TABLE admin_users DROP CONSTRAINT admin_users_role_check;
ALTER TABLE admin_users ADD CONSTRAINT admin_users_role_check
    CHECK (role IN ('admin', 'operator', 'auditor', 'pickup_operator', 'union_officer', 'caseworker'));
