-- Per-customer invoice numbering, as Stripe's customers have it: each
-- customer's invoice_prefix (3-12 of A-Z 0-9, unique) and the sequence its
-- next invoice takes when the server numbers per customer
-- (--invoice-numbering customer: PREFIX-0001, PREFIX-0002, ...).
-- Existing customers get a prefix here, in one statement that reads the same
-- on both backends and is one pass over a large table: the 8 base-36 digits,
-- lowest first, of an affine bijection of the row id modulo 36^8 (2654435 is
-- prime to 36, and 36^8 * 2654435 fits in 64 bits), so they are unique by
-- construction and do not read as a count. New customers get a random
-- prefix from the API (which checks it is free).
ALTER TABLE customers ADD COLUMN invoice_prefix TEXT;
ALTER TABLE customers ADD COLUMN next_invoice_sequence BIGINT NOT NULL DEFAULT 1;
UPDATE customers SET invoice_prefix =
    substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ', CAST(((id % 2821109907456) * 2654435 + 1234567) % 2821109907456 % 36 AS INTEGER) + 1, 1) ||
    substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ', CAST(((id % 2821109907456) * 2654435 + 1234567) % 2821109907456 / 36 % 36 AS INTEGER) + 1, 1) ||
    substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ', CAST(((id % 2821109907456) * 2654435 + 1234567) % 2821109907456 / 1296 % 36 AS INTEGER) + 1, 1) ||
    substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ', CAST(((id % 2821109907456) * 2654435 + 1234567) % 2821109907456 / 46656 % 36 AS INTEGER) + 1, 1) ||
    substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ', CAST(((id % 2821109907456) * 2654435 + 1234567) % 2821109907456 / 1679616 % 36 AS INTEGER) + 1, 1) ||
    substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ', CAST(((id % 2821109907456) * 2654435 + 1234567) % 2821109907456 / 60466176 % 36 AS INTEGER) + 1, 1) ||
    substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ', CAST(((id % 2821109907456) * 2654435 + 1234567) % 2821109907456 / 2176782336 % 36 AS INTEGER) + 1, 1) ||
    substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ', CAST(((id % 2821109907456) * 2654435 + 1234567) % 2821109907456 / 78364164096 % 36 AS INTEGER) + 1, 1);
CREATE UNIQUE INDEX customers_invoice_prefix ON customers (invoice_prefix);
