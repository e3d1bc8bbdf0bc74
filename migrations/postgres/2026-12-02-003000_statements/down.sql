DROP TABLE settlement_statements;
