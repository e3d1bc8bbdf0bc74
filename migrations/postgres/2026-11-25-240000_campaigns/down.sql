DROP TABLE ledger;
DROP FUNCTION ledger_is_append_only();
DROP TABLE claims;
DROP TABLE gifts;
DROP TABLE campaigns;
