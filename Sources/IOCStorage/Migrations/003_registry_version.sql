-- A counter that every change to what ingest reads from the registry moves forward, so that
-- `ioc serve` reloads its registry snapshot only when something changed (a check costs one row;
-- a reload of a large registry costs far more, every few seconds).
CREATE TABLE registry_version (
    only_row  boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    version   bigint NOT NULL
);
INSERT INTO registry_version (only_row, version) VALUES (true, 1);

CREATE FUNCTION bump_registry_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE registry_version SET version = version + 1;
    RETURN NULL;
END $$;

-- Gateways' status and last-seen times change all the time and are not part of the snapshot.
CREATE TRIGGER gateways_registry_version AFTER INSERT OR DELETE OR UPDATE OF code, enabled ON gateways
    FOR EACH STATEMENT EXECUTE FUNCTION bump_registry_version();
CREATE TRIGGER gateways_registry_version_truncate AFTER TRUNCATE ON gateways
    FOR EACH STATEMENT EXECUTE FUNCTION bump_registry_version();
CREATE TRIGGER stations_registry_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON stations
    FOR EACH STATEMENT EXECUTE FUNCTION bump_registry_version();
CREATE TRIGGER sensors_registry_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sensors
    FOR EACH STATEMENT EXECUTE FUNCTION bump_registry_version();
