-- Register integrity: residence records keep their rooms. Occupancies and
-- households point at their room with a foreign key, ON DELETE RESTRICT, so
-- a room anyone ever lived in cannot be deleted (the API answers 409
-- room_occupied or room_has_history first); a common area's building is a
-- foreign key too (deleting a building clears it first).
--
-- Records left pointing at rooms already deleted (before this check existed)
-- point at nothing and cannot be shown or exported: they are removed, the
-- persons themselves stay. A common area's vanished building is cleared.
--
-- FORCE ROW LEVEL SECURITY binds the owner too, and a migrating owner that is
-- no superuser belongs to no tenant: its data fixes would change nothing. So
-- FORCE is lifted for the tables fixed here and restored at the end, inside
-- this migration's transaction (ALTER TABLE holds its lock until commit, so
-- no other session sees the gap).
ALTER TABLE occupancies NO FORCE ROW LEVEL SECURITY;
ALTER TABLE households NO FORCE ROW LEVEL SECURITY;
ALTER TABLE common_areas NO FORCE ROW LEVEL SECURITY;
ALTER TABLE care_tags NO FORCE ROW LEVEL SECURITY;
ALTER TABLE rooms NO FORCE ROW LEVEL SECURITY;
ALTER TABLE buildings NO FORCE ROW LEVEL SECURITY;

DELETE FROM occupancies WHERE NOT EXISTS (SELECT 1 FROM rooms r WHERE r.tenant_id = occupancies.tenant_id AND r.id = occupancies.room_id)
    OR household_id IN (SELECT h.id FROM households h WHERE h.tenant_id = occupancies.tenant_id
        AND NOT EXISTS (SELECT 1 FROM rooms r WHERE r.tenant_id = h.tenant_id AND r.id = h.room_id));
DELETE FROM households WHERE NOT EXISTS (SELECT 1 FROM rooms r WHERE r.tenant_id = households.tenant_id AND r.id = households.room_id);
UPDATE common_areas SET building_id = NULL WHERE building_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM buildings b WHERE b.tenant_id = common_areas.tenant_id AND b.id = common_areas.building_id);

ALTER TABLE households ADD CONSTRAINT households_room_fkey
    FOREIGN KEY (tenant_id, room_id) REFERENCES rooms (tenant_id, id) ON DELETE RESTRICT;
ALTER TABLE occupancies ADD CONSTRAINT occupancies_room_fkey
    FOREIGN KEY (tenant_id, room_id) REFERENCES rooms (tenant_id, id) ON DELETE RESTRICT;
ALTER TABLE common_areas ADD CONSTRAINT common_areas_building_fkey
    FOREIGN KEY (tenant_id, building_id) REFERENCES buildings (tenant_id, id);

-- The existing room indexes are partial (current residents only); the
-- foreign-key check of a room delete and the history check need them all.
CREATE INDEX occupancies_room ON occupancies (tenant_id, room_id);
CREATE INDEX households_room ON households (tenant_id, room_id);
CREATE INDEX common_areas_building ON common_areas (tenant_id, building_id) WHERE building_id IS NOT NULL;

-- Care tags the API stored under a built-in tag's Chinese label (独居老人 …)
-- take the tag's code, as the importer always did, so the care list finds
-- them. Where the person already has the tag (by code or another label) the
-- label row goes: the code row (or the first label) is kept.
DELETE FROM care_tags WHERE tag IN ('独居老人', '儿童', '残障', '残疾', '需定期探访', '需探访') AND EXISTS (
    SELECT 1 FROM care_tags c
    WHERE c.tenant_id = care_tags.tenant_id AND c.person_id = care_tags.person_id AND c.id <> care_tags.id
      AND CASE c.tag WHEN '独居老人' THEN 'elderly_alone' WHEN '儿童' THEN 'child' WHEN '残障' THEN 'disabled' WHEN '残疾' THEN 'disabled' WHEN '需定期探访' THEN 'needs_visits' WHEN '需探访' THEN 'needs_visits' ELSE c.tag END = CASE care_tags.tag WHEN '独居老人' THEN 'elderly_alone' WHEN '儿童' THEN 'child' WHEN '残障' THEN 'disabled' WHEN '残疾' THEN 'disabled' WHEN '需定期探访' THEN 'needs_visits' WHEN '需探访' THEN 'needs_visits' ELSE care_tags.tag END
      AND (c.tag NOT IN ('独居老人', '儿童', '残障', '残疾', '需定期探访', '需探访') OR c.tag < care_tags.tag)
);
UPDATE care_tags SET tag = CASE tag WHEN '独居老人' THEN 'elderly_alone' WHEN '儿童' THEN 'child' WHEN '残障' THEN 'disabled' WHEN '残疾' THEN 'disabled' WHEN '需定期探访' THEN 'needs_visits' WHEN '需探访' THEN 'needs_visits' ELSE tag END WHERE tag IN ('独居老人', '儿童', '残障', '残疾', '需定期探访', '需探访');

ALTER TABLE occupancies FORCE ROW LEVEL SECURITY;
ALTER TABLE households FORCE ROW LEVEL SECURITY;
ALTER TABLE common_areas FORCE ROW LEVEL SECURITY;
ALTER TABLE care_tags FORCE ROW LEVEL SECURITY;
ALTER TABLE rooms FORCE ROW LEVEL SECURITY;
ALTER TABLE buildings FORCE ROW LEVEL SECURITY;
