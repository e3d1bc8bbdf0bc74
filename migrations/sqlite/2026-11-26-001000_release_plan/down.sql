ALTER TABLE gifts DROP COLUMN release_plan;
