DROP TABLE roster;
DROP TABLE refresh_tokens;
DROP TABLE members;
