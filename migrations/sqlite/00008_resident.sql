-- Residents (住户): people, their phones and emergency contacts, occupancy of
-- rooms grouped into households, special-care tags, vehicles and pets.
-- Phone and ID numbers are stored only as AES-GCM ciphertext ("keyid:base64")
-- plus an HMAC blind index for exact search; see docs/resident.md.

CREATE TABLE persons (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    name         TEXT NOT NULL,
    gender       TEXT NOT NULL DEFAULT '',
    birth_date   DATE,
    id_type      TEXT NOT NULL DEFAULT '',
    id_cipher    TEXT NOT NULL DEFAULT '',
    id_index     TEXT NOT NULL DEFAULT '',
    notes        TEXT NOT NULL DEFAULT '',
    user_id      TEXT,
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX persons_name ON persons (tenant_id, name, id);
CREATE INDEX persons_id_index ON persons (tenant_id, id_index) WHERE id_index <> '';
CREATE UNIQUE INDEX persons_user_key ON persons (tenant_id, user_id) WHERE user_id IS NOT NULL;

-- Name search index: every two-character sequence of each name. Under RLS
-- only leakproof operators reach an index, and LIKE is not leakproof (so a
-- trigram index is never used by the app role); equality on these grams is.
-- A pure index table: its key is (tenant_id, gram, person_id), not an id.
CREATE TABLE person_name_grams (
    tenant_id    TEXT NOT NULL,
    gram         TEXT NOT NULL,
    person_id    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, gram, person_id),
    FOREIGN KEY (tenant_id, person_id) REFERENCES persons (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX person_name_grams_person ON person_name_grams (tenant_id, person_id);

CREATE TABLE person_phones (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    person_id    TEXT NOT NULL,
    label        TEXT NOT NULL DEFAULT '',
    position     INTEGER NOT NULL DEFAULT 0,
    phone_cipher TEXT NOT NULL,
    phone_index  TEXT NOT NULL,
    last4_index  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, person_id) REFERENCES persons (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX person_phones_person ON person_phones (tenant_id, person_id);
CREATE INDEX person_phones_index ON person_phones (tenant_id, phone_index);
CREATE INDEX person_phones_last4 ON person_phones (tenant_id, last4_index);

CREATE TABLE emergency_contacts (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    person_id    TEXT NOT NULL,
    name         TEXT NOT NULL,
    relation     TEXT NOT NULL DEFAULT '',
    position     INTEGER NOT NULL DEFAULT 0,
    phone_cipher TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, person_id) REFERENCES persons (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX emergency_contacts_person ON emergency_contacts (tenant_id, person_id);

-- A household is the group of people living in one room at one time; a room
-- has at most one open household, closed when its last member moves out.
CREATE TABLE households (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    room_id      TEXT NOT NULL,
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    closed_at    DATETIME,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX households_open_room ON households (tenant_id, room_id) WHERE closed_at IS NULL;

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
    FOREIGN KEY (tenant_id, household_id) REFERENCES households (tenant_id, id)
);
CREATE INDEX occupancies_room_active ON occupancies (tenant_id, room_id, person_id) WHERE move_out IS NULL;
CREATE INDEX occupancies_person ON occupancies (tenant_id, person_id);
CREATE UNIQUE INDEX occupancies_one_active ON occupancies (tenant_id, person_id, room_id) WHERE move_out IS NULL;

CREATE TABLE care_tags (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    person_id    TEXT NOT NULL,
    tag          TEXT NOT NULL,
    reason       TEXT NOT NULL,
    set_by_kind  TEXT NOT NULL,
    set_by_id    TEXT,
    set_by_name  TEXT NOT NULL DEFAULT '',
    set_at       DATETIME NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, person_id) REFERENCES persons (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX care_tags_person_tag ON care_tags (tenant_id, person_id, tag);
CREATE INDEX care_tags_tag ON care_tags (tenant_id, tag, person_id);

CREATE TABLE vehicles (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    person_id    TEXT NOT NULL,
    plate        TEXT NOT NULL,
    brand        TEXT NOT NULL DEFAULT '',
    color        TEXT NOT NULL DEFAULT '',
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, person_id) REFERENCES persons (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX vehicles_plate_key ON vehicles (tenant_id, plate);
CREATE INDEX vehicles_person ON vehicles (tenant_id, person_id);

CREATE TABLE pets (
    tenant_id     TEXT NOT NULL,
    id            TEXT NOT NULL,
    person_id     TEXT NOT NULL,
    name          TEXT NOT NULL,
    species       TEXT NOT NULL,
    breed         TEXT NOT NULL DEFAULT '',
    vaccinated_on DATE,
    created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, person_id) REFERENCES persons (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX pets_person ON pets (tenant_id, person_id);
