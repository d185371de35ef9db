-- A second factor's new secret waiting for its first code (mfa enable, then
-- mfa confirm): it turns MFA on only once the user shows they can read it.
ALTER TABLE users ADD COLUMN totp_pending_secret TEXT;
