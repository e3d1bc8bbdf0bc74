-- Wrong confirmation codes against the pending address: its code is burned at five.
ALTER TABLE members ADD COLUMN email_code_tries INTEGER NOT NULL DEFAULT 0;
