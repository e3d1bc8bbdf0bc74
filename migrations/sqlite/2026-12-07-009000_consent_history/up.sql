-- A member's consent history (PIPL): each acceptance and each withdrawal, never rewritten. The
-- consents given before it existed become its first rows.
CREATE TABLE member_consents (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id      TEXT NOT NULL REFERENCES members (id),
    policy_version TEXT NOT NULL,
    action         TEXT NOT NULL CHECK (action IN ('given', 'withdrawn')),
    at             TIMESTAMP NOT NULL
);
CREATE INDEX member_consents_member ON member_consents (member_id, id);
INSERT INTO member_consents (member_id, policy_version, action, at)
SELECT id, consent_version, 'given', consent_at FROM members
 WHERE consent_version IS NOT NULL AND consent_at IS NOT NULL
 ORDER BY consent_at;
