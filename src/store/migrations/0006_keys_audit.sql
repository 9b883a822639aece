-- Restricted keys, key roll, the audit log and events' request (issue 13).
-- See docs/internals/accounts.md.

-- type: a secret key may do everything keys may; a restricted key only what
-- permissions grants ("customers=write,products=read": sorted by resource,
-- read and write entries only; '' for secret keys). expires_at: set when the
-- key was rolled with a grace period; the key stops working at that time.
ALTER TABLE api_keys ADD COLUMN type TEXT NOT NULL DEFAULT 'secret' CHECK (type IN ('secret', 'restricted'));
ALTER TABLE api_keys ADD COLUMN permissions TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN expires_at BIGINT;

-- The request that caused an event (NULL for the billing engine's own).
ALTER TABLE events ADD COLUMN request_id TEXT;
ALTER TABLE events ADD COLUMN idempotency_key TEXT;

-- One row per successful write by a user or an API key, written in the
-- write's own transaction. actor_id is the api_keys or users row id; role
-- the user's role or secret_key / restricted_key; action "METHOD /route
-- pattern"; object_id the object's public id (it outlives a deleted row),
-- object_key its row id: the index is on (object_type, object_key), which
-- grows at its end as objects are created (an index on the public ids,
-- which look random, dirtied a page per write and cost a third of the
-- durable write rate). Rows are never deleted but oldest first, so plain
-- rowids stay increasing (no AUTOINCREMENT bookkeeping per insert).
CREATE TABLE audit_logs (
    id INTEGER PRIMARY KEY,
    created BIGINT NOT NULL,
    actor_type TEXT NOT NULL CHECK (actor_type IN ('api_key', 'user')),
    actor_id BIGINT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    object_type TEXT,
    object_id TEXT,
    object_key BIGINT,
    client_addr TEXT,
    request_id TEXT,
    idempotency_key TEXT
);
CREATE INDEX audit_logs_actor ON audit_logs (actor_type, actor_id, id);
CREATE INDEX audit_logs_object ON audit_logs (object_type, object_key, id);
