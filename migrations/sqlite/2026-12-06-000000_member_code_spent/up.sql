-- A member code is spent at its first verify or sale, like a card's code: a screenshot passed
-- around buys nothing more.
ALTER TABLE member_codes ADD COLUMN used_at TIMESTAMP;
