-- SQLite has one writer and no row locks: its foreign keys cost the feed nothing and stay.
SELECT 1;
