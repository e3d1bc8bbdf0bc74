-- A campaign, and a pickup point, may belong to a part of the union tree: the campaign is then for
-- the members of the unions under that node, and both are seen and run only by staff whose scope
-- holds it. NULL: the whole federation's (every row from before).
ALTER TABLE campaigns ADD COLUMN scope_code TEXT REFERENCES union_nodes (code);
ALTER TABLE pickup_points ADD COLUMN scope_code TEXT REFERENCES union_nodes (code);
