-- The union fund's side of service windows: a yearly budget per kind of case and union (a hard cap
-- approvals draw on, from the nearest union at or above the case's that has one), and the payouts
-- approvals make, due until the bank (or staff) marks them paid. A payout's `once_key` is what its
-- kind allows once (a person in a year, a child in a school year): unique per kind, so two
-- approvals at once cannot both pay it.
CREATE TABLE service_budgets (
    kind_code  TEXT NOT NULL REFERENCES service_kinds (code),
    union_code TEXT NOT NULL REFERENCES union_nodes (code),
    year       INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    cap_fen    BIGINT NOT NULL CHECK (cap_fen >= 0),
    spent_fen  BIGINT NOT NULL DEFAULT 0 CHECK (spent_fen >= 0 AND spent_fen <= cap_fen),
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (kind_code, union_code, year)
);

CREATE TABLE service_payouts (
    id          TEXT PRIMARY KEY NOT NULL,
    case_seq    BIGINT NOT NULL UNIQUE REFERENCES service_cases (seq),
    kind_code   TEXT NOT NULL REFERENCES service_kinds (code),
    budget_code TEXT NOT NULL REFERENCES union_nodes (code),
    year        INTEGER NOT NULL,
    member_id   TEXT NOT NULL REFERENCES members (id),
    amount_fen  BIGINT NOT NULL CHECK (amount_fen > 0),
    funder      TEXT NOT NULL DEFAULT 'union' CHECK (funder = 'union'),
    once_key    TEXT,
    state       TEXT NOT NULL CHECK (state IN ('due', 'paid')),
    created_at  TIMESTAMP NOT NULL,
    paid_at     TIMESTAMP,
    paid_by     TEXT,
    bank_ref    TEXT
);
CREATE UNIQUE INDEX service_payouts_once ON service_payouts (kind_code, once_key) WHERE once_key IS NOT NULL;
CREATE INDEX service_payouts_state ON service_payouts (state, created_at);
CREATE INDEX service_payouts_budget ON service_payouts (kind_code, budget_code, year);

-- Follow-up (跟踪回访): the member's score of a closed case, and when they were reminded to give it.
ALTER TABLE service_cases ADD COLUMN score INTEGER CHECK (score BETWEEN 1 AND 5);
ALTER TABLE service_cases ADD COLUMN reminded_at TIMESTAMP;
CREATE INDEX service_cases_follow_up ON service_cases (closed_at) WHERE score IS NULL AND reminded_at IS NULL;
