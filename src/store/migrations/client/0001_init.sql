-- The client's outbox: every payment is written here, with its idempotency
-- key, before its first send. Queued entries are re-sent with the same key.
CREATE TABLE outbox (
  idempotency_key TEXT PRIMARY KEY,
  username TEXT NOT NULL,
  to_username TEXT NOT NULL,
  amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
  note TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL CHECK (state IN ('queued', 'succeeded', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  payment_id TEXT,
  failure_code TEXT,
  created_at_ms INTEGER NOT NULL,
  next_attempt_at_ms INTEGER NOT NULL,
  -- A process sending this entry holds it until claimed_until_ms.
  claimed_by TEXT,
  claimed_until_ms INTEGER NOT NULL DEFAULT 0,
  finished_at_ms INTEGER,
  -- 1 once the user was told the final outcome.
  reported INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_due ON outbox (next_attempt_at_ms) WHERE state = 'queued';

CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
