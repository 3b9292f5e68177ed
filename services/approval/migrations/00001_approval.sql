-- +goose Up
-- Workflow definitions (审批流程), versioned: an instance pins the content it
-- started with, so a new seed never changes a running workflow.
CREATE TABLE definitions (
    code        text        NOT NULL,
    version     integer     NOT NULL CHECK (version > 0),
    subject     text        NOT NULL CHECK (subject IN ('ticket', 'policy_application')),
    subject_key text        NOT NULL,
    name        text        NOT NULL,
    content     jsonb       NOT NULL,
    hash        text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (code, version)
);
CREATE INDEX definitions_lookup ON definitions (subject, subject_key, created_at DESC, version DESC);

-- Parks as far as approval needs them: the prefix of decision numbers.
CREATE TABLE parks (
    park            text PRIMARY KEY,
    name            text NOT NULL DEFAULT '',
    decision_prefix text NOT NULL CHECK (decision_prefix <> '')
);

-- One counter per park and year (一枚印章): incremented in the transaction of
-- the final approval, so a rolled-back approval gives its number back and
-- numbers never skip; the row lock serializes concurrent approvals.
CREATE TABLE decision_sequences (
    park text    NOT NULL,
    year integer NOT NULL,
    last integer NOT NULL CHECK (last > 0),
    PRIMARY KEY (park, year)
);

CREATE TABLE workflows (
    id                  uuid        PRIMARY KEY,
    park                text        NOT NULL,
    subject_type        text        NOT NULL CHECK (subject_type IN ('ticket', 'policy_application')),
    subject_id          text        NOT NULL,
    ticket_id           text        NOT NULL DEFAULT '',
    ticket_number       text        NOT NULL DEFAULT '',
    title               text        NOT NULL DEFAULT '',
    enterprise_id       text        NOT NULL DEFAULT '',
    matter_code         text        NOT NULL DEFAULT '',
    bundle_code         text        NOT NULL DEFAULT '',
    channel             text        NOT NULL DEFAULT '',
    definition_code     text        NOT NULL,
    definition_version  integer     NOT NULL,
    definition          jsonb       NOT NULL,
    state               text        NOT NULL CHECK (state IN ('pending_acceptance', 'in_review', 'correction', 'public_notice',
                            'approved', 'denied', 'not_accepted', 'withdrawn', 'lapsed', 'revoked')),
    stage_index         integer     NOT NULL,
    round               integer     NOT NULL,
    commitment_days     integer     NOT NULL CHECK (commitment_days > 0),
    legal_days          integer     NOT NULL,
    warn_days           integer     NOT NULL,
    missing_materials   text[]      NOT NULL DEFAULT '{}',
    supplement_pending  boolean     NOT NULL DEFAULT false,
    supplemented_at     timestamptz,
    commitment_approval boolean     NOT NULL DEFAULT false,
    extension_requested boolean     NOT NULL DEFAULT false,
    corrections         jsonb       NOT NULL DEFAULT '[]',
    decision_number     text        UNIQUE,
    decision_reason     text        NOT NULL DEFAULT '',
    handler_id          text        NOT NULL DEFAULT '',
    submitted_at        timestamptz,
    opened_at           timestamptz NOT NULL,
    accepted_at         timestamptz,
    decided_at          timestamptz,
    revoked_at          timestamptz,
    version             bigint      NOT NULL CHECK (version > 0),
    UNIQUE (subject_type, subject_id)
);
CREATE INDEX workflows_ticket ON workflows (ticket_id) WHERE ticket_id <> '';
CREATE INDEX workflows_park ON workflows (park, opened_at DESC);
CREATE INDEX workflows_enterprise ON workflows (enterprise_id, opened_at DESC);

