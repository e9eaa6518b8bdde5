-- Register integrity: residence records keep their rooms. Occupancies and
-- households point at their room with a foreign key, ON DELETE RESTRICT, so
-- a room anyone ever lived in cannot be deleted (the API answers 409
-- room_occupied or room_has_history first); a common area's building is a
-- foreign key too (deleting a building clears it first).
--
-- Records left pointing at rooms already deleted (before this check existed)
-- point at nothing and cannot be shown or exported: they are removed, the
-- persons themselves stay. A common area's vanished building is cleared.
DELETE FROM occupancies WHERE NOT EXISTS (SELECT 1 FROM rooms r WHERE r.tenant_id = occupancies.tenant_id AND r.id = occupancies.room_id)
    OR household_id IN (SELECT h.id FROM households h WHERE h.tenant_id = occupancies.tenant_id
        AND NOT EXISTS (SELECT 1 FROM rooms r WHERE r.tenant_id = h.tenant_id AND r.id = h.room_id));
DELETE FROM households WHERE NOT EXISTS (SELECT 1 FROM rooms r WHERE r.tenant_id = households.tenant_id AND r.id = households.room_id);
UPDATE common_areas SET building_id = NULL WHERE building_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM buildings b WHERE b.tenant_id = common_areas.tenant_id AND b.id = common_areas.building_id);

-- SQLite cannot add a foreign key to a table: each is rebuilt. Migrations run
-- in a transaction with foreign keys on, where PRAGMA foreign_keys cannot
-- change, so no parent row may vanish while a child points at it: renaming a
-- table first rewrites the references to it (households -> households_old in
-- occupancies), and each old table is dropped only once nothing points at it.
ALTER TABLE households RENAME TO households_old;
DROP INDEX households_open_room;
CREATE TABLE households (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    room_id      TEXT NOT NULL,
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    closed_at    DATETIME,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, room_id) REFERENCES rooms (tenant_id, id) ON DELETE RESTRICT
);
INSERT INTO households (tenant_id, id, room_id, created_at, closed_at)
    SELECT tenant_id, id, room_id, created_at, closed_at FROM households_old;

ALTER TABLE occupancies RENAME TO occupancies_old;
DROP INDEX occupancies_room_active;
DROP INDEX occupancies_person;
DROP INDEX occupancies_one_active;
CREATE TABLE occupancies (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    person_id    TEXT NOT NULL,
    room_id      TEXT NOT NULL,
    household_id TEXT NOT NULL,
    role         TEXT NOT NULL,
    relation     TEXT NOT NULL DEFAULT '',
    move_in      DATE NOT NULL,
    move_out     DATE,
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, person_id) REFERENCES persons (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, household_id) REFERENCES households (tenant_id, id),
    FOREIGN KEY (tenant_id, room_id) REFERENCES rooms (tenant_id, id) ON DELETE RESTRICT
);
INSERT INTO occupancies (tenant_id, id, person_id, room_id, household_id, role, relation, move_in, move_out, created_at, updated_at)
    SELECT tenant_id, id, person_id, room_id, household_id, role, relation, move_in, move_out, created_at, updated_at FROM occupancies_old;
DROP TABLE occupancies_old;
DROP TABLE households_old;

ALTER TABLE common_areas RENAME TO common_areas_old;
DROP INDEX common_areas_name_key;
CREATE TABLE common_areas (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    community_id TEXT NOT NULL,
    building_id  TEXT,
    name         TEXT NOT NULL,
    category     TEXT NOT NULL DEFAULT 'other',
    area         INTEGER NOT NULL DEFAULT 0,
    notes        TEXT NOT NULL DEFAULT '',
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, community_id) REFERENCES communities (tenant_id, id),
    FOREIGN KEY (tenant_id, building_id) REFERENCES buildings (tenant_id, id)
);
INSERT INTO common_areas (tenant_id, id, community_id, building_id, name, category, area, notes, created_at, updated_at)
    SELECT tenant_id, id, community_id, building_id, name, category, area, notes, created_at, updated_at FROM common_areas_old;
DROP TABLE common_areas_old;

CREATE UNIQUE INDEX households_open_room ON households (tenant_id, room_id) WHERE closed_at IS NULL;
CREATE INDEX occupancies_room_active ON occupancies (tenant_id, room_id, person_id) WHERE move_out IS NULL;
CREATE INDEX occupancies_person ON occupancies (tenant_id, person_id);
CREATE UNIQUE INDEX occupancies_one_active ON occupancies (tenant_id, person_id, room_id) WHERE move_out IS NULL;
CREATE UNIQUE INDEX common_areas_name_key ON common_areas (tenant_id, community_id, name);
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
