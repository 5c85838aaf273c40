-- What finalize decided for a sheet that was not appraised as usual (docs/method.md §2.5, the
-- guard before each step): NULL = ranked with its final points; 'excluded' = left out of the
-- ranking (never submitted, or not appraised and left out); 'zero' = ranked with 0 points
-- (never submitted). The decision and its reason are in the audit log.
ALTER TABLE sheets ADD COLUMN outcome TEXT CHECK (outcome IN ('excluded', 'zero'));
