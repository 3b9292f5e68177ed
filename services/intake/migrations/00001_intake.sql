-- +goose Up
-- Parks as intake knows them (from seeds/parks.yaml): the ticket number prefix lives here.
CREATE TABLE parks (
    id            text PRIMARY KEY,
    name          text NOT NULL,
    short_name    text NOT NULL DEFAULT '',
    ticket_prefix text NOT NULL CHECK (ticket_prefix ~ '^[A-Z0-9]{2,8}$')
);

CREATE TABLE departments (
    code text PRIMARY KEY,
    name text NOT NULL
);

-- The service catalog, per park: matters (事项) and bundles (一件事).
CREATE TABLE matters (
    park                text    NOT NULL REFERENCES parks (id),
    code                text    NOT NULL,
    name                text    NOT NULL,
    department          text    NOT NULL REFERENCES departments (code),
    legal_days          int     NOT NULL CHECK (legal_days > 0),
    commitment_days     int     NOT NULL CHECK (commitment_days > 0 AND commitment_days <= legal_days),
    warn_days           int     NOT NULL CHECK (warn_days > 0),
    tolerant_acceptance boolean NOT NULL DEFAULT false,
    commitment_approval boolean NOT NULL DEFAULT false,
    supplement_days     int     NOT NULL CHECK (supplement_days > 0),
    -- materials: [{"code", "name", "key"}] in catalog order
    materials           jsonb   NOT NULL,
    position            int     NOT NULL,
    PRIMARY KEY (park, code)
);

CREATE TABLE bundles (
    park            text   NOT NULL REFERENCES parks (id),
    code            text   NOT NULL,
    name            text   NOT NULL,
    matters         text[] NOT NULL CHECK (cardinality(matters) >= 2),
    commitment_days int    NOT NULL CHECK (commitment_days > 0 AND commitment_days <= legal_days),
    legal_days      int    NOT NULL CHECK (legal_days > 0),
    warn_days       int    NOT NULL CHECK (warn_days > 0),
    position        int    NOT NULL,
    PRIMARY KEY (park, code)
);

CREATE TABLE enterprises (
    id                uuid        PRIMARY KEY,
    uscc              text        NOT NULL CHECK (length(uscc) = 18),
    name              text        NOT NULL,
    park              text        NOT NULL REFERENCES parks (id),
    industry_code     text        NOT NULL,
    scale             text        NOT NULL CHECK (scale IN ('large', 'medium', 'small', 'micro')),
    flags             text[]      NOT NULL DEFAULT '{}',
    key_enterprise    boolean     NOT NULL DEFAULT false,
    figures_year      int,
    revenue_fen       bigint,
    tax_paid_fen      bigint,
    rd_ratio_percent  numeric(7, 2),
    land_area_mu      numeric(14, 2),
    headcount         int,
    officer_id        text        NOT NULL DEFAULT '',
    backup_officer_id text        NOT NULL DEFAULT '',
    assigned_at       timestamptz,
    synthetic         boolean     NOT NULL DEFAULT false,
    version           bigint      NOT NULL DEFAULT 0,
    created_by        text        NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    CONSTRAINT enterprises_uscc_key UNIQUE (uscc)
);
CREATE INDEX enterprises_park ON enterprises (park, id);
CREATE INDEX enterprises_officer ON enterprises (officer_id) WHERE officer_id <> '';
CREATE INDEX enterprises_backup ON enterprises (backup_officer_id) WHERE backup_officer_id <> '';

-- Content uploaded for use as materials: the bytes are in the object store,
-- keyed by their SHA-256; a row per uploader, so that a ticket can only cite
-- content its submitter uploaded.
CREATE TABLE uploads (
    sha256      text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    uploaded_by text        NOT NULL,
    size        bigint      NOT NULL CHECK (size > 0),
    media_type  text        NOT NULL,
    ref         text        NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (uploaded_by, sha256)
);

CREATE TABLE tickets (
    id                 uuid        PRIMARY KEY,
    park               text        NOT NULL REFERENCES parks (id),
    number             text        NOT NULL,
    enterprise_id      uuid        NOT NULL REFERENCES enterprises (id),
    kind               text        NOT NULL CHECK (kind IN ('matter', 'bundle', 'demand', 'rectification')),
    channel            text        NOT NULL CHECK (channel IN ('online', 'window', 'proxy', 'system')),
    matter_code        text        NOT NULL DEFAULT '',
    bundle_code        text        NOT NULL DEFAULT '',
    matter_codes       text[]      NOT NULL DEFAULT '{}',
    departments        text[]      NOT NULL DEFAULT '{}',
    title              text        NOT NULL,
    description        text        NOT NULL DEFAULT '',
    status             text        NOT NULL,
    outcome            text        NOT NULL DEFAULT '',
    stage              text        NOT NULL DEFAULT '',
    commitment_days    int         NOT NULL DEFAULT 0,
    legal_days         int         NOT NULL DEFAULT 0,
    warn_days          int         NOT NULL DEFAULT 0,
    -- tolerant acceptance (容缺): materials still owed and by when
    supplement_materials text[]    NOT NULL DEFAULT '{}',
    supplement_days    int         NOT NULL DEFAULT 0,
    supplement_due_at  timestamptz,
    -- SLA state as the sla service last reported it
    sla_state          text        NOT NULL DEFAULT '',
    sla_paused         boolean     NOT NULL DEFAULT false,
    deadline           timestamptz,
    legal_deadline     timestamptz,
    liaison_request_id text        NOT NULL DEFAULT '',
    related_ticket_id  uuid        REFERENCES tickets (id),
    resolution         text        NOT NULL DEFAULT '',
    rating             smallint    CHECK (rating BETWEEN 1 AND 5),
    rating_comment     text        NOT NULL DEFAULT '',
    rated_at           timestamptz,
    rectification_ticket_id uuid,
    submitted_by       text        NOT NULL,
    submitter_role     text        NOT NULL,
    -- Idempotency-Key of POST /v1/tickets, per submitter, with a hash of the body
    idempotency_key    text,
    request_hash       text,
    submitted_at       timestamptz NOT NULL,
    accepted_at        timestamptz,
    completed_at       timestamptz,
    updated_at         timestamptz NOT NULL,
    version            bigint      NOT NULL DEFAULT 0,
    CONSTRAINT tickets_number_key UNIQUE (number),
    CONSTRAINT tickets_idempotency_key UNIQUE (submitted_by, idempotency_key)
);
CREATE INDEX tickets_park_page ON tickets (park, submitted_at DESC, id DESC);
CREATE INDEX tickets_enterprise_page ON tickets (enterprise_id, submitted_at DESC, id DESC);
CREATE INDEX tickets_request ON tickets (liaison_request_id) WHERE liaison_request_id <> '';

