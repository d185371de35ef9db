-- The gateway's tables on PostgreSQL, shared by every gateway of a deployment.
-- Plain SQL that CockroachDB and YugabyteDB also run: no advisory locks, no
-- LISTEN/NOTIFY, no triggers. Times the gateways compare with each other
-- (signs of life) are the database's own (now()); the rest are a gateway's
-- milliseconds since the epoch, as in the SQLite engine.
CREATE TABLE users (
  username TEXT PRIMARY KEY,
  bank TEXT NOT NULL,
  account TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  totp_secret TEXT,
  -- The last TOTP time step a user logged in with: a code is good once.
  totp_last_step BIGINT,
  created_at_ms BIGINT NOT NULL,
  password_changed_at_ms BIGINT NOT NULL,
  UNIQUE (bank, account)
);

-- Only a hash of each bearer token is kept. Read on every call, never cached:
-- a logout on one gateway holds on every other at once.
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  username TEXT NOT NULL REFERENCES users (username),
  created_at_ms BIGINT NOT NULL,
  expires_at_ms BIGINT NOT NULL,
  revoked_at_ms BIGINT,
  -- SHA-256 of the client certificate the session was opened over (RFC 8705), hex.
  cert_sha256 TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (username);

CREATE TABLE payments (
  id TEXT PRIMARY KEY, -- also the two-phase-commit transaction id
  payer TEXT NOT NULL REFERENCES users (username),
  -- NULL once the key's retention has passed; the payment itself stays.
  -- Unique per payer: two gateways given one key at once insert one row.
  idempotency_key TEXT,
  fingerprint TEXT NOT NULL,
  payee TEXT NOT NULL REFERENCES users (username),
  payer_bank TEXT NOT NULL,
  payer_account TEXT NOT NULL,
  payee_bank TEXT NOT NULL,
  payee_account TEXT NOT NULL,
  amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
  currency TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  request_id TEXT NOT NULL DEFAULT '',
  -- NULL: undecided (PENDING). Written only WHERE decision IS NULL: the first decision stands.
  decision TEXT CHECK (decision IN ('COMMIT', 'ABORT')),
  failure_code TEXT,
  failure_message TEXT,
  created_at_ms BIGINT NOT NULL,
  decided_at_ms BIGINT,
  -- Set once every participant acknowledged the decision.
  phase_two_done_at_ms BIGINT,
  -- The gateway (its --name) finishing this payment; another adopts it when this one falls silent.
  coordinator TEXT NOT NULL,
  -- On a refund: the payment it refunds.
  refund_of TEXT REFERENCES payments (id),
  -- On a payment: its refunds' total that is not aborted, raised with a
  -- refund's claim and lowered with its abort, in the same transactions.
  refund_reserved_minor BIGINT NOT NULL DEFAULT 0
    CHECK (refund_reserved_minor >= 0 AND refund_reserved_minor <= amount_minor),
  UNIQUE (payer, idempotency_key)
);
CREATE INDEX payments_refunds ON payments (refund_of, id) WHERE refund_of IS NOT NULL;
CREATE INDEX payments_undecided ON payments (coordinator, created_at_ms) WHERE decision IS NULL;
CREATE INDEX payments_phase_two ON payments (coordinator, decided_at_ms, id) WHERE decision IS NOT NULL AND phase_two_done_at_ms IS NULL;
CREATE INDEX payments_payer ON payments (payer, id);
CREATE INDEX payments_payee ON payments (payee, id);
CREATE INDEX payments_key_age ON payments (created_at_ms) WHERE idempotency_key IS NOT NULL;
CREATE INDEX payments_decided_at ON payments (decided_at_ms);

-- Each gateway's sign of life, by the database's clock. `instance` tells a
-- gateway from a later one started with the same name.
CREATE TABLE gateways (
  name TEXT PRIMARY KEY,
  instance TEXT NOT NULL,
  started_at TIMESTAMPTZ NOT NULL,
  beat_at TIMESTAMPTZ NOT NULL
);

-- Failed logins per username and per address, counted across gateways.
CREATE TABLE login_failures (
  key TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  locked_until_ms BIGINT NOT NULL,
  last_ms BIGINT NOT NULL
);
