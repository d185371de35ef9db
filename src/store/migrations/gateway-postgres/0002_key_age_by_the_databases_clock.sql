-- A key's age is judged by the database's clock, as lives and deaths are
-- (SPEC: never two machines' clocks compared): created_at_ms is the claiming
-- gateway's clock, and another gateway prunes against its own. Rows claimed
-- before this migration take its time (kept a full retention from now: late,
-- never early).
ALTER TABLE payments ADD COLUMN claimed_at TIMESTAMPTZ NOT NULL DEFAULT now();
DROP INDEX payments_key_age;
CREATE INDEX payments_key_claimed_at ON payments (claimed_at) WHERE idempotency_key IS NOT NULL;
