-- The installation's settings, and public ids that are never handed out twice.
--
-- settings.ids_key keys the public id permutation (core/ids.c): 32 hex
-- digits, a random SipHash key made by store_migrate right after this
-- migration when the row is missing, or 'legacy' for a database that
-- already has rows: its ids were made with the constant key of before and
-- must never change.

CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

INSERT INTO settings (name, value)
SELECT 'ids_key', 'legacy'
WHERE EXISTS (SELECT 1 FROM api_keys) OR EXISTS (SELECT 1 FROM products)
   OR EXISTS (SELECT 1 FROM prices) OR EXISTS (SELECT 1 FROM customers)
   OR EXISTS (SELECT 1 FROM test_clocks) OR EXISTS (SELECT 1 FROM subscriptions)
   OR EXISTS (SELECT 1 FROM subscription_items) OR EXISTS (SELECT 1 FROM invoices)
   OR EXISTS (SELECT 1 FROM invoice_lines) OR EXISTS (SELECT 1 FROM invoice_items)
   OR EXISTS (SELECT 1 FROM events);

-- [sqlite only]
-- SQLite gives a new row max(rowid) + 1, so deleting the newest row would
-- hand its id out again; AUTOINCREMENT keeps the largest id ever used in
-- sqlite_sequence instead. Draft invoices and their lines are the rows the
-- program deletes (everything else public is flagged deleted and kept), so
-- those two tables are rebuilt with it: create, copy, drop, rename, then
-- the indexes again (store_migrate runs migrations with foreign key
-- enforcement off on SQLite and checks every reference before committing).
-- PostgreSQL's identity sequences never give a value twice.

CREATE TABLE invoices_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    subscription_id BIGINT REFERENCES subscriptions (id),
    status TEXT NOT NULL,
    number TEXT UNIQUE,
    currency TEXT NOT NULL,
    billing_reason TEXT NOT NULL,
    collection_method TEXT NOT NULL,
    days_until_due BIGINT,
    -- set on the invoice that bills a subscription period: at most one per period
    cycle_period_start BIGINT,
    period_start BIGINT NOT NULL,
    period_end BIGINT NOT NULL,
    subtotal BIGINT NOT NULL DEFAULT 0,
    total BIGINT NOT NULL DEFAULT 0,
    amount_due BIGINT NOT NULL DEFAULT 0,
    amount_paid BIGINT NOT NULL DEFAULT 0,
    amount_remaining BIGINT NOT NULL DEFAULT 0,
    due_date BIGINT,
    past_due BIGINT NOT NULL DEFAULT 0,
    paid_out_of_band BIGINT NOT NULL DEFAULT 0,
    description TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    created BIGINT NOT NULL,
    finalized_at BIGINT,
    paid_at BIGINT,
    voided_at BIGINT,
    marked_uncollectible_at BIGINT,
    UNIQUE (subscription_id, cycle_period_start)
);
INSERT INTO invoices_new (id, customer_id, subscription_id, status, number, currency, billing_reason,
    collection_method, days_until_due, cycle_period_start, period_start, period_end, subtotal, total,
    amount_due, amount_paid, amount_remaining, due_date, past_due, paid_out_of_band, description, metadata,
    created, finalized_at, paid_at, voided_at, marked_uncollectible_at)
SELECT id, customer_id, subscription_id, status, number, currency, billing_reason,
    collection_method, days_until_due, cycle_period_start, period_start, period_end, subtotal, total,
    amount_due, amount_paid, amount_remaining, due_date, past_due, paid_out_of_band, description, metadata,
    created, finalized_at, paid_at, voided_at, marked_uncollectible_at
FROM invoices;
DROP TABLE invoices;
ALTER TABLE invoices_new RENAME TO invoices;
CREATE INDEX invoices_customer ON invoices (customer_id, id);
CREATE INDEX invoices_subscription ON invoices (subscription_id, id);
CREATE INDEX invoices_status ON invoices (status, id);
CREATE INDEX invoices_overdue ON invoices (due_date) WHERE status = 'open' AND past_due = 0 AND due_date IS NOT NULL;

CREATE TABLE invoice_lines_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    line_type TEXT NOT NULL,
    subscription_id BIGINT,
    subscription_item_id BIGINT,
    invoice_item_id BIGINT,
    price_id BIGINT,
    description TEXT,
    unit_amount BIGINT,
    quantity BIGINT,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    period_start BIGINT NOT NULL,
    period_end BIGINT NOT NULL,
    proration BIGINT NOT NULL DEFAULT 0
);
INSERT INTO invoice_lines_new (id, invoice_id, line_type, subscription_id, subscription_item_id,
    invoice_item_id, price_id, description, unit_amount, quantity, amount, currency, period_start,
    period_end, proration)
SELECT id, invoice_id, line_type, subscription_id, subscription_item_id,
    invoice_item_id, price_id, description, unit_amount, quantity, amount, currency, period_start,
    period_end, proration
FROM invoice_lines;
DROP TABLE invoice_lines;
ALTER TABLE invoice_lines_new RENAME TO invoice_lines;
CREATE INDEX invoice_lines_invoice ON invoice_lines (invoice_id, id);

-- Ids deleted before this migration: the events still name deleted
-- invoices, so the sequence starts past them too.
DELETE FROM sqlite_sequence WHERE name IN ('invoices', 'invoice_lines');
INSERT INTO sqlite_sequence (name, seq)
VALUES ('invoices', max(coalesce((SELECT max(id) FROM invoices), 0),
                        coalesce((SELECT max(object_id) FROM events WHERE object_type = 'invoice'), 0))),
       ('invoice_lines', coalesce((SELECT max(id) FROM invoice_lines), 0));
-- [end sqlite only]
