-- The foundation: API keys, idempotency keys, products, prices, customers.
-- Written in SQL both SQLite and PostgreSQL read; dialect.c rewrites
-- "INTEGER PRIMARY KEY" for PostgreSQL. Other integers are BIGINT.
-- Booleans are BIGINT 0/1. Timestamps are Unix seconds. Metadata is JSON text.

CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    secret_hash TEXT NOT NULL UNIQUE,
    last4 TEXT NOT NULL,
    name TEXT,
    created BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE idempotency_keys (
    id INTEGER PRIMARY KEY,
    api_key_id BIGINT NOT NULL,
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status BIGINT NOT NULL,
    response TEXT NOT NULL,
    created BIGINT NOT NULL,
    UNIQUE (api_key_id, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created);

CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT,
    active BIGINT NOT NULL DEFAULT 1,
    metadata TEXT NOT NULL DEFAULT '{}',
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX products_active ON products (active, id);

CREATE TABLE prices (
    id INTEGER PRIMARY KEY,
    product_id BIGINT NOT NULL REFERENCES products (id),
    nickname TEXT,
    unit_amount BIGINT NOT NULL CHECK (unit_amount >= 0),
    currency TEXT NOT NULL,
    recurring_interval TEXT,
    interval_count BIGINT,
    trial_period_days BIGINT,
    lookup_key TEXT UNIQUE,
    active BIGINT NOT NULL DEFAULT 1,
    metadata TEXT NOT NULL DEFAULT '{}',
    created BIGINT NOT NULL
);
CREATE INDEX prices_product ON prices (product_id, id);
CREATE INDEX prices_active ON prices (active, id);

CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    email TEXT,
    name TEXT,
    phone TEXT,
    description TEXT,
    address TEXT,
    currency TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    created BIGINT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX customers_email ON customers (email, id);
