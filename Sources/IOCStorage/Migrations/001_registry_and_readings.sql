-- Registry: administrative units (a tree kept as data), gateways, stations, sensors.
CREATE TABLE admin_units (
    id          serial PRIMARY KEY,
    code        text NOT NULL UNIQUE,
    name        text NOT NULL,
    level       text NOT NULL DEFAULT 'unit',
    parent_id   integer REFERENCES admin_units (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (parent_id IS NULL OR parent_id <> id)
);
CREATE INDEX admin_units_parent_idx ON admin_units (parent_id);

CREATE TABLE gateways (
    id                serial PRIMARY KEY,
    code              text NOT NULL UNIQUE,
    name              text NOT NULL DEFAULT '',
    unit_id           integer REFERENCES admin_units (id),
    enabled           boolean NOT NULL DEFAULT true,
    status            text NOT NULL DEFAULT 'unknown' CHECK (status IN ('unknown', 'online', 'offline')),
    status_changed_at timestamptz,
    last_seen_at      timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE stations (
    id          serial PRIMARY KEY,
    code        text NOT NULL UNIQUE,
    name        text NOT NULL,
    unit_id     integer NOT NULL REFERENCES admin_units (id),
    domain      text NOT NULL,
    gateway_id  integer REFERENCES gateways (id),
    lat         double precision CHECK (lat BETWEEN -90 AND 90),
    lon         double precision CHECK (lon BETWEEN -180 AND 180),
    attributes  jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stations_unit_idx ON stations (unit_id);
CREATE INDEX stations_gateway_idx ON stations (gateway_id);

CREATE TABLE sensors (
    id          serial PRIMARY KEY,
    station_id  integer NOT NULL REFERENCES stations (id) ON DELETE CASCADE,
    metric      text NOT NULL,
    unit        text NOT NULL,
    valid_min   double precision,
    valid_max   double precision,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (station_id, metric),
    CHECK (valid_min IS NULL OR valid_max IS NULL OR valid_min <= valid_max)
);

-- Time series. Partitioned by day (UTC); retention drops whole partitions.
-- The primary key makes a redelivered reading a no-op (ON CONFLICT DO NOTHING).
CREATE TABLE readings (
    sensor_id  integer NOT NULL,
    ts         timestamptz NOT NULL,
    value      double precision NOT NULL,
    PRIMARY KEY (sensor_id, ts)
) PARTITION BY RANGE (ts);

-- Rollups per minute and per hour, maintained by the writer from the rows it actually inserted,
-- so late readings land in their own bucket and duplicates are not counted twice.
CREATE TABLE readings_1m (
    sensor_id  integer NOT NULL,
    bucket     timestamptz NOT NULL,
    min        double precision NOT NULL,
    max        double precision NOT NULL,
    sum        double precision NOT NULL,
    count      bigint NOT NULL,
    PRIMARY KEY (sensor_id, bucket)
);

CREATE TABLE readings_1h (LIKE readings_1m INCLUDING ALL);

-- The newest reading of each sensor.
CREATE TABLE latest_values (
    sensor_id  integer PRIMARY KEY,
    ts         timestamptz NOT NULL,
    value      double precision NOT NULL
);

-- Messages and records that could not be used, with a reason a person can act on.
CREATE TABLE dead_letters (
    id           bigserial PRIMARY KEY,
    received_at  timestamptz NOT NULL,
    topic        text NOT NULL,
    gateway      text,
    kind         text NOT NULL,
    reason       text NOT NULL,
    excerpt      text
);
CREATE INDEX dead_letters_received_idx ON dead_letters (received_at);
CREATE INDEX dead_letters_gateway_idx ON dead_letters (gateway, received_at);

-- Creates the daily partitions of `readings` covering [first_day, last_day] (UTC days).
CREATE FUNCTION ensure_readings_partitions(first_day date, last_day date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    d date := first_day;
    created integer := 0;
    part text;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('ioc.readings_partitions'));
    WHILE d <= last_day LOOP
        part := format('readings_%s', to_char(d, 'YYYYMMDD'));
        IF to_regclass(part) IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF readings FOR VALUES FROM (%L) TO (%L)',
                           part, d::timestamp AT TIME ZONE 'UTC', (d + 1)::timestamp AT TIME ZONE 'UTC');
            created := created + 1;
        END IF;
        d := d + 1;
    END LOOP;
    RETURN created;
END $$;

-- Drops the daily partitions that end on or before `cutoff` and the rollups older than it.
CREATE FUNCTION drop_readings_partitions_before(cutoff date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    part record;
    dropped integer := 0;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('ioc.readings_partitions'));
    FOR part IN
        SELECT c.relname FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'readings'::regclass AND c.relname ~ '^readings_[0-9]{8}$'
    LOOP
        IF to_date(substr(part.relname, 10), 'YYYYMMDD') + 1 <= cutoff THEN
            EXECUTE format('DROP TABLE %I', part.relname);
            dropped := dropped + 1;
        END IF;
    END LOOP;
    DELETE FROM readings_1m WHERE bucket < cutoff::timestamp AT TIME ZONE 'UTC';
    DELETE FROM readings_1h WHERE bucket < cutoff::timestamp AT TIME ZONE 'UTC';
    RETURN dropped;
END $$;
