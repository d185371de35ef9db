-- Refunds: a refund is a payment row from the original's payee to its payer,
-- with refund_of naming the original. The original's refund_reserved_minor is
-- the total of its refunds not aborted (pending or succeeded): raised in the
-- transaction that claims a refund, lowered in the one that aborts it. The
-- CHECK keeps it within the amount (refunds never exceed the payment), keeps
-- it on committed payments only, and at 0 on a refund (a refund cannot be refunded).
ALTER TABLE payments ADD COLUMN refund_of TEXT REFERENCES payments (id);
ALTER TABLE payments ADD COLUMN refund_reserved_minor INTEGER NOT NULL DEFAULT 0
  CHECK (refund_reserved_minor >= 0 AND refund_reserved_minor <= amount_minor
         AND (refund_reserved_minor = 0 OR (decision = 'COMMIT' AND refund_of IS NULL)));
CREATE INDEX payments_refunds ON payments (refund_of, id) WHERE refund_of IS NOT NULL;
