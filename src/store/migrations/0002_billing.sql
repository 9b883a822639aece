-- Subscriptions, invoices, pending invoice items, events, test clocks and
-- the invoice number counter.

CREATE TABLE test_clocks (
    id INTEGER PRIMARY KEY,
    name TEXT,
    frozen_time BIGINT NOT NULL,
    status TEXT NOT NULL DEFAULT 'ready',
    metadata TEXT NOT NULL DEFAULT '{}',
    created BIGINT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0
);

ALTER TABLE customers ADD COLUMN test_clock_id BIGINT REFERENCES test_clocks (id);

CREATE TABLE subscriptions (
    id INTEGER PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    test_clock_id BIGINT REFERENCES test_clocks (id),
    status TEXT NOT NULL,
    currency TEXT NOT NULL,
    recurring_interval TEXT NOT NULL,
    interval_count BIGINT NOT NULL,
    collection_method TEXT NOT NULL,
    days_until_due BIGINT,
    billing_cycle_anchor BIGINT,
    requested_anchor BIGINT,
    trial_period_days BIGINT,
    requested_trial_end BIGINT,
    current_period_start BIGINT,
    current_period_end BIGINT,
    -- when the engine must look at it; NULL when nothing is due (draft, paused, canceled)
    next_billing_at BIGINT,
    trial_start BIGINT,
    trial_end BIGINT,
    cancel_at_period_end BIGINT NOT NULL DEFAULT 0,
    canceled_at BIGINT,
    ended_at BIGINT,
    paused_at BIGINT,
    start_date BIGINT,
    latest_invoice_id BIGINT,
    metadata TEXT NOT NULL DEFAULT '{}',
    created BIGINT NOT NULL
);
CREATE INDEX subscriptions_due ON subscriptions (next_billing_at, id) WHERE next_billing_at IS NOT NULL;
CREATE INDEX subscriptions_customer ON subscriptions (customer_id, id);
CREATE INDEX subscriptions_status ON subscriptions (status, id);
CREATE INDEX subscriptions_clock ON subscriptions (test_clock_id, next_billing_at) WHERE test_clock_id IS NOT NULL;

CREATE TABLE subscription_items (
    id INTEGER PRIMARY KEY,
    subscription_id BIGINT NOT NULL REFERENCES subscriptions (id),
    price_id BIGINT NOT NULL REFERENCES prices (id),
    -- copied from the price, which never changes: the engine reads no price row
    unit_amount BIGINT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity >= 0),
    metadata TEXT NOT NULL DEFAULT '{}',
    created BIGINT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX subscription_items_sub ON subscription_items (subscription_id, id);
CREATE INDEX subscription_items_price ON subscription_items (price_id, subscription_id);

CREATE TABLE invoices (
    id INTEGER PRIMARY KEY,
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
CREATE INDEX invoices_customer ON invoices (customer_id, id);
CREATE INDEX invoices_subscription ON invoices (subscription_id, id);
CREATE INDEX invoices_status ON invoices (status, id);
CREATE INDEX invoices_overdue ON invoices (due_date) WHERE status = 'open' AND past_due = 0 AND due_date IS NOT NULL;

CREATE TABLE invoice_lines (
    id INTEGER PRIMARY KEY,
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
CREATE INDEX invoice_lines_invoice ON invoice_lines (invoice_id, id);

-- Stripe's invoice items: pending (invoice_id NULL) until an invoice takes them.
CREATE TABLE invoice_items (
    id INTEGER PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    subscription_id BIGINT REFERENCES subscriptions (id),
    subscription_item_id BIGINT,
    invoice_id BIGINT REFERENCES invoices (id),
    price_id BIGINT,
    description TEXT,
    unit_amount BIGINT,
    quantity BIGINT NOT NULL DEFAULT 1,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    period_start BIGINT NOT NULL,
    period_end BIGINT NOT NULL,
    proration BIGINT NOT NULL DEFAULT 0,
    metadata TEXT NOT NULL DEFAULT '{}',
    created BIGINT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX invoice_items_pending ON invoice_items (customer_id, id) WHERE invoice_id IS NULL AND deleted = 0;
CREATE INDEX invoice_items_customer ON invoice_items (customer_id, id);
CREATE INDEX invoice_items_invoice ON invoice_items (invoice_id, id);

-- Every state change, written in the same transaction as the change.
-- mrr_before/after (monthly minor units, for subscription events) let
-- reports roll up movements without scanning history.
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id BIGINT NOT NULL,
    customer_id BIGINT,
    currency TEXT,
    mrr_before BIGINT,
    mrr_after BIGINT,
    data TEXT NOT NULL,
    created BIGINT NOT NULL
);
CREATE INDEX events_type ON events (type, id);
CREATE INDEX events_object ON events (object_id, id);

CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('invoice_number', 0);
