-- +goose Up
CREATE TABLE parks (
    id           text        PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    name         text        NOT NULL CHECK (name <> ''),
    timezone     text        NOT NULL CHECK (timezone <> ''),
    office_hours text[]      NOT NULL,
    revision     bigint      NOT NULL DEFAULT 0 CHECK (revision >= 0),
    created_at   timestamptz NOT NULL DEFAULT now()
);

COMMENT ON COLUMN parks.office_hours IS 'spans of the office day, e.g. {09:00-12:00,13:30-17:30}';
COMMENT ON COLUMN parks.revision IS 'grows by one with every committed change to the park''s calendar years';

CREATE TABLE calendar_years (
    park       text        NOT NULL REFERENCES parks (id),
    year       integer     NOT NULL CHECK (year BETWEEN 1 AND 9999),
    source     text        NOT NULL,
    off_dates  date[]      NOT NULL,
    work_dates date[]      NOT NULL,
    version    bigint      NOT NULL CHECK (version > 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text        NOT NULL,
    PRIMARY KEY (park, year)
);

COMMENT ON COLUMN calendar_years.off_dates IS 'sorted holidays and holiday-adjusted rest days';
COMMENT ON COLUMN calendar_years.work_dates IS 'sorted weekend days worked instead (调休上班)';

-- +goose Down
DROP TABLE calendar_years;
DROP TABLE parks;
