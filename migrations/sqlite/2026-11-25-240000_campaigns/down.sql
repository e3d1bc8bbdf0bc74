DROP TABLE ledger;
DROP TABLE claims;
DROP TABLE gifts;
DROP TABLE campaigns;
