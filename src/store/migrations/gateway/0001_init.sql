-- The gateway: users, sessions, and payments (which double as the
-- coordinator's log: a row is written before phase one, its decision before phase two).
CREATE TABLE users (
  username TEXT PRIMARY KEY,
  bank TEXT NOT NULL,
  account TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  totp_secret TEXT,
  created_at_ms INTEGER NOT NULL,
  password_changed_at_ms INTEGER NOT NULL,
  UNIQUE (bank, account)
);

-- Only a hash of each bearer token is kept.
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  username TEXT NOT NULL REFERENCES users (username),
  created_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  revoked_at_ms INTEGER
);
CREATE INDEX sessions_user ON sessions (username);

CREATE TABLE payments (
  id TEXT PRIMARY KEY, -- also the two-phase-commit transaction id
  payer TEXT NOT NULL REFERENCES users (username),
  -- NULL once the key's retention has passed; the payment itself stays.
  idempotency_key TEXT,
  fingerprint TEXT NOT NULL,
  payee TEXT NOT NULL REFERENCES users (username),
  payer_bank TEXT NOT NULL,
  payer_account TEXT NOT NULL,
  payee_bank TEXT NOT NULL,
  payee_account TEXT NOT NULL,
  amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
  currency TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  request_id TEXT NOT NULL DEFAULT '',
  -- NULL: undecided (PENDING). COMMIT: SUCCEEDED. ABORT: FAILED.
  decision TEXT CHECK (decision IN ('COMMIT', 'ABORT')),
  failure_code TEXT,
  failure_message TEXT,
  created_at_ms INTEGER NOT NULL,
  decided_at_ms INTEGER,
  -- Set once every participant acknowledged the decision.
  phase_two_done_at_ms INTEGER,
  UNIQUE (payer, idempotency_key)
);
CREATE INDEX payments_undecided ON payments (created_at_ms) WHERE decision IS NULL;
CREATE INDEX payments_phase_two ON payments (decided_at_ms) WHERE decision IS NOT NULL AND phase_two_done_at_ms IS NULL;
CREATE INDEX payments_payer ON payments (payer, id);
CREATE INDEX payments_payee ON payments (payee, id);
CREATE INDEX payments_key_age ON payments (created_at_ms) WHERE idempotency_key IS NOT NULL;

CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
