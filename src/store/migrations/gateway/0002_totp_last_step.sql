-- The last TOTP time step a user logged in with: a code is good once.
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;
