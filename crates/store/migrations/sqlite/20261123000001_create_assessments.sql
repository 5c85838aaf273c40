-- The assessment workflow (issue 4, PostgreSQL): a sheet per unit and campaign, leaf scores per
-- stage, extensions, appraisal round states, evidence files and links, published results.
-- The PostgreSQL migration of the same version creates the same tables. Points are integer
-- ten-thousandths. Scores refer to framework_nodes ids and never copy the tree.

CREATE TABLE sheets (
    id INTEGER PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    unit_id BIGINT NOT NULL REFERENCES org_units (id),
    framework_id BIGINT NOT NULL REFERENCES frameworks (id),
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'in_appraisal', 'appraised',
        'explanation_requested', 'explanation_submitted', 'finalized')),
    -- the appraisal round the sheet is in or was last in; 0 before appraisal
    current_round BIGINT NOT NULL DEFAULT 0,
    submitted_at TEXT,
    submitted_by TEXT,
    -- progress figures, recomputed in the transaction of every change to the sheet
    leaves_total BIGINT NOT NULL DEFAULT 0,
    leaves_filled BIGINT NOT NULL DEFAULT 0,
    missing_evidence BIGINT NOT NULL DEFAULT 0,
    unexplained BIGINT NOT NULL DEFAULT 0,
    self_total BIGINT NOT NULL DEFAULT 0,
    appraised_total BIGINT NOT NULL DEFAULT 0,
    round_leaves BIGINT NOT NULL DEFAULT 0,
    round_reviewed BIGINT NOT NULL DEFAULT 0,
    flagged BIGINT NOT NULL DEFAULT 0,
    answered BIGINT NOT NULL DEFAULT 0,
    -- optimistic concurrency: every change to the sheet or one of its leaves bumps it
    version BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT uq_sheets_campaign_unit UNIQUE (campaign_id, unit_id)
);
CREATE INDEX ix_sheets_campaign_status ON sheets (campaign_id, status);

-- One row per sheet, leaf and stage: stage 0 is the self-assessment, stage k appraisal round k.
CREATE TABLE leaf_scores (
    id INTEGER PRIMARY KEY,
    sheet_id BIGINT NOT NULL REFERENCES sheets (id) ON DELETE CASCADE,
    node_id BIGINT NOT NULL REFERENCES framework_nodes (id),
    stage BIGINT NOT NULL CHECK (stage >= 0),
    points BIGINT,
    -- the rule's input as JSON ({"on_time_share": 85}) when the points were computed from it
    input TEXT,
    -- stage 0: the unit's explanation
    explanation TEXT,
    -- stage k: the appraiser's comment, the request, and the unit's answer to it
    comment TEXT,
    explanation_requested BOOLEAN NOT NULL DEFAULT FALSE,
    answer TEXT,
    updated_by BIGINT,
    updated_by_name TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    CONSTRAINT uq_leaf_scores_stage UNIQUE (sheet_id, node_id, stage)
);
CREATE INDEX ix_leaf_scores_node ON leaf_scores (node_id);

-- Final points per leaf, written at finalization: the last round's value, else the unit's.
CREATE TABLE final_scores (
    sheet_id BIGINT NOT NULL REFERENCES sheets (id) ON DELETE CASCADE,
    node_id BIGINT NOT NULL REFERENCES framework_nodes (id),
    points BIGINT NOT NULL,
    -- the stage the value comes from (0 = self-assessment)
    stage BIGINT NOT NULL,
    PRIMARY KEY (sheet_id, node_id)
);

-- Extensions (gia hạn) a unit is granted for a stage; granting again replaces the date.
CREATE TABLE extensions (
    id INTEGER PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    unit_id BIGINT NOT NULL REFERENCES org_units (id),
    stage TEXT NOT NULL CHECK (stage IN ('self_assessment', 'explanation')),
    valid_until DATE NOT NULL,
    reason TEXT NOT NULL,
    granted_by BIGINT,
    granted_by_name TEXT NOT NULL,
    granted_at TEXT NOT NULL,
    CONSTRAINT uq_extensions_stage UNIQUE (campaign_id, unit_id, stage)
);

-- Where each appraisal round of a campaign stands (campaign_rounds holds the deadlines and is
-- rewritten while the campaign is a draft, so the states live apart).
CREATE TABLE round_states (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    round_no BIGINT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    opened_at TEXT NOT NULL,
    opened_by_name TEXT NOT NULL,
    closed_at TEXT,
    closed_by_name TEXT,
    PRIMARY KEY (campaign_id, round_no)
);
-- At most one open round per campaign, whatever races.
CREATE UNIQUE INDEX uq_round_states_open ON round_states (campaign_id) WHERE state = 'open';

-- The engine's output at publication, as JSON: what viewers see, frozen.
CREATE TABLE published_results (
    campaign_id BIGINT PRIMARY KEY REFERENCES campaigns (id) ON DELETE CASCADE,
    published_at TEXT NOT NULL,
    published_by BIGINT,
    published_by_name TEXT NOT NULL,
    snapshot TEXT NOT NULL
);

-- Evidence files, stored once per content (SHA-256) in the blob store.
CREATE TABLE evidence_files (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    original_name TEXT NOT NULL,
    uploaded_by BIGINT,
    uploaded_by_name TEXT NOT NULL,
    uploaded_at TEXT NOT NULL,
    CONSTRAINT uq_evidence_files_sha256 UNIQUE (sha256)
);

-- A file attached to a leaf of a sheet at a stage (0 = self-assessment, k = answer to round k).
CREATE TABLE evidence_links (
    id INTEGER PRIMARY KEY,
    sheet_id BIGINT NOT NULL REFERENCES sheets (id) ON DELETE CASCADE,
    node_id BIGINT NOT NULL REFERENCES framework_nodes (id),
    stage BIGINT NOT NULL CHECK (stage >= 0),
    file_id BIGINT NOT NULL REFERENCES evidence_files (id),
    -- the name the uploader gave, sanitized
    file_name TEXT NOT NULL,
    linked_by BIGINT,
    linked_by_name TEXT NOT NULL,
    linked_at TEXT NOT NULL,
    CONSTRAINT uq_evidence_links UNIQUE (sheet_id, node_id, stage, file_id)
);
CREATE INDEX ix_evidence_links_file ON evidence_links (file_id);
