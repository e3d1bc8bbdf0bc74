-- A member's vouchers are paged newest first by their time-ordered id: one index walk per page.
CREATE INDEX claims_member_newest ON claims (member_id, id);
DROP INDEX claims_member;
