-- Accounts (issue 13): staff and customer users, their sessions, password
-- reset tokens, the mail outbox and the counters of the abuse limits.
-- Every secret is stored as its SHA-256 (hex) or, for passwords, as an
-- argon2id string: a dump of this database holds no usable credential.
-- See docs/internals/accounts.md.

-- email_key is the address lowercased (ASCII) by the service: the unique key,
-- so "Ann@x.io" and "ann@x.io" are one account on both backends. role is one
-- of core/accounts.h's closed set; customer_id is set exactly for customers.
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    name TEXT,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'finance', 'support', 'analyst', 'customer')),
    customer_id BIGINT REFERENCES customers (id),
    password_hash TEXT,
    disabled BIGINT NOT NULL DEFAULT 0,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT NOT NULL DEFAULT 0,
    last_login BIGINT,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    CHECK ((role = 'customer') = (customer_id IS NOT NULL))
);
CREATE INDEX users_customer ON users (customer_id);

-- token_hash: SHA-256 of the 256-bit cookie token. The CSRF token is not a
-- credential on its own (it is useless without the cookie) and is handed
-- back by GET /v1/auth/session, so it is kept as is.
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    idle_expires BIGINT NOT NULL,
    expires BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX sessions_user ON sessions (user_id, id);
CREATE INDEX sessions_expires ON sessions (expires);

CREATE TABLE password_resets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    created BIGINT NOT NULL,
    expires BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX password_resets_user ON password_resets (user_id, id);

-- Mail to send, written in the transaction that decided to send it; a
-- sender delivers it after the commit and retries (next_attempt) until
-- sent_at is set. The body may hold a reset link: it is deleted once sent.
CREATE TABLE mail_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    to_addr TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT,
    created BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt BIGINT NOT NULL,
    sent_at BIGINT,
    last_error TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt, id) WHERE sent_at IS NULL;

-- Fixed-window counters of the abuse limits: one row per key ("login:ip:..",
-- "login:email:..", "signup:ip:..", "reset:email:..") and window start.
CREATE TABLE auth_limits (
    bucket TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
