-- Payments, first foundation (issue 14): payment methods, Stripe-shaped,
-- and the sandbox provider's ledger. A payment method keeps only what may
-- be shown (brand, last 4, expiry) and its provider's handle (ref); never
-- the card number or cvc.
CREATE TABLE payment_methods (
    id INTEGER PRIMARY KEY,
    provider TEXT NOT NULL,
    ref TEXT NOT NULL,
    type TEXT NOT NULL DEFAULT 'card',
    customer_id BIGINT REFERENCES customers (id),
    brand TEXT NOT NULL,
    last4 TEXT NOT NULL,
    exp_month BIGINT NOT NULL,
    exp_year BIGINT NOT NULL,
    funding TEXT,
    country TEXT,
    fingerprint TEXT,
    billing_details TEXT NOT NULL DEFAULT '{}',
    metadata TEXT NOT NULL DEFAULT '{}',
    created BIGINT NOT NULL
);
CREATE INDEX payment_methods_customer ON payment_methods (customer_id, id);

-- Stripe's invoice_settings.default_payment_method and a subscription's
-- default_payment_method (collection, which reads them, comes later).
ALTER TABLE customers ADD COLUMN default_payment_method_id BIGINT REFERENCES payment_methods (id);
ALTER TABLE subscriptions ADD COLUMN default_payment_method_id BIGINT REFERENCES payment_methods (id);

-- The sandbox provider's ledger: what it "charged" and refunded, one row
-- per provider idempotency key, so a repeated key answers the first
-- outcome and reconciliation after a crash can ask it. Written outside the
-- caller's transactions, as a remote provider's books would be.
CREATE TABLE sandbox_charges (
    id INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL, -- charge or refund
    charge_key TEXT,    -- refund: the charge's key
    method_ref TEXT,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    outcome TEXT NOT NULL, -- succeeded, failed, requires_action
    code TEXT,
    decline_code TEXT,
    message TEXT,
    retryable BIGINT NOT NULL DEFAULT 0,
    created BIGINT NOT NULL
);
CREATE INDEX sandbox_charges_refunds ON sandbox_charges (charge_key);
