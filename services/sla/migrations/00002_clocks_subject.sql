-- +goose Up
-- Consumers look a clock up by its subject whatever its state (clockExists);
-- the partial clocks_open_subject index covers open clocks only, so without
-- this every consumed event scanned the whole table.
CREATE INDEX clocks_subject ON clocks (park, kind, workflow_id, subject_id);

-- +goose Down
DROP INDEX clocks_subject;
