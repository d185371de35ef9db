// Payment rows as wire messages.
import { minorToWire } from "../lib/money";
import type { Payment, Whole } from "../rpc/wire/messages";
import type { PaymentRow } from "../store/gateway-store";

/** What a payment's wire form says about its refunds, when the caller read them. */
export interface RefundsSeen {
  refundedMinor?: bigint;
  refunds?: PaymentRow[];
}

export function paymentToWire(row: PaymentRow, seen: RefundsSeen = {}): Whole<Payment> {
  return {
    id: row.id,
    idempotency_key: row.idempotencyKey ?? "",
    payer: row.payer,
    payee: row.payee,
    amount_minor: minorToWire(row.amountMinor),
    currency: row.currency,
    note: row.note,
    status: row.decision === null ? "PENDING" : row.decision === "COMMIT" ? "SUCCEEDED" : "FAILED",
    failure_code: row.failureCode ?? "",
    failure_message: row.failureMessage ?? "",
    created_at_ms: row.createdAtMs,
    decided_at_ms: row.decidedAtMs ?? 0,
    refund_of: row.refundOf ?? "",
    refunded_minor: minorToWire(seen.refundedMinor ?? 0n),
    refundable_minor: minorToWire(refundableMinor(row)),
    refunds: (seen.refunds ?? []).map((refund) => paymentToWire(refund)),
  };
}

/** What remains refundable now: a succeeded payment's amount less its refunds not aborted. */
function refundableMinor(row: PaymentRow): bigint {
  if (row.decision !== "COMMIT" || row.refundOf !== null) return 0n;
  return row.amountMinor - row.refundReservedMinor;
}
