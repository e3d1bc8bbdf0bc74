-- When each gift's stock is released: waves and/or a daily cap, as JSON (empty: all at once).
ALTER TABLE gifts ADD COLUMN release_plan TEXT NOT NULL DEFAULT '';
