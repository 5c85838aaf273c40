-- A province's values across every index and year are read by code (the national indices'
-- leadership page and trends, docs/method.md §5.7): an index on the code, then the year.
CREATE INDEX ix_index_values_unit ON index_values (unit_code, year_id);
