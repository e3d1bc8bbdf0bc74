-- The account bound to a roster row (the member whose real name and 身份证 number match it), kept on
-- the row so a report counts a part of the tree's activated members from the roster alone, by
-- index, instead of matching every account against the roster. Written where the match changes:
-- a binding, a join's approval, an import that changes the row's name, an erasure.
ALTER TABLE roster ADD COLUMN member_id TEXT;
UPDATE roster SET member_id = (
    SELECT m.id FROM members m
     WHERE m.id_index = roster.id_index AND m.name_index = roster.name_index AND m.erased_at IS NULL
     LIMIT 1);
CREATE INDEX roster_union_accounts ON roster (union_org_code, status, member_id);
CREATE INDEX roster_member ON roster (member_id);
