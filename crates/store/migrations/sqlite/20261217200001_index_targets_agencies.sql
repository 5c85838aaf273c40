-- The secretariat's side of the national indices (docs/method.md §5.8): a file uploaded for
-- import, held between its preview and the confirmation; the province's targets per index and
-- year with the document that set them; the agencies responsible for each dimension or
-- sub-dimension of an index.

-- A file waiting for its confirmation: its bytes and the form's choices, the uploader's only.
-- The confirmation reads the file from here, never from what the browser sends again.
CREATE TABLE index_uploads (
    id TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    file_name TEXT NOT NULL,
    content BLOB NOT NULL,
    -- the index chosen on the form, or none (recognised from the file)
    index_choice TEXT,
    -- the year of a one-sheet table whose sheet and title give none
    year BIGINT,
    publisher TEXT,
    document TEXT,
    published_on DATE,
    url TEXT,
    -- the versions in force the preview compared with, as JSON ({"2016": 12, "2023": null})
    expected TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX ix_index_uploads_created ON index_uploads (created_at);

-- A target of the province for one index and year: "nhóm 10 tỉnh dẫn đầu", "≥ 90 %".
CREATE TABLE index_targets (
    id INTEGER PRIMARY KEY,
    index_id TEXT NOT NULL,
    year BIGINT NOT NULL,
    -- as the document writes it; read with the goals' rules (docs/method.md §7.7)
    target TEXT NOT NULL,
    -- the document that set it ("QĐ 3248/QĐ-UBND")
    document TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX ix_index_targets_index ON index_targets (index_id, year);

-- One item (dimension, sub-dimension or component) of an index's structure and the agencies
-- responsible for it: units of the system, or every current unit of a kind ("các xã, phường").
CREATE TABLE index_agency_items (
    id INTEGER PRIMARY KEY,
    index_id TEXT NOT NULL,
    structure_id TEXT NOT NULL,
    measure TEXT NOT NULL,
    CONSTRAINT uq_index_agency_items UNIQUE (structure_id, measure)
);
CREATE INDEX ix_index_agency_items_index ON index_agency_items (index_id);

CREATE TABLE index_agencies (
    id INTEGER PRIMARY KEY,
    item_id BIGINT NOT NULL REFERENCES index_agency_items (id),
    unit_id BIGINT REFERENCES org_units (id),
    unit_kind TEXT,
    CHECK ((unit_id IS NULL) <> (unit_kind IS NULL))
);
CREATE UNIQUE INDEX uq_index_agencies_unit ON index_agencies (item_id, unit_id) WHERE unit_id IS NOT NULL;
CREATE UNIQUE INDEX uq_index_agencies_kind ON index_agencies (item_id, unit_kind) WHERE unit_kind IS NOT NULL;
