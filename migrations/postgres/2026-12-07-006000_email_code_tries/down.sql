ALTER TABLE members DROP COLUMN email_code_tries;
