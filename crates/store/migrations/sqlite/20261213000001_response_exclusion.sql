-- A response excluded from the index by the secretariat (issue 13): kept with the time, the
-- reason and who excluded it, and left out of the counters (moved in the same transaction as
-- the change, surveys::microdata) and of recompute_counters. Restoring clears the three
-- columns. The partial index keeps "n excluded" per wave cheap: most rows are never excluded.
ALTER TABLE responses ADD COLUMN excluded_at TEXT;
ALTER TABLE responses ADD COLUMN excluded_reason TEXT;
ALTER TABLE responses ADD COLUMN excluded_by TEXT;
CREATE INDEX ix_responses_excluded ON responses (wave_id, unit_id) WHERE excluded_at IS NOT NULL;
