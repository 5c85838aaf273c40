-- Districts (huyện, quận, thị xã, thành phố thuộc tỉnh) as a unit kind: the middle level
-- until 30/6/2025, for the 2019–2024 campaigns and the communes' lineage (docs/method.md §6).
-- SQLite cannot change a CHECK in place, so the table is rebuilt: its rows are copied aside,
-- the table is dropped and created again, and the rows go back with their ids. The migration
-- runs in one transaction, where foreign keys cannot be switched off; they are deferred to the
-- commit instead, by when every unit id referenced elsewhere exists again (SQLite counts the
-- references the drop leaves dangling and the re-inserted rows resolve them). No reference to
-- org_units has an ON DELETE action, so the drop changes no other row.
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE org_units_copy AS SELECT * FROM org_units;
DROP TABLE org_units;
CREATE TABLE org_units (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    -- lowercase, without diacritics, đ → d: searched with LIKE on both backends
    name_search TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('nation', 'province', 'department', 'district', 'commune', 'ministry')),
    parent_id INTEGER REFERENCES org_units (id),
    region TEXT,
    valid_from DATE NOT NULL DEFAULT '1900-01-01',
    valid_to DATE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT uq_org_units_code_period UNIQUE (code, valid_from)
);
CREATE INDEX ix_org_units_parent ON org_units (parent_id);
INSERT INTO org_units (id, code, name, name_search, kind, parent_id, region, valid_from,
                       valid_to, created_at, updated_at)
    SELECT id, code, name, name_search, kind, parent_id, region, valid_from, valid_to,
           created_at, updated_at
    FROM org_units_copy ORDER BY id;
DROP TABLE org_units_copy;
