-- Respondent ids typed on the anonymous public form live apart from those of kiosks, the
-- one-stop-shop software, paper entry and imports: a visitor who types someone's dossier
-- number must not block that person's real answer at the counter.
ALTER TABLE responses ADD COLUMN respondent_scope TEXT NOT NULL DEFAULT 'staff'
    CHECK (respondent_scope IN ('staff', 'public'));
DROP INDEX uq_responses_respondent;
CREATE UNIQUE INDEX uq_responses_respondent ON responses (wave_id, unit_id, respondent_scope, respondent_id)
    WHERE respondent_id IS NOT NULL;
