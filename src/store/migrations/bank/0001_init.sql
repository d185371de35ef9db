-- A bank: accounts, two-phase-commit transactions, their pending amounts, the ledger.
CREATE TABLE accounts (
  number TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  balance_minor INTEGER NOT NULL CHECK (balance_minor >= 0),
  -- Sum of pending debits: available = balance - held, never below zero.
  held_minor INTEGER NOT NULL DEFAULT 0 CHECK (held_minor >= 0 AND held_minor <= balance_minor)
);

-- One row per transaction id ever seen; an aborted row with no amounts is a
-- tombstone that makes a late Prepare vote NO.
CREATE TABLE transactions (
  txid TEXT PRIMARY KEY,
  state TEXT NOT NULL CHECK (state IN ('prepared', 'committed', 'aborted')),
  request_id TEXT NOT NULL DEFAULT '',
  prepared_at_ms INTEGER NOT NULL,
  decided_at_ms INTEGER
);
CREATE INDEX transactions_prepared ON transactions (prepared_at_ms) WHERE state = 'prepared';

-- A transaction's effect on one account: pending, then posted or voided.
CREATE TABLE pending (
  txid TEXT NOT NULL REFERENCES transactions (txid),
  account TEXT NOT NULL REFERENCES accounts (number),
  delta_minor INTEGER NOT NULL CHECK (delta_minor <> 0),
  state TEXT NOT NULL CHECK (state IN ('pending', 'posted', 'voided')),
  PRIMARY KEY (txid, account)
);
CREATE INDEX pending_open ON pending (account) WHERE state = 'pending';

CREATE TABLE ledger (
  id INTEGER PRIMARY KEY,
  txid TEXT NOT NULL,
  account TEXT NOT NULL REFERENCES accounts (number),
  delta_minor INTEGER NOT NULL,
  balance_after_minor INTEGER NOT NULL CHECK (balance_after_minor >= 0),
  at_ms INTEGER NOT NULL,
  UNIQUE (txid, account)
);

CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
