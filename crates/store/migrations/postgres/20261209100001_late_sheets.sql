-- What becomes of a sheet submitted while a round is open (docs/method.md §2.5, "Late and
-- returned sheets"): it joins the round ('join', the default) or waits for the next ('wait'),
-- as the secretariat chose when opening the round.
ALTER TABLE round_states ADD COLUMN late_sheets TEXT NOT NULL DEFAULT 'join'
    CHECK (late_sheets IN ('join', 'wait'));
