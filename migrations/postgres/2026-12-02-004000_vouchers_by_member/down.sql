CREATE INDEX claims_member ON claims (member_id);
DROP INDEX claims_member_newest;
