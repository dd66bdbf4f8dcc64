-- Rollups off the ingest path.
--
-- The writer no longer updates readings_1m, readings_1h and latest_values in its per-batch
-- statement (three ON CONFLICT DO UPDATEs per batch cost two thirds of PostgreSQL's time). It
-- appends, in the same statement as the readings, one row per (sensor, minute) with the partial
-- aggregate of the readings that statement actually inserted (a redelivered reading inserts
-- nothing, so it adds nothing). A delta therefore becomes visible exactly when its readings do.
--
-- The rollup service folds the deltas into the rollups every second with one statement that
-- deletes the deltas its snapshot sees and merges them: each delta is folded exactly once, late
-- readings land in their old buckets, and a crash loses nothing (the deltas are ordinary logged
-- rows; the fold is atomic).
CREATE TABLE rollup_deltas (
    sensor_id   integer NOT NULL,
    bucket      timestamptz NOT NULL,      -- the minute
    min         double precision NOT NULL,
    max         double precision NOT NULL,
    sum         double precision NOT NULL,
    count       bigint NOT NULL,
    last_ts     timestamptz NOT NULL,      -- the newest reading of the bucket in this delta
    last_value  double precision NOT NULL
);

-- The table is emptied every second: vacuum it by row count, not by a fraction of its size.
ALTER TABLE rollup_deltas SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 20000,
                               autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 20000);
