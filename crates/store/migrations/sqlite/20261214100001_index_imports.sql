-- Published results of national indices (PAPI, PAR INDEX, SIPAS, PCI…; docs/formats.md §7),
-- imported as published. An import is one file (or the bundled figures) with its source; it
-- brings one or more years of one index. A year of an index is held by the latest import that
-- brought it: the year it replaces stays, marked replaced, with its values (history).
CREATE TABLE index_imports (
    id INTEGER PRIMARY KEY,
    index_id TEXT NOT NULL,
    file_name TEXT NOT NULL,
    -- the source: who published the figures, in which document, on which date, where
    publisher TEXT,
    document TEXT,
    published_on DATE,
    url TEXT,
    imported_at TEXT NOT NULL,
    actor_id BIGINT REFERENCES users (id),
    actor_name TEXT NOT NULL,
    -- the reader's warnings, as a JSON array (each with its sheet, row, column and kind)
    warnings TEXT NOT NULL
);
CREATE INDEX ix_index_imports_index ON index_imports (index_id);

CREATE TABLE index_years (
    id INTEGER PRIMARY KEY,
    import_id BIGINT NOT NULL REFERENCES index_imports (id),
    index_id TEXT NOT NULL,
    year BIGINT NOT NULL,
    structure_id TEXT NOT NULL,
    -- every unit the index ranks is listed (ranks and groups computed), or a partial year
    complete BOOLEAN NOT NULL,
    -- the rows without a unit's result, and the figures of no single unit, as JSON arrays
    skipped TEXT NOT NULL,
    summaries TEXT NOT NULL,
    -- the year in force: one per index and year
    current BOOLEAN NOT NULL,
    -- the year of the later import that replaced this one
    replaced_by BIGINT REFERENCES index_years (id)
);
CREATE UNIQUE INDEX uq_index_years_current ON index_years (index_id, year) WHERE current;
CREATE INDEX ix_index_years_import ON index_years (import_id);

-- One value of one unit: the total (with its rank and group) or a dimension, sub-dimension
-- or component (with the dimension's rank).
CREATE TABLE index_values (
    id INTEGER PRIMARY KEY,
    year_id BIGINT NOT NULL REFERENCES index_years (id),
    unit_code TEXT NOT NULL,
    unit_name TEXT NOT NULL,
    measure TEXT NOT NULL,
    value DOUBLE PRECISION,
    rank BIGINT,
    rank_published BOOLEAN NOT NULL DEFAULT FALSE,
    group_number BIGINT,
    source TEXT,
    CONSTRAINT uq_index_values UNIQUE (year_id, unit_code, measure)
);
