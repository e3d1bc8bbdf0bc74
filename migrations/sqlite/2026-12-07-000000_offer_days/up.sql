-- Daily limits count per (offer, member, Beijing day): uses dated out of order (a bank's T+1
-- transaction, a sale priced at 23:59:59 committing after one at 00:00) each land on their own
-- day. The (offer, member) row keeps the total and stays the lock every writer of either takes
-- first, so a day's row is only ever changed under it.
CREATE TABLE offer_day_usage (
    offer_id   TEXT NOT NULL REFERENCES offers (id),
    member_id  TEXT NOT NULL REFERENCES members (id),
    day        DATE NOT NULL,
    used       INTEGER NOT NULL,
    -- The offer's daily limit the last use was counted under: the database itself refuses a
    -- use past it, whichever statement counts it.
    day_limit  INTEGER,
    PRIMARY KEY (offer_id, member_id, day),
    CONSTRAINT offer_day_usage_within_limit CHECK (used >= 0 AND (day_limit IS NULL OR used <= day_limit))
);
INSERT INTO offer_day_usage (offer_id, member_id, day, used)
    SELECT offer_id, member_id, day, day_used FROM offer_usage WHERE day_used > 0;
ALTER TABLE offer_usage DROP COLUMN day;
ALTER TABLE offer_usage DROP COLUMN day_used;
ALTER TABLE offer_usage ADD COLUMN total_limit INTEGER;
-- SQLite adds no constraint to a table: its one writer counts under the limits it reads.

-- An offer's statuses with the instant each began: a card transaction reported days later is
-- judged by the offer as it stood when the purchase happened.
CREATE TABLE offer_status_log (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    offer_id  TEXT NOT NULL REFERENCES offers (id),
    status    TEXT NOT NULL CHECK (status IN ('draft', 'published', 'paused', 'expired')),
    since     TIMESTAMP NOT NULL
);
CREATE INDEX offer_status_log_by_offer ON offer_status_log (offer_id, since);
INSERT INTO offer_status_log (offer_id, status, since) SELECT id, 'draft', created_at FROM offers;
INSERT INTO offer_status_log (offer_id, status, since)
    SELECT id, status, updated_at FROM offers WHERE status <> 'draft';
