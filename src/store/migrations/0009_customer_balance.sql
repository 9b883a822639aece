-- Customer balance (issue 14): Stripe's customer.balance, in minor units of
-- balance_currency (set by the first transaction; negative is a credit the
-- customer holds). Every change is a customer_balance_transactions row
-- written by store_balance_txn_apply in the same transaction as the UPDATE of
-- customers.balance, so the balance always equals the sum of its rows and
-- each row's ending_balance is the balance after it.
ALTER TABLE customers ADD COLUMN balance BIGINT NOT NULL DEFAULT 0;
ALTER TABLE customers ADD COLUMN balance_currency TEXT;
CREATE TABLE customer_balance_transactions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    description TEXT,
    invoice_id BIGINT REFERENCES invoices (id),
    type TEXT NOT NULL,
    ending_balance BIGINT NOT NULL,
    created BIGINT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX customer_balance_transactions_customer ON customer_balance_transactions (customer_id, id);
-- What finalization applied to an invoice (Stripe's starting_balance and
-- ending_balance): the customer's balance before and after. The engine's
-- fast path never bills a customer with a balance, so its rows keep 0.
ALTER TABLE invoices ADD COLUMN starting_balance BIGINT NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN ending_balance BIGINT NOT NULL DEFAULT 0;
