-- A session is bound to the client certificate it was opened over (RFC 8705):
-- the SHA-256 thumbprint of that certificate, hex. A session from before this
-- column ('') matches no certificate: its user logs in again.
ALTER TABLE sessions ADD COLUMN cert_sha256 TEXT NOT NULL DEFAULT '';
