-- Staff find people on the roster by the first characters of a name or the last four digits of a
-- phone. Both are sealed, so the rows keep keyed digests of them (a name's first character and
-- first two, a phone's last four) to match by. Rows from before are filled in by the job loop
-- (it opens the names and phones a batch at a time): NULL means not yet.
ALTER TABLE roster ADD COLUMN name_head_index TEXT;
ALTER TABLE roster ADD COLUMN name_head2_index TEXT;
ALTER TABLE members ADD COLUMN phone_tail_index TEXT;
-- Pages are cut in roster order: a match is read off the index in that order, and stops at the page.
CREATE INDEX roster_name_head ON roster (name_head_index, id);
CREATE INDEX roster_name_head2 ON roster (name_head2_index, id);
CREATE INDEX members_phone_tail ON members (phone_tail_index);
CREATE INDEX roster_unsearchable ON roster (id) WHERE name_head_index IS NULL;
CREATE INDEX members_unsearchable ON members (id) WHERE phone_tail_index IS NULL AND phone_cipher IS NOT NULL;
-- The roster of a part of the tree in roster order, for a search of everyone in it.
CREATE INDEX roster_union_order ON roster (union_org_code, id);
