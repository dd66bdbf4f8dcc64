-- Rollups off the ingest path.
--
-- The writer no longer updates readings_1m, readings_1h and latest_values in its per-batch
-- statement (upserting them cost two thirds of PostgreSQL's time). In the same statement as the
-- readings it appends one row per batch: the partial aggregates, per (sensor, minute), of the
-- readings that statement actually inserted (a redelivered reading inserts nothing, so it adds
-- nothing), as parallel arrays. A delta therefore becomes visible exactly when its readings do.
-- One row per batch, not per bucket: with sensors that report once a minute every reading is a
-- bucket of its own, and a row each would double the cost of storing it.
--
-- The rollup service folds the deltas into the rollups every few seconds with one statement that
-- deletes the deltas its snapshot sees and merges them: each delta is folded exactly once, late
-- readings land in their old buckets, and a crash loses nothing (the deltas are ordinary logged
-- rows; the fold is atomic).
CREATE TABLE rollup_deltas (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entries     integer NOT NULL,             -- the length of each array: how much folding this row costs
    sensor_ids  integer[] NOT NULL,
    buckets     timestamptz[] NOT NULL,       -- the minutes
    mins        double precision[] NOT NULL,
    maxs        double precision[] NOT NULL,
    sums        double precision[] NOT NULL,
    counts      bigint[] NOT NULL,
    last_ts     timestamptz[] NOT NULL,       -- the newest reading of the bucket in this batch
    last_values double precision[] NOT NULL
);

-- Kept uncompressed: they live a few seconds, and compressing them costs CPU the ingest needs.
ALTER TABLE rollup_deltas ALTER COLUMN sensor_ids SET STORAGE EXTERNAL, ALTER COLUMN buckets SET STORAGE EXTERNAL,
    ALTER COLUMN mins SET STORAGE EXTERNAL, ALTER COLUMN maxs SET STORAGE EXTERNAL, ALTER COLUMN sums SET STORAGE EXTERNAL,
    ALTER COLUMN counts SET STORAGE EXTERNAL, ALTER COLUMN last_ts SET STORAGE EXTERNAL, ALTER COLUMN last_values SET STORAGE EXTERNAL;

-- The fold updates the same rollup and latest-value rows again and again. With room left on each
-- page, PostgreSQL updates them in place (HOT: no new index entries, no index bloat), which
-- halves the cost of a fold.
ALTER TABLE readings_1m SET (fillfactor = 70);
ALTER TABLE readings_1h SET (fillfactor = 70);
ALTER TABLE latest_values SET (fillfactor = 50);
