-- Improvement plans (kế hoạch nâng cao chỉ số; docs/method.md §7.3–§7.7): a plan of the
-- province (or of a unit, under the province's), its goals, its solution groups, its tasks
-- with one lead agency and any coordinating agencies, what each task targets, and the
-- progress reports units file on their tasks.
CREATE TABLE plans (
    id INTEGER PRIMARY KEY,
    -- the province's plan this unit plan serves
    parent_id BIGINT REFERENCES plans (id),
    -- whose plan it is: the province, a department, a commune, the UBND office
    owner_unit_id BIGINT NOT NULL REFERENCES org_units (id),
    -- the published campaign it was drafted from, if any
    campaign_id BIGINT REFERENCES campaigns (id),
    year BIGINT NOT NULL,
    title TEXT NOT NULL,
    -- the document: "1886/KH-UBND", its date, issuer and signer
    doc_number TEXT,
    doc_date DATE,
    issuer TEXT,
    signer TEXT,
    -- the documents it implements, one per line ("Thông báo 257-TB/TU")
    implements TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX ix_plans_owner ON plans (owner_unit_id, year);

CREATE TABLE plan_goals (
    id INTEGER PRIMARY KEY,
    plan_id BIGINT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    -- as the plan writes it ("PAR INDEX: nhóm 10 tỉnh dẫn đầu"), and as read
    text TEXT NOT NULL,
    index_id TEXT NOT NULL,
    target_kind TEXT NOT NULL CHECK (target_kind IN ('top', 'at_least')),
    target_value REAL NOT NULL,
    -- the year of the results it is checked against
    year BIGINT NOT NULL
);

CREATE TABLE plan_groups (
    id INTEGER PRIMARY KEY,
    plan_id BIGINT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    title TEXT NOT NULL,
    -- the index the group works on (par, sipas, papi…), if one
    index_id TEXT
);

CREATE TABLE plan_tasks (
    id INTEGER PRIMARY KEY,
    plan_id BIGINT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    group_id BIGINT REFERENCES plan_groups (id) ON DELETE SET NULL,
    -- the provincial task a unit's task serves
    serves_task_id BIGINT REFERENCES plan_tasks (id),
    position BIGINT NOT NULL,
    title TEXT NOT NULL,
    product TEXT NOT NULL DEFAULT '',
    -- domain::plan::Deadline::as_code: 2026-12-20, yearly:20/12, quarterly:15, ongoing…
    deadline TEXT NOT NULL,
    priority BIGINT NOT NULL DEFAULT 2 CHECK (priority BETWEEN 1 AND 3),
    status TEXT NOT NULL DEFAULT 'not_started' CHECK (status IN ('not_started', 'in_progress',
        'awaiting_acceptance', 'done', 'paused', 'cancelled')),
    status_reason TEXT,
    lead_unit_id BIGINT NOT NULL REFERENCES org_units (id),
    -- a division of the lead unit (phòng, ban, trung tâm)
    division TEXT,
    -- no due date before this day counts against the task
    assigned_on DATE NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX ix_plan_tasks_plan ON plan_tasks (plan_id, position);
CREATE INDEX ix_plan_tasks_lead ON plan_tasks (lead_unit_id);

CREATE TABLE plan_task_coordinators (
    task_id BIGINT NOT NULL REFERENCES plan_tasks (id) ON DELETE CASCADE,
    unit_id BIGINT NOT NULL REFERENCES org_units (id),
    PRIMARY KEY (task_id, unit_id)
);
CREATE INDEX ix_plan_task_coordinators_unit ON plan_task_coordinators (unit_id);

-- What a task is meant to lift: a leaf or area of a campaign's framework, a survey factor or
-- item, a dimension of a national index.
CREATE TABLE plan_task_targets (
    id INTEGER PRIMARY KEY,
    task_id BIGINT NOT NULL REFERENCES plan_tasks (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('leaf', 'area', 'factor', 'item', 'dimension')),
    -- par, sipas, papi…
    index_id TEXT NOT NULL,
    code TEXT NOT NULL,
    -- why the draft proposed it ("mất 1,5 điểm; 12/20 đơn vị đạt tối đa")
    note TEXT NOT NULL DEFAULT ''
);

CREATE TABLE plan_task_reports (
    id INTEGER PRIMARY KEY,
    task_id BIGINT NOT NULL REFERENCES plan_tasks (id) ON DELETE CASCADE,
    -- the reporting unit: the lead, or a coordinator's contribution
    unit_id BIGINT NOT NULL REFERENCES org_units (id),
    -- domain::plan::Period::as_code: 2026-Q4, 2026-H1, 2026
    period TEXT NOT NULL,
    percent BIGINT NOT NULL CHECK (percent BETWEEN 0 AND 100),
    narrative TEXT NOT NULL,
    filed_on DATE NOT NULL,
    author_id BIGINT,
    author_name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX ix_plan_task_reports_task ON plan_task_reports (task_id, filed_on);
