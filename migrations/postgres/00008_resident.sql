-- Residents (住户): people, their phones and emergency contacts, occupancy of
-- rooms grouped into households, special-care tags, vehicles and pets.
-- Phone and ID numbers are stored only as AES-GCM ciphertext ("keyid:base64")
-- plus an HMAC blind index for exact search; see docs/resident.md.

CREATE TABLE persons (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    -- "C" collation: code-point order, the same as SQLite's, so one btree
    -- serves ORDER BY name and the prefix range name >= 'x' AND name < 'y'.
    name         text COLLATE "C" NOT NULL,
    gender       text NOT NULL DEFAULT '',
    birth_date   date,
    id_type      text NOT NULL DEFAULT '',
    id_cipher    text NOT NULL DEFAULT '',
    id_index     text NOT NULL DEFAULT '',
    notes        text NOT NULL DEFAULT '',
    user_id      uuid,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
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
    tenant_id    uuid NOT NULL,
    gram         text NOT NULL,
    person_id    uuid NOT NULL,
    PRIMARY KEY (tenant_id, gram, person_id),
    FOREIGN KEY (tenant_id, person_id) REFERENCES persons (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX person_name_grams_person ON person_name_grams (tenant_id, person_id);

CREATE TABLE person_phones (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    person_id    uuid NOT NULL,
    label        text NOT NULL DEFAULT '',
    position     integer NOT NULL DEFAULT 0,
    phone_cipher text NOT NULL,
    phone_index  text NOT NULL,
    last4_index  text NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, person_id) REFERENCES persons (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX person_phones_person ON person_phones (tenant_id, person_id);
CREATE INDEX person_phones_index ON person_phones (tenant_id, phone_index);
CREATE INDEX person_phones_last4 ON person_phones (tenant_id, last4_index);

CREATE TABLE emergency_contacts (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    person_id    uuid NOT NULL,
    name         text NOT NULL,
    relation     text NOT NULL DEFAULT '',
    position     integer NOT NULL DEFAULT 0,
    phone_cipher text NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, person_id) REFERENCES persons (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX emergency_contacts_person ON emergency_contacts (tenant_id, person_id);

-- A household is the group of people living in one room at one time; a room
-- has at most one open household, closed when its last member moves out.
CREATE TABLE households (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    room_id      uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    closed_at    timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX households_open_room ON households (tenant_id, room_id) WHERE closed_at IS NULL;

CREATE TABLE occupancies (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    person_id    uuid NOT NULL,
    room_id      uuid NOT NULL,
    household_id uuid NOT NULL,
    role         text NOT NULL,
    relation     text NOT NULL DEFAULT '',
    move_in      date NOT NULL,
    move_out     date,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, person_id) REFERENCES persons (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, household_id) REFERENCES households (tenant_id, id)
);
CREATE INDEX occupancies_room_active ON occupancies (tenant_id, room_id, person_id) WHERE move_out IS NULL;
CREATE INDEX occupancies_person ON occupancies (tenant_id, person_id);
CREATE UNIQUE INDEX occupancies_one_active ON occupancies (tenant_id, person_id, room_id) WHERE move_out IS NULL;

CREATE TABLE care_tags (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    person_id    uuid NOT NULL,
    tag          text NOT NULL,
    reason       text NOT NULL,
    set_by_kind  text NOT NULL,
    set_by_id    uuid,
    set_by_name  text NOT NULL DEFAULT '',
    set_at       timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, person_id) REFERENCES persons (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX care_tags_person_tag ON care_tags (tenant_id, person_id, tag);
CREATE INDEX care_tags_tag ON care_tags (tenant_id, tag, person_id);

CREATE TABLE vehicles (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    person_id    uuid NOT NULL,
    plate        text NOT NULL,
    brand        text NOT NULL DEFAULT '',
    color        text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, person_id) REFERENCES persons (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX vehicles_plate_key ON vehicles (tenant_id, plate);
CREATE INDEX vehicles_person ON vehicles (tenant_id, person_id);

CREATE TABLE pets (
    tenant_id     uuid NOT NULL,
    id            uuid NOT NULL,
    person_id     uuid NOT NULL,
    name          text NOT NULL,
    species       text NOT NULL,
    breed         text NOT NULL DEFAULT '',
    vaccinated_on date,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, person_id) REFERENCES persons (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX pets_person ON pets (tenant_id, person_id);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['persons','person_name_grams','person_phones','emergency_contacts','households','occupancies','care_tags','vehicles','pets'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (wuye_tenant_visible(tenant_id)) WITH CHECK (wuye_tenant_visible(tenant_id))', t);
    END LOOP;
END $$;
