-- Rules change through the API; the alert pipeline reloads when this counter moves.
CREATE TABLE rules_version (
    only_row  boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    version   bigint NOT NULL
);
INSERT INTO rules_version (only_row, version) VALUES (true, 1);

CREATE FUNCTION bump_rules_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE rules_version SET version = version + 1;
    RETURN NULL;
END $$;
CREATE TRIGGER rules_rules_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON rules
    FOR EACH STATEMENT EXECUTE FUNCTION bump_rules_version();

-- One alert: one activation of one rule on one sensor, from opening to resolution. `state` is the
-- current state; every change of it is an alert_events row. The station, metric, domain and
-- unit path are copied in so that lists and filters need no join and survive registry edits.
CREATE TABLE alerts (
    id               bigserial PRIMARY KEY,
    -- No foreign key: an alert outlives its rule and keeps the id it was raised under.
    rule_id          bigint,
    rule_name        text NOT NULL,
    sensor_id        integer NOT NULL,
    station_code     text NOT NULL,
    station_name     text NOT NULL,
    metric           text NOT NULL,
    unit             text NOT NULL,
    domain           text NOT NULL,
    unit_path        text[] NOT NULL,
    labels           jsonb NOT NULL DEFAULT '{}',
    state            text NOT NULL CHECK (state IN ('pending', 'firing', 'acknowledged', 'resolved')),
    severity         text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    level            text,
    value            double precision NOT NULL,
    opened_at        timestamptz NOT NULL,
    fired_at         timestamptz,
    acknowledged_at  timestamptz,
    acknowledged_by  text,
    resolved_at      timestamptz,
    resolved_by      text,
    resolution       text,
    assignee         text,
    -- Escalation: when the first page went out (wall clock; steps count from it), the next page
    -- of the alert's policies and when it is due (NULL: nothing due).
    paged_at         timestamptz,
    next_page        integer NOT NULL DEFAULT 0,
    next_page_at     timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
-- At most one open alert per rule and sensor: the pipeline finds it by this pair.
CREATE UNIQUE INDEX alerts_open_idx ON alerts (rule_id, sensor_id) WHERE state <> 'resolved';
CREATE INDEX alerts_state_idx ON alerts (state, severity);
CREATE INDEX alerts_opened_idx ON alerts (opened_at DESC);
CREATE INDEX alerts_station_idx ON alerts (station_code, opened_at DESC);
CREATE INDEX alerts_page_due_idx ON alerts (next_page_at) WHERE next_page_at IS NOT NULL;

CREATE TABLE alert_events (
    id          bigserial PRIMARY KEY,
    alert_id    bigint NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT now(),
    -- opened, transition, acknowledged, resolved, assigned, comment, paged, notification_suppressed
    kind        text NOT NULL,
    from_state  text,
    to_state    text,
    severity    text,
    level       text,
    value       double precision,
    actor       text,
    message     text NOT NULL
);
CREATE INDEX alert_events_alert_idx ON alert_events (alert_id, id);

-- Maintenance windows: an alert that matches every given matcher while the silence is active
-- still exists; its notifications are recorded as suppressed instead of sent.
CREATE TABLE silences (
    id          bigserial PRIMARY KEY,
    matchers    jsonb NOT NULL,
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    created_by  text NOT NULL,
    comment     text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
);
CREATE INDEX silences_active_idx ON silences (ends_at);

-- Paging configuration: each row's JSON form is validated by IOCCore before it is written.
CREATE TABLE contacts (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    definition  jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE rotas (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    definition  jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE escalation_policies (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    definition  jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Every notification is a row here before anything is sent (at-least-once across restarts).
-- pending rows are due at next_attempt_at; sent, failed (gave up) and suppressed are final.
CREATE TABLE notification_outbox (
    id               bigserial PRIMARY KEY,
    alert_id         bigint REFERENCES alerts (id) ON DELETE CASCADE,
    kind             text NOT NULL,
    policy           text,
    step             integer,
    contact          text,
    channel          text NOT NULL CHECK (channel IN ('webhook', 'email', 'sms', 'telegram')),
    address          text NOT NULL,
    subject          text NOT NULL,
    body             text NOT NULL,
    payload          jsonb NOT NULL,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'suppressed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    sent_at          timestamptz
);
CREATE INDEX notification_outbox_due_idx ON notification_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notification_outbox_alert_idx ON notification_outbox (alert_id);

-- The delivery log: one row per attempt.
CREATE TABLE notification_attempts (
    id           bigserial PRIMARY KEY,
    outbox_id    bigint NOT NULL REFERENCES notification_outbox (id) ON DELETE CASCADE,
    at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    ok           boolean NOT NULL,
    detail       text NOT NULL,
    duration_ms  double precision NOT NULL
);
CREATE INDEX notification_attempts_outbox_idx ON notification_attempts (outbox_id, id);
