-- A basket's origin (core::strategy::trail): NULL for a fresh basket, else the root anchor of
-- the fresh basket it trailed from (up, or down after a hard stop); the trail limits are
-- measured from it, so it must survive a restart.
ALTER TABLE baskets ADD COLUMN trail_root TEXT;