CREATE TABLE tasks (
    id            uuid        PRIMARY KEY,
    workflow_id   uuid        NOT NULL REFERENCES workflows (id),
    park          text        NOT NULL,
    kind          text        NOT NULL CHECK (kind IN ('acceptance', 'review', 'public_notice', 'verification')),
    stage_index   integer     NOT NULL,
    stage_code    text        NOT NULL DEFAULT '',
    stage_name    text        NOT NULL DEFAULT '',
    mode          text        NOT NULL DEFAULT '',
    round         integer     NOT NULL,
    department    text        NOT NULL,
    assignee      text        NOT NULL DEFAULT '',
    state         text        NOT NULL CHECK (state IN ('open', 'done', 'cancelled')),
    outcome       text        NOT NULL DEFAULT '',
    deemed        boolean     NOT NULL DEFAULT false,
    timed_out     boolean     NOT NULL DEFAULT false,
    actor         text        NOT NULL DEFAULT '',
    reason        text        NOT NULL DEFAULT '',
    share_days    integer     NOT NULL DEFAULT 0,
    due_at        timestamptz,
    clock_kind    text        NOT NULL DEFAULT '',
    clock_subject text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    decided_at    timestamptz
);
CREATE INDEX tasks_queue ON tasks (park, department, created_at) WHERE state = 'open';
CREATE INDEX tasks_workflow ON tasks (workflow_id, created_at);
CREATE INDEX tasks_notice_due ON tasks (due_at) WHERE state = 'open' AND kind = 'public_notice';

-- Decisions taken on tasks, to answer a double submission with the first result.
CREATE TABLE task_actions (
    id              bigserial   PRIMARY KEY,
    task_id         uuid        NOT NULL REFERENCES tasks (id),
    workflow_id     uuid        NOT NULL,
    actor           text        NOT NULL,
    action          text        NOT NULL,
    fingerprint     text        NOT NULL,
    idempotency_key text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL
);
CREATE UNIQUE INDEX task_actions_key ON task_actions (task_id, idempotency_key) WHERE idempotency_key <> '';
CREATE INDEX task_actions_workflow ON task_actions (workflow_id, id);

-- The audit trail: one row per event of a workflow, its version the event's.
CREATE TABLE history (
    workflow_id uuid        NOT NULL REFERENCES workflows (id),
    version     bigint      NOT NULL,
    type        text        NOT NULL,
    at          timestamptz NOT NULL,
    actor       text        NOT NULL,
    actor_role  text        NOT NULL,
    action      text        NOT NULL,
    reason      text        NOT NULL DEFAULT '',
    from_state  text        NOT NULL DEFAULT '',
    to_state    text        NOT NULL DEFAULT '',
    task_id     text        NOT NULL DEFAULT '',
    stage_code  text        NOT NULL DEFAULT '',
    payload     jsonb       NOT NULL,
    PRIMARY KEY (workflow_id, version)
);

-- Read model of intake's firms: the bad-credit flag, from intake's flags or
-- from a false commitment found here.
CREATE TABLE enterprises (
    enterprise_id      text        PRIMARY KEY,
    park               text        NOT NULL DEFAULT '',
    name               text        NOT NULL DEFAULT '',
    flags              text[]      NOT NULL DEFAULT '{}',
    intake_bad_credit  boolean     NOT NULL DEFAULT false,
    credit_flagged_at  timestamptz,
    credit_flag_reason text        NOT NULL DEFAULT ''
);

-- Tickets intake submitted, to tell an event about a ticket not seen yet
-- (retry) from one about a ticket without workflows (ignore).
CREATE TABLE tickets_seen (
    ticket_id text PRIMARY KEY,
    kind      text NOT NULL
);

-- Read model of sla's clocks: deadlines for the work queue and the views.
CREATE TABLE clock_deadlines (
    clock_id   text        PRIMARY KEY,
    park       text        NOT NULL,
    kind       text        NOT NULL,
    subject_id text        NOT NULL,
    ticket_id  text        NOT NULL DEFAULT '',
    state      text        NOT NULL,
    paused     boolean     NOT NULL DEFAULT false,
    started_at timestamptz,
    deadline   timestamptz,
    warn_at    timestamptz,
    version    bigint      NOT NULL
);
CREATE INDEX clock_deadlines_subject ON clock_deadlines (kind, subject_id);

-- +goose Down
DROP TABLE clock_deadlines, tickets_seen, enterprises, history, task_actions, tasks, workflows,
    decision_sequences, parks, definitions;
