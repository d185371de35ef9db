// Payment rows as wire messages.
import { minorToWire } from "../lib/money";
import type { PaymentRow } from "../store/gateway-store";

export function paymentToWire(row: PaymentRow) {
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
  };
}
