-- An alert is about a sensor, a whole station, or a gateway (no-data rules `per` station or
-- gateway raise one alert for the group). `subject_key` names it: the sensor id, the station
-- code or the gateway code; the pipeline finds the open alert of a rule by (subject, key).
ALTER TABLE alerts
    ADD COLUMN subject text NOT NULL DEFAULT 'sensor' CHECK (subject IN ('sensor', 'station', 'gateway')),
    ADD COLUMN subject_key text,
    -- The rule's condition kind when the alert opened: messages about silence read differently.
    ADD COLUMN condition text NOT NULL DEFAULT '',
    -- The gateway that reports the station (for a gateway alert, the gateway itself).
    ADD COLUMN gateway_code text,
    ADD COLUMN gateway_name text,
    -- Set when somebody resolved the alert by hand while its condition may still hold: no new
    -- alert opens for the pair until the condition has been normal once. Kept here so that a
    -- restart remembers it.
    ADD COLUMN awaiting_normal boolean NOT NULL DEFAULT false;
UPDATE alerts SET subject_key = sensor_id::text;
ALTER TABLE alerts
    ALTER COLUMN subject_key SET NOT NULL,
    -- A station alert has no single sensor; a gateway alert has no station either.
    ALTER COLUMN sensor_id DROP NOT NULL,
    ALTER COLUMN station_code DROP NOT NULL,
    ALTER COLUMN station_name DROP NOT NULL,
    ALTER COLUMN metric DROP NOT NULL,
    ALTER COLUMN unit DROP NOT NULL,
    ALTER COLUMN domain DROP NOT NULL,
    ADD CHECK (subject <> 'sensor' OR sensor_id IS NOT NULL),
    ADD CHECK (subject <> 'station' OR station_code IS NOT NULL),
    ADD CHECK (subject <> 'gateway' OR gateway_code IS NOT NULL);

DROP INDEX alerts_open_idx;
CREATE UNIQUE INDEX alerts_open_idx ON alerts (rule_id, subject, subject_key) WHERE state <> 'resolved';
CREATE INDEX alerts_awaiting_idx ON alerts (rule_id, subject, subject_key) WHERE awaiting_normal;
CREATE INDEX alerts_gateway_idx ON alerts (gateway_code, opened_at DESC);
