-- A refund waits in the outbox like a payment: refund_of names the payment
-- it refunds (NULL for a payment), note holds its reason, amount_minor is
-- fixed when it is queued (so its key always means one amount), and
-- to_username is the payer it goes back to ('' when not yet known).
ALTER TABLE outbox ADD COLUMN refund_of TEXT;
