-- +goose Up
CREATE TABLE processed_events (
    consumer     text        NOT NULL,
    event_id     uuid        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
CREATE INDEX processed_events_at ON processed_events (processed_at);

CREATE TABLE aggregate_versions (
    scope          text   NOT NULL,
    aggregate_type text   NOT NULL,
    aggregate_id   text   NOT NULL,
    version        bigint NOT NULL,
    PRIMARY KEY (scope, aggregate_type, aggregate_id)
);

-- +goose Down
DROP TABLE aggregate_versions;
DROP TABLE processed_events;
