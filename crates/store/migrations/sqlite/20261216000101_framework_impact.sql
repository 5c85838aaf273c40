-- A node whose self-assessed leaves score the impact on socio-economic development rather than
-- the results of the reform (docs/method.md §2.3): the council's appraised points are then
-- published as two components. Stated on a node, inherited by its descendants.
ALTER TABLE framework_nodes ADD COLUMN impact BOOLEAN NOT NULL DEFAULT FALSE;
