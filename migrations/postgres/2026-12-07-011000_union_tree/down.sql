DROP INDEX roster_union;
DROP TABLE union_employers;
DROP TABLE union_nodes;
