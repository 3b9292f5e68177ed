-- +goose Up
-- One row per SLA clock. Deadlines are derived from the facts (started_at,
-- budget, extension_days, pauses) and the park's calendar; they are stored
-- for queries and recomputed whenever the calendar changes.
CREATE TABLE clocks (
    id                uuid             PRIMARY KEY,
    park              text             NOT NULL,
    kind              text             NOT NULL CHECK (kind IN ('acceptance', 'resolution', 'stage',
                          'liaison_response', 'visit_cadence', 'verification', 'rectification', 'supplement')),
    subject_id        text             NOT NULL,
    workflow_id       text             NOT NULL DEFAULT '',
    ticket_id         text             NOT NULL DEFAULT '',
    enterprise_id     text             NOT NULL DEFAULT '',
    department        text             NOT NULL DEFAULT '',
    officer_id        text             NOT NULL DEFAULT '',
    handler_id        text             NOT NULL DEFAULT '',
    matter_code       text             NOT NULL DEFAULT '',
    started_at        timestamptz      NOT NULL,
    budget            integer          NOT NULL CHECK (budget > 0),
    legal_budget      integer          NOT NULL DEFAULT 0 CHECK (legal_budget >= 0),
    warn_days         integer          NOT NULL DEFAULT 0 CHECK (warn_days >= 0),
    extension_days    integer          NOT NULL DEFAULT 0 CHECK (extension_days >= 0),
    verification_days integer          NOT NULL DEFAULT 0,
    pauses            jsonb            NOT NULL DEFAULT '[]',
    paused            boolean          NOT NULL DEFAULT false,
    state             text             NOT NULL CHECK (state IN ('green', 'yellow', 'red', 'stopped', 'cancelled')),
    deadline          timestamptz,
    legal_deadline    timestamptz,
    warn_at           timestamptz,
    next_fire_at      timestamptz,
    escalation_level  integer          NOT NULL DEFAULT 0,
    warned_at         timestamptz,
    breached_at       timestamptz,
    stopped_at        timestamptz,
    cancelled_at      timestamptz,
    stopped_late      boolean          NOT NULL DEFAULT false,
    stopped_early     boolean          NOT NULL DEFAULT false,
    used_days         double precision NOT NULL DEFAULT 0,
    version           bigint           NOT NULL DEFAULT 0,
    created_at        timestamptz      NOT NULL DEFAULT now(),
    updated_at        timestamptz      NOT NULL DEFAULT now()
);
-- The scheduler reads only due clocks: paused and closed ones have no next_fire_at.
CREATE INDEX clocks_due ON clocks (next_fire_at) WHERE next_fire_at IS NOT NULL;
-- At most one open clock per subject; closed ones are history.
CREATE UNIQUE INDEX clocks_open_subject ON clocks (park, kind, workflow_id, subject_id)
    WHERE state IN ('green', 'yellow', 'red');
CREATE INDEX clocks_ticket ON clocks (ticket_id) WHERE ticket_id <> '';
CREATE INDEX clocks_workflow ON clocks (workflow_id) WHERE workflow_id <> '';
CREATE INDEX clocks_open_park ON clocks (park, id) WHERE state IN ('green', 'yellow', 'red');
CREATE INDEX clocks_alerting ON clocks (park, deadline) WHERE state IN ('yellow', 'red');
CREATE INDEX clocks_finished ON clocks (park, stopped_at) WHERE state = 'stopped';
CREATE INDEX clocks_breached ON clocks (park, breached_at) WHERE breached_at IS NOT NULL;

-- Read model of intake's tickets: what the overview needs (channel, rating)
-- and what orders acceptance against approval's events.
CREATE TABLE tickets (
    ticket_id       text        PRIMARY KEY,
    park            text        NOT NULL,
    enterprise_id   text        NOT NULL DEFAULT '',
    kind            text        NOT NULL DEFAULT '',
    channel         text        NOT NULL DEFAULT '',
    submitted_at    timestamptz,
    accepted_at     timestamptz,
    not_accepted_at timestamptz,
    withdrawn_at    timestamptz,
    rating          integer CHECK (rating BETWEEN 1 AND 5),
    rated_at        timestamptz
);

-- Read model of liaison's assignments (一企一员), for scoping.
CREATE TABLE assignments (
    enterprise_id     text PRIMARY KEY,
    park              text NOT NULL,
    officer_id        text NOT NULL DEFAULT '',
    backup_officer_id text NOT NULL DEFAULT ''
);

-- Extensions (延期): at most one per clock.
CREATE TABLE extensions (
    id                uuid        PRIMARY KEY,
    clock_id          uuid        NOT NULL UNIQUE REFERENCES clocks (id),
    park              text        NOT NULL,
    working_days      integer     NOT NULL CHECK (working_days > 0),
    reason            text        NOT NULL,
    requested_by      text        NOT NULL,
    requested_at      timestamptz NOT NULL,
    state             text        NOT NULL CHECK (state IN ('pending', 'granted', 'refused')),
    decided_by        text        NOT NULL DEFAULT '',
    decided_at        timestamptz,
    decision_reason   text        NOT NULL DEFAULT '',
    previous_deadline timestamptz,
    new_deadline      timestamptz
);
CREATE INDEX extensions_park ON extensions (park, requested_at);

-- Supervision cards (黄牌/红牌) with their notice numbers (督办单).
CREATE TABLE notice_sequences (
    park text    NOT NULL,
    year integer NOT NULL,
    last integer NOT NULL,
    PRIMARY KEY (park, year)
);
CREATE TABLE cards (
    id            uuid        PRIMARY KEY,
    park          text        NOT NULL,
    clock_id      uuid        NOT NULL REFERENCES clocks (id),
    department    text        NOT NULL,
    colour        text        NOT NULL CHECK (colour IN ('yellow', 'red')),
    notice_year   integer     NOT NULL,
    notice_seq    integer     NOT NULL,
    notice_number text        NOT NULL,
    reason        text        NOT NULL,
    issued_at     timestamptz NOT NULL,
    UNIQUE (park, notice_year, notice_seq)
);
CREATE INDEX cards_issued ON cards (park, issued_at);

-- Notifications of the escalation ladder, held to office hours unless urgent.
CREATE TABLE notifications (
    id             bigserial   PRIMARY KEY,
    park           text        NOT NULL,
    clock_id       uuid        NOT NULL REFERENCES clocks (id),
    level          integer     NOT NULL,
    recipient_role text        NOT NULL,
    recipient_id   text        NOT NULL,
    urgent         boolean     NOT NULL,
    created_at     timestamptz NOT NULL,
    deliver_at     timestamptz NOT NULL,
    delivered_at   timestamptz
);
CREATE INDEX notifications_pending ON notifications (deliver_at) WHERE delivered_at IS NULL;

-- +goose Down
DROP TABLE notifications;
DROP TABLE cards;
DROP TABLE notice_sequences;
DROP TABLE extensions;
DROP TABLE assignments;
DROP TABLE tickets;
DROP TABLE clocks;
