-- Districts (huyện, quận, thị xã, thành phố thuộc tỉnh) as a unit kind: the middle level
-- until 30/6/2025, for the 2019–2024 campaigns and the communes' lineage (docs/method.md §6).
ALTER TABLE org_units DROP CONSTRAINT org_units_kind_check;
ALTER TABLE org_units ADD CONSTRAINT org_units_kind_check
    CHECK (kind IN ('nation', 'province', 'department', 'district', 'commune', 'ministry'));
