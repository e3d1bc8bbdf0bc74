-- The union's organisation tree. A node's place is its materialised path, the codes from the root
-- down ('/ROOT/SZ-SIP/…/CODE/'): its subtree is one range of an indexed column, on both backends.
-- The roster's union codes become nodes: the root is made here (staff give it the federation's
-- code and name), and every code the roster holds becomes a grassroots union under it, flagged
-- unplaced until staff put it where it belongs.
CREATE TABLE union_nodes (
    id          BIGSERIAL PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('city', 'district', 'town', 'industry', 'grassroots', 'joint')),
    parent_code TEXT REFERENCES union_nodes (code),
    path        TEXT COLLATE "C" NOT NULL UNIQUE,
    unplaced    BOOLEAN NOT NULL DEFAULT FALSE,
    closed_at   TIMESTAMP,
    merged_into TEXT REFERENCES union_nodes (code),
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX union_nodes_parent ON union_nodes (parent_code);
-- The one root.
CREATE UNIQUE INDEX union_nodes_root ON union_nodes ((parent_code IS NULL)) WHERE parent_code IS NULL;

CREATE TABLE union_employers (
    union_code TEXT NOT NULL REFERENCES union_nodes (code),
    position   INTEGER NOT NULL,
    name       TEXT NOT NULL,
    PRIMARY KEY (union_code, position)
);
CREATE INDEX union_employers_name ON union_employers (name);

INSERT INTO union_nodes (code, name, kind, parent_code, path, unplaced, created_at, updated_at)
VALUES ('ROOT', '市总工会', 'city', NULL, '/ROOT/', FALSE, (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC'));

UPDATE roster SET union_org_code = UPPER(TRIM(union_org_code)) WHERE union_org_code <> UPPER(TRIM(union_org_code));

INSERT INTO union_nodes (code, name, kind, parent_code, path, unplaced, created_at, updated_at)
SELECT code, name, 'grassroots', 'ROOT', '/ROOT/' || code || '/', TRUE, (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC')
  FROM (SELECT union_org_code AS code, MIN(union_org_name) AS name FROM roster GROUP BY union_org_code) held
 WHERE code <> 'ROOT' AND code <> '' AND code NOT LIKE '%/%';

CREATE INDEX roster_union ON roster (union_org_code, status);
