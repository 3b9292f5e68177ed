-- +goose Up
CREATE TABLE outbox (
    seq         bigserial   PRIMARY KEY,
    event_id    uuid        NOT NULL UNIQUE,
    event_type  text        NOT NULL,
    subject     text        NOT NULL,
    park        text        NOT NULL,
    traceparent text        NOT NULL DEFAULT '',
    data        bytea       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz
);
CREATE INDEX outbox_unsent ON outbox (seq) WHERE sent_at IS NULL;
CREATE INDEX outbox_sent_at ON outbox (sent_at) WHERE sent_at IS NOT NULL;

-- +goose Down
DROP TABLE outbox;
