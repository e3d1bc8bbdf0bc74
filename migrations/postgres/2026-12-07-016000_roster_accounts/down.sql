DROP INDEX roster_member;
DROP INDEX roster_union_accounts;
ALTER TABLE roster DROP COLUMN member_id;
