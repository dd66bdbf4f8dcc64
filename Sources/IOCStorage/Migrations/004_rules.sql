-- Alert rules. `definition` is the rule's JSON form (see AlertRule in IOCCore), validated by the API
-- before it is stored; name, enabled, severity and kind are kept beside it for plain SQL reading.
CREATE TABLE rules (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL,
    enabled     boolean NOT NULL DEFAULT true,
    severity    text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    kind        text NOT NULL CHECK (kind IN ('levels', 'rate_of_change', 'window', 'no_data')),
    definition  jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rules_enabled_idx ON rules (enabled);
