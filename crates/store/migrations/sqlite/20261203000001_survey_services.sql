-- Services of a wave unit (issue 5, SQLite; the PostgreSQL migration of the same version does
-- the same): the administrative procedures a unit's counter handles, each with the
-- transactions N it declares and the target sample computed from it. A response may name its
-- service; the counters gain the service as a key (0 = none), so a unit's figures are the sum
-- over its services and a service's are one slice of them. SQLite cannot change a primary
-- key in place: the counter tables are rebuilt with their rows.
CREATE TABLE wave_services (
    id INTEGER PRIMARY KEY,
    wave_id INTEGER NOT NULL,
    unit_id INTEGER NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    transactions BIGINT CHECK (transactions >= 0),
    target_sample BIGINT,
    created_at TEXT NOT NULL,
    FOREIGN KEY (wave_id, unit_id) REFERENCES wave_units (wave_id, unit_id) ON DELETE CASCADE,
    CONSTRAINT uq_wave_services_code UNIQUE (wave_id, unit_id, code)
);

ALTER TABLE responses ADD COLUMN service_id BIGINT REFERENCES wave_services (id);
ALTER TABLE survey_tokens ADD COLUMN service_id BIGINT REFERENCES wave_services (id);

CREATE TABLE response_stats_new (
    wave_id INTEGER NOT NULL,
    unit_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    service_id INTEGER NOT NULL DEFAULT 0,
    n BIGINT NOT NULL,
    weight_sum DOUBLE PRECISION NOT NULL,
    weight_sq_sum DOUBLE PRECISION NOT NULL,
    flagged BIGINT NOT NULL,
    expectations_n BIGINT NOT NULL,
    expectations_weight_sum DOUBLE PRECISION NOT NULL,
    expectations_weight_sq_sum DOUBLE PRECISION NOT NULL,
    comments BIGINT NOT NULL,
    PRIMARY KEY (wave_id, unit_id, channel, service_id)
) WITHOUT ROWID;
INSERT INTO response_stats_new (wave_id, unit_id, channel, service_id, n, weight_sum, weight_sq_sum, flagged,
    expectations_n, expectations_weight_sum, expectations_weight_sq_sum, comments)
    SELECT wave_id, unit_id, channel, 0, n, weight_sum, weight_sq_sum, flagged,
    expectations_n, expectations_weight_sum, expectations_weight_sq_sum, comments FROM response_stats;
DROP TABLE response_stats;
ALTER TABLE response_stats_new RENAME TO response_stats;

CREATE TABLE answer_stats_new (
    wave_id INTEGER NOT NULL,
    unit_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    service_id INTEGER NOT NULL DEFAULT 0,
    item INTEGER NOT NULL,
    value INTEGER NOT NULL,
    n BIGINT NOT NULL,
    weight_sum DOUBLE PRECISION NOT NULL,
    weight_sq_sum DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (wave_id, unit_id, channel, service_id, item, value)
) WITHOUT ROWID;
INSERT INTO answer_stats_new (wave_id, unit_id, channel, service_id, item, value, n, weight_sum, weight_sq_sum)
    SELECT wave_id, unit_id, channel, 0, item, value, n, weight_sum, weight_sq_sum FROM answer_stats;
DROP TABLE answer_stats;
ALTER TABLE answer_stats_new RENAME TO answer_stats;

CREATE TABLE demographic_stats_new (
    wave_id INTEGER NOT NULL,
    unit_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    service_id INTEGER NOT NULL DEFAULT 0,
    question INTEGER NOT NULL,
    value INTEGER NOT NULL,
    n BIGINT NOT NULL,
    weight_sum DOUBLE PRECISION NOT NULL,
    weight_sq_sum DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (wave_id, unit_id, channel, service_id, question, value)
) WITHOUT ROWID;
INSERT INTO demographic_stats_new (wave_id, unit_id, channel, service_id, question, value, n, weight_sum, weight_sq_sum)
    SELECT wave_id, unit_id, channel, 0, question, value, n, weight_sum, weight_sq_sum FROM demographic_stats;
DROP TABLE demographic_stats;
ALTER TABLE demographic_stats_new RENAME TO demographic_stats;

CREATE TABLE expectation_stats_new (
    wave_id INTEGER NOT NULL,
    unit_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    service_id INTEGER NOT NULL DEFAULT 0,
    area INTEGER NOT NULL,
    n BIGINT NOT NULL,
    weight_sum DOUBLE PRECISION NOT NULL,
    weight_sq_sum DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (wave_id, unit_id, channel, service_id, area)
) WITHOUT ROWID;
INSERT INTO expectation_stats_new (wave_id, unit_id, channel, service_id, area, n, weight_sum, weight_sq_sum)
    SELECT wave_id, unit_id, channel, 0, area, n, weight_sum, weight_sq_sum FROM expectation_stats;
DROP TABLE expectation_stats;
ALTER TABLE expectation_stats_new RENAME TO expectation_stats;
