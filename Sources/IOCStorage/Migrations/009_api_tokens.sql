-- API tokens. Only the SHA-256 of a token is stored; `prefix` (its first 12 characters, e.g.
-- ioc_Ab3dE7fG) names it in lists and finds the candidates to compare. A token is valid while it
-- is not revoked and not past expires_at. `unit_id` limits what it sees to that unit's subtree.
CREATE TABLE api_tokens (
    id            bigserial PRIMARY KEY,
    name          text NOT NULL UNIQUE,
    role          text NOT NULL CHECK (role IN ('viewer', 'display', 'operator', 'admin')),
    unit_id       integer REFERENCES admin_units (id),
    token_sha256  bytea NOT NULL UNIQUE CHECK (length(token_sha256) = 32),
    prefix        text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz,
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX api_tokens_prefix_idx ON api_tokens (prefix);
