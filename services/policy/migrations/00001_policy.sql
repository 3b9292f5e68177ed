-- +goose Up

-- Policies (政策): the input as saved (content) and the columns queried or
-- locked. reserved_fen and paid_fen are the budget's running totals, kept
-- with the ledger in the same transaction; the CHECK makes an over-commit
-- impossible whatever the code does.
CREATE TABLE policies (
    id           uuid PRIMARY KEY,
    park         text NOT NULL,
    code         text NOT NULL,
    content      jsonb NOT NULL,
    status       text NOT NULL CHECK (status IN ('draft', 'published', 'closed')),
    mode         text NOT NULL CHECK (mode IN ('application', 'proactive')),
    period       text NOT NULL,
    window_from  timestamptz NOT NULL,
    window_to    timestamptz NOT NULL,
    budget_fen   bigint NOT NULL CHECK (budget_fen > 0),
    reserved_fen bigint NOT NULL DEFAULT 0,
    paid_fen     bigint NOT NULL DEFAULT 0,
    version      bigint NOT NULL,
    created_by   text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    published_at timestamptz,
    closed_at    timestamptz,
    UNIQUE (park, code),
    CONSTRAINT budget_never_overcommitted CHECK (reserved_fen >= 0 AND paid_fen >= 0 AND reserved_fen + paid_fen <= budget_fen)
);
CREATE INDEX policies_park_status ON policies (park, status);

-- Firms: the read model of intake's enterprises and liaison's assignments.
CREATE TABLE firms (
    enterprise_id     text PRIMARY KEY,
    park              text NOT NULL,
    name              text NOT NULL DEFAULT '',
    uscc              text NOT NULL DEFAULT '',
    industry_code     text NOT NULL DEFAULT '',
    scale             text NOT NULL DEFAULT '',
    flags             text[] NOT NULL DEFAULT '{}',
    key_enterprise    boolean NOT NULL DEFAULT false,
    figures_year      integer NOT NULL DEFAULT 0,
    revenue_fen       bigint NOT NULL DEFAULT 0,
    tax_paid_fen      bigint NOT NULL DEFAULT 0,
    rd_ratio_percent  double precision NOT NULL DEFAULT 0,
    land_area_mu      double precision NOT NULL DEFAULT 0,
    headcount         integer NOT NULL DEFAULT 0,
    officer_id        text NOT NULL DEFAULT '',
    backup_officer_id text NOT NULL DEFAULT '',
    profile_known     boolean NOT NULL DEFAULT false,
    updated_at        timestamptz NOT NULL
);
CREATE INDEX firms_park ON firms (park) WHERE profile_known;
CREATE INDEX firms_officer ON firms (officer_id);

-- Matches: the eligible (policy, firm) pairs with the amount, recomputed
-- when a policy is published and when a firm's profile changes.
CREATE TABLE matches (
    policy_id     uuid NOT NULL REFERENCES policies (id),
    enterprise_id text NOT NULL,
    amount_fen    bigint NOT NULL CHECK (amount_fen > 0),
    matched_at    timestamptz NOT NULL,
    PRIMARY KEY (policy_id, enterprise_id)
);
CREATE INDEX matches_enterprise ON matches (enterprise_id);

-- Offers (免申即享): at most one open or confirmed per firm, policy and period.
CREATE TABLE offers (
    id             uuid PRIMARY KEY,
    park           text NOT NULL,
    policy_id      uuid NOT NULL REFERENCES policies (id),
    enterprise_id  text NOT NULL,
    period         text NOT NULL,
    amount_fen     bigint NOT NULL CHECK (amount_fen > 0),
    state          text NOT NULL CHECK (state IN ('open', 'confirmed', 'lapsed')),
    cause          text NOT NULL,
    reason         text NOT NULL DEFAULT '',
    application_id uuid,
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    closed_at      timestamptz,
    version        bigint NOT NULL
);
CREATE UNIQUE INDEX offers_one_per_period ON offers (policy_id, enterprise_id, period) WHERE state IN ('open', 'confirmed');
CREATE INDEX offers_enterprise ON offers (enterprise_id);

