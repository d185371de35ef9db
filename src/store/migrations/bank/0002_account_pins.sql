-- Registration proves the account is yours: an Argon2id hash of the holder's
-- PIN (NULL: not enabled for online payments) and the wrong PINs counted
-- against it, kept on disk so a restart does not reset the count.
ALTER TABLE accounts ADD COLUMN pin_hash TEXT;
ALTER TABLE accounts ADD COLUMN pin_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN pin_blocked_until_ms INTEGER NOT NULL DEFAULT 0;