-- One row per matter of a ticket (a bundle has several), each followed by
-- its own approval workflow.
CREATE TABLE ticket_items (
    ticket_id           uuid        NOT NULL REFERENCES tickets (id),
    seq                 int         NOT NULL,
    matter_code         text        NOT NULL,
    matter_name         text        NOT NULL,
    department          text        NOT NULL,
    commitment_days     int         NOT NULL,
    legal_days          int         NOT NULL,
    warn_days           int         NOT NULL,
    tolerant_acceptance boolean     NOT NULL,
    commitment_approval boolean     NOT NULL,
    missing_materials   text[]      NOT NULL DEFAULT '{}',
    workflow_id         text        NOT NULL DEFAULT '',
    status              text        NOT NULL,
    stage               text        NOT NULL DEFAULT '',
    stage_department    text        NOT NULL DEFAULT '',
    paused              text        NOT NULL DEFAULT '',
    correction_items    text[]      NOT NULL DEFAULT '{}',
    decision_number     text        NOT NULL DEFAULT '',
    reason              text        NOT NULL DEFAULT '',
    updated_at          timestamptz NOT NULL,
    PRIMARY KEY (ticket_id, seq)
);
CREATE UNIQUE INDEX ticket_items_workflow ON ticket_items (workflow_id) WHERE workflow_id <> '';

CREATE TABLE ticket_materials (
    id          bigserial   PRIMARY KEY,
    ticket_id   uuid        NOT NULL REFERENCES tickets (id),
    code        text        NOT NULL,
    name        text        NOT NULL,
    sha256      text        NOT NULL,
    size        bigint      NOT NULL,
    media_type  text        NOT NULL,
    ref         text        NOT NULL,
    purpose     text        NOT NULL CHECK (purpose IN ('submission', 'correction', 'supplement')),
    supplied_at timestamptz NOT NULL
);
CREATE INDEX ticket_materials_ticket ON ticket_materials (ticket_id, id);

-- Every event of a ticket's life, for GET /v1/tickets/{id}.
CREATE TABLE ticket_timeline (
    id        bigserial   PRIMARY KEY,
    ticket_id uuid        NOT NULL REFERENCES tickets (id),
    at        timestamptz NOT NULL,
    type      text        NOT NULL,
    actor     text        NOT NULL DEFAULT '',
    summary   text        NOT NULL,
    detail    jsonb,
    event_id  text        NOT NULL DEFAULT ''
);
CREATE INDEX ticket_timeline_ticket ON ticket_timeline (ticket_id, at, id);

-- The SLA clocks of tickets as the sla service last reported them.
CREATE TABLE ticket_clocks (
    clock_id       text        PRIMARY KEY,
    ticket_id      uuid        NOT NULL REFERENCES tickets (id),
    kind           text        NOT NULL,
    workflow_id    text        NOT NULL DEFAULT '',
    matter_code    text        NOT NULL DEFAULT '',
    state          text        NOT NULL,
    paused         boolean     NOT NULL DEFAULT false,
    deadline       timestamptz,
    legal_deadline timestamptz,
    stopped_late   boolean     NOT NULL DEFAULT false,
    version        bigint      NOT NULL,
    updated_at     timestamptz NOT NULL
);
CREATE INDEX ticket_clocks_ticket ON ticket_clocks (ticket_id);

-- Liaison dispatches of a request (诉求/代办), so that an acknowledgement,
-- which names only the dispatch, finds its ticket.
CREATE TABLE liaison_dispatches (
    request_id        text        PRIMARY KEY,
    origin_request_id text        NOT NULL,
    ticket_id         uuid        REFERENCES tickets (id),
    officer_id        text        NOT NULL,
    dispatched_at     timestamptz NOT NULL
);

-- +goose Down
DROP TABLE liaison_dispatches;
DROP TABLE ticket_clocks;
DROP TABLE ticket_timeline;
DROP TABLE ticket_materials;
DROP TABLE ticket_items;
DROP TABLE tickets;
DROP TABLE uploads;
DROP TABLE enterprises;
DROP TABLE bundles;
DROP TABLE matters;
DROP TABLE departments;
DROP TABLE parks;
