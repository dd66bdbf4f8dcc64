-- The audit trail: every change of configuration (rules, silences, contacts, rotas, escalation
-- policies, tokens) and every operator action on an alert, through the API or the CLI. `actor`
-- is the token's name (`cli:USER` from the command line); `before` and `after` the entity as
-- JSON (null when it did not exist before or does not after). Append-only: a trigger refuses
-- UPDATE, DELETE and TRUNCATE, so not even the owner changes history without dropping the trigger.
CREATE TABLE audit_log (
    id      bigserial PRIMARY KEY,
    at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor   text NOT NULL,
    action  text NOT NULL,
    entity  text NOT NULL,
    key     text NOT NULL,
    before  jsonb,
    after   jsonb
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, key);

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
