-- +goose Up
-- Park managers: where escalations end (the third rung) and who officers report to.
CREATE TABLE managers (
    id         text        PRIMARY KEY,
    park       text        NOT NULL,
    name       text        NOT NULL,
    phone      text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX managers_park ON managers (park, id);

-- Liaison officers (驻企联络员): the roster of each park.
CREATE TABLE officers (
    id          text        PRIMARY KEY,
    park        text        NOT NULL,
    name        text        NOT NULL,
    phone       text        NOT NULL DEFAULT '',
    -- industries are GB/T 4754 industry code prefixes the officer knows ("C39", "I65").
    industries  text[]      NOT NULL DEFAULT '{}',
    departments text[]      NOT NULL DEFAULT '{}',
    -- cap bounds the firms the officer is primary for (and, separately, backup for).
    cap         integer     NOT NULL CHECK (cap >= 0),
    status      text        NOT NULL CHECK (status IN ('active', 'on_leave', 'left')),
    manager_id  text        NOT NULL DEFAULT '',
    version     bigint      NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX officers_park ON officers (park, status);

-- Firms as liaison knows them (from intake.enterprise.registered) and their
-- officers (一企一员): one primary, an optional backup. A firm without a
-- primary is flagged to the park manager.
CREATE TABLE firms (
    enterprise_id      text        PRIMARY KEY,
    park               text        NOT NULL,
    name               text        NOT NULL DEFAULT '',
    uscc               text        NOT NULL DEFAULT '',
    industry_code      text        NOT NULL DEFAULT '',
    key_enterprise     boolean     NOT NULL DEFAULT false,
    officer_id         text        REFERENCES officers (id),
    backup_officer_id  text        REFERENCES officers (id),
    flagged_at         timestamptz,
    flag_reason        text        NOT NULL DEFAULT '',
    registered_at      timestamptz NOT NULL,
    assigned_at        timestamptz,
    last_visit_at      timestamptz,
    visit_overdue_at   timestamptz,
    version            bigint      NOT NULL DEFAULT 0,
    CHECK (backup_officer_id IS NULL OR backup_officer_id <> officer_id),
    CHECK ((officer_id IS NULL) = (flagged_at IS NOT NULL))
);
CREATE INDEX firms_officer ON firms (officer_id);
CREATE INDEX firms_backup ON firms (backup_officer_id);
CREATE INDEX firms_flagged ON firms (park) WHERE officer_id IS NULL;

-- Seeded assignments honoured when the firm registers (the demo firm's officer).
CREATE TABLE pinned_assignments (
    enterprise_id     text PRIMARY KEY,
    officer_id        text NOT NULL REFERENCES officers (id),
    backup_officer_id text REFERENCES officers (id)
);

-- Requests: demands (诉求) and proxy filings (代办) routed to the firm's
-- officer. holder_id is who must act: an officer, or a manager at level 2.
CREATE TABLE requests (
    id              text        PRIMARY KEY,
    park            text        NOT NULL,
    ticket_id       text        NOT NULL UNIQUE,
    ticket_number   text        NOT NULL DEFAULT '',
    enterprise_id   text        NOT NULL,
    kind            text        NOT NULL CHECK (kind IN ('demand', 'proxy')),
    title           text        NOT NULL DEFAULT '',
    description     text        NOT NULL DEFAULT '',
    state           text        NOT NULL CHECK (state IN ('waiting', 'pending', 'acknowledged', 'returned', 'closed')),
    holder_id       text        NOT NULL DEFAULT '',
    holder_role     text        NOT NULL DEFAULT '' CHECK (holder_role IN ('', 'officer', 'manager')),
    level           integer     NOT NULL DEFAULT 0 CHECK (level BETWEEN 0 AND 2),
    response_hours  integer     NOT NULL CHECK (response_hours > 0),
    submitted_at    timestamptz NOT NULL,
    dispatched_at   timestamptz,
    acknowledged_at timestamptz,
    acknowledged_by text        NOT NULL DEFAULT '',
    returned_at     timestamptz,
    returned_by     text        NOT NULL DEFAULT '',
    return_reason   text        NOT NULL DEFAULT '',
    closed_at       timestamptz,
    close_reason    text        NOT NULL DEFAULT '',
    overdue_at      timestamptz,
    -- dispatch_id is the current dispatch: the one whose breach escalates.
    dispatch_id     text        NOT NULL DEFAULT '',
    version         bigint      NOT NULL DEFAULT 0
);
CREATE INDEX requests_holder ON requests (holder_id, state);
CREATE INDEX requests_open_firm ON requests (enterprise_id) WHERE state IN ('waiting', 'pending', 'acknowledged');
CREATE INDEX requests_park ON requests (park, state, submitted_at);
CREATE INDEX requests_acknowledged ON requests (acknowledged_by, acknowledged_at) WHERE acknowledged_at IS NOT NULL;

-- Each dispatch of a request is timed by the sla service under its own id.
CREATE TABLE dispatches (
    id            text        PRIMARY KEY,
    request_id    text        NOT NULL REFERENCES requests (id),
    level         integer     NOT NULL,
    assignee_id   text        NOT NULL,
    assignee_role text        NOT NULL CHECK (assignee_role IN ('officer', 'manager')),
    reason        text        NOT NULL,
    dispatched_at timestamptz NOT NULL,
    breached_at   timestamptz,
    stopped_at    timestamptz
);
CREATE INDEX dispatches_request ON dispatches (request_id, dispatched_at);
CREATE INDEX dispatches_breached ON dispatches (assignee_id, breached_at) WHERE breached_at IS NOT NULL;

-- Tickets closed or withdrawn before their submission was seen.
CREATE TABLE ticket_endings (
    ticket_id text        PRIMARY KEY,
    reason    text        NOT NULL,
    ended_at  timestamptz NOT NULL
);

-- Chases (催办) by managers.
CREATE TABLE chases (
    id         text        PRIMARY KEY,
    request_id text        NOT NULL REFERENCES requests (id),
    park       text        NOT NULL,
    chased_by  text        NOT NULL,
    holder_id  text        NOT NULL,
    note       text        NOT NULL DEFAULT '',
    chased_at  timestamptz NOT NULL
);
CREATE INDEX chases_request ON chases (request_id, chased_at);
CREATE INDEX chases_park ON chases (park, chased_at);
CREATE INDEX chases_holder ON chases (holder_id, chased_at);

-- Visits (走访) and the issues found.
CREATE TABLE visits (
    id            text        PRIMARY KEY,
    park          text        NOT NULL,
    enterprise_id text        NOT NULL,
    officer_id    text        NOT NULL,
    visited_at    timestamptz NOT NULL,
    people_met    text[]      NOT NULL,
    notes         text        NOT NULL DEFAULT '',
    logged_at     timestamptz NOT NULL
);
CREATE INDEX visits_firm ON visits (enterprise_id, visited_at);
CREATE INDEX visits_park ON visits (park, visited_at);
CREATE INDEX visits_officer ON visits (officer_id, visited_at);
CREATE TABLE visit_issues (
    id          text    PRIMARY KEY,
    visit_id    text    NOT NULL REFERENCES visits (id),
    seq         integer NOT NULL,
    description text    NOT NULL,
    title       text    NOT NULL DEFAULT '',
    open_ticket boolean NOT NULL DEFAULT false,
    UNIQUE (visit_id, seq)
);

-- Promises (说到做到): tracked to their due instant, closed with an outcome.
CREATE TABLE promises (
    id            text        PRIMARY KEY,
    park          text        NOT NULL,
    enterprise_id text        NOT NULL,
    officer_id    text        NOT NULL,
    content       text        NOT NULL,
    due_at        timestamptz NOT NULL,
    made_at       timestamptz NOT NULL,
    state         text        NOT NULL CHECK (state IN ('open', 'kept', 'not_kept', 'cancelled')),
    note          text        NOT NULL DEFAULT '',
    closed_at     timestamptz,
    closed_by     text        NOT NULL DEFAULT '',
    overdue_at    timestamptz,
    version       bigint      NOT NULL DEFAULT 0
);
CREATE INDEX promises_due ON promises (due_at) WHERE state = 'open' AND overdue_at IS NULL;
CREATE INDEX promises_officer ON promises (officer_id, state);
CREATE INDEX promises_firm ON promises (enterprise_id, made_at);

-- +goose Down
DROP TABLE promises;
DROP TABLE visit_issues;
DROP TABLE visits;
DROP TABLE chases;
DROP TABLE ticket_endings;
DROP TABLE dispatches;
DROP TABLE requests;
DROP TABLE pinned_assignments;
DROP TABLE firms;
DROP TABLE officers;
DROP TABLE managers;