-- Applications (申请). One active application per firm, policy and period.
CREATE TABLE applications (
    id                uuid PRIMARY KEY,
    park              text NOT NULL,
    policy_id         uuid NOT NULL REFERENCES policies (id),
    policy_code       text NOT NULL,
    policy_title      text NOT NULL,
    enterprise_id     text NOT NULL,
    enterprise_name   text NOT NULL DEFAULT '',
    period            text NOT NULL,
    amount_fen        bigint NOT NULL CHECK (amount_fen > 0),
    state             text NOT NULL CHECK (state IN ('submitted', 'in_review', 'public_notice', 'approved', 'refused',
                          'denied', 'not_accepted', 'withdrawn', 'paid', 'released')),
    channel           text NOT NULL CHECK (channel IN ('online', 'proxy', 'offer')),
    offer_id          uuid,
    submitted_by      text NOT NULL,
    submitted_role    text NOT NULL,
    officer_id        text NOT NULL DEFAULT '',
    materials         jsonb NOT NULL DEFAULT '[]',
    explanation       jsonb NOT NULL DEFAULT '{}',
    workflow_id       text NOT NULL DEFAULT '',
    stage             text NOT NULL DEFAULT '',
    decision_number   text NOT NULL DEFAULT '',
    reason            text NOT NULL DEFAULT '',
    payment_reference text,
    submitted_at      timestamptz NOT NULL,
    decided_at        timestamptz,
    paid_at           timestamptz,
    closed_at         timestamptz,
    version           bigint NOT NULL
);
CREATE UNIQUE INDEX applications_one_active ON applications (policy_id, enterprise_id, period)
    WHERE state IN ('submitted', 'in_review', 'public_notice', 'approved', 'paid');
CREATE UNIQUE INDEX applications_payment_reference ON applications (park, payment_reference) WHERE payment_reference IS NOT NULL;
CREATE INDEX applications_enterprise ON applications (enterprise_id, submitted_at DESC);
CREATE INDEX applications_policy ON applications (policy_id, state);
CREATE INDEX applications_workflow ON applications (workflow_id) WHERE workflow_id <> '';

-- The application's timeline.
CREATE TABLE application_history (
    id             bigserial PRIMARY KEY,
    application_id uuid NOT NULL REFERENCES applications (id),
    at             timestamptz NOT NULL,
    state          text NOT NULL,
    action         text NOT NULL,
    actor          text NOT NULL DEFAULT '',
    detail         text NOT NULL DEFAULT ''
);
CREATE INDEX application_history_app ON application_history (application_id, id);

-- The disbursement ledger: reserve moves an amount from the policy's
-- available budget to reserved; pay from reserved to paid; release from
-- reserved back to available. One benefit per firm, policy and period: one
-- reserve entry; a reservation is settled (paid or released) once.
CREATE TABLE ledger (
    id             bigserial PRIMARY KEY,
    policy_id      uuid NOT NULL REFERENCES policies (id),
    application_id uuid NOT NULL REFERENCES applications (id),
    enterprise_id  text NOT NULL,
    period         text NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('reserve', 'pay', 'release')),
    amount_fen     bigint NOT NULL CHECK (amount_fen > 0),
    reference      text NOT NULL DEFAULT '',
    actor          text NOT NULL DEFAULT '',
    reason         text NOT NULL DEFAULT '',
    at             timestamptz NOT NULL
);
CREATE UNIQUE INDEX ledger_one_benefit ON ledger (policy_id, enterprise_id, period) WHERE kind = 'reserve';
CREATE UNIQUE INDEX ledger_settled_once ON ledger (application_id) WHERE kind IN ('pay', 'release');
CREATE INDEX ledger_policy ON ledger (policy_id, id);

-- +goose Down
DROP TABLE ledger;
DROP TABLE application_history;
DROP TABLE applications;
DROP TABLE offers;
DROP TABLE matches;
DROP TABLE firms;
DROP TABLE policies;
