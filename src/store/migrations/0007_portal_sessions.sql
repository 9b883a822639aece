-- Billing portal sessions (issue 13): a single-use link that signs a
-- customer in to the portal, valid 15 minutes. Only the SHA-256 of the
-- link's token is kept; used_at is set once by one conditional UPDATE.
CREATE TABLE portal_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    return_url TEXT,
    created BIGINT NOT NULL,
    expires BIGINT NOT NULL,
    used_at BIGINT
);
