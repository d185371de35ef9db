// What a refund is for, fixed before it is queued (`refund` and the
// dashboard's refund button): a key must always mean one amount, so without
// an amount given it is what this key's entry fixed when first queued, or
// what the refund sent under this key (from another device) was for, else
// all that remains, asked of the gateway now.
import type { CallSettings, GatewayClient } from "./gateway-client";
import { replayNote, type WirePayment } from "./outbox";
import { AppError, Code } from "../lib/errors";
import { formatMoney, minorFromWire } from "../lib/money";
import type { ClientStore } from "../store/client-store";

export interface RefundAmount {
  amountMinor: bigint;
  toUsername?: string;
}

/**
 * All that remains of payment `paymentId` for a refund under `key`. A payment
 * with nothing refundable is sent for its whole amount, so the gateway
 * answers why (refused before anything is written).
 */
export async function allThatRemains(store: ClientStore, client: GatewayClient, paymentId: string, key: string | undefined, settings: CallSettings): Promise<RefundAmount> {
  // A key the gateway refused binds nothing: "all that remains" is asked afresh.
  const queued = key === undefined ? undefined : store.binding(key);
  if (queued && queued.refundOf === paymentId) return { amountMinor: queued.amountMinor, toUsername: queued.toUsername || undefined };
  const sent = key === undefined ? undefined : await refundSentUnder(client, key, paymentId, settings);
  if (sent) return { amountMinor: minorFromWire(sent.amount_minor), toUsername: sent.payee };
  const payment = await client.call("GetPayment", { id_or_key: paymentId }, settings);
  const remainingMinor = minorFromWire(payment.refundable_minor);
  return { amountMinor: remainingMinor > 0n ? remainingMinor : minorFromWire(payment.amount_minor), toUsername: payment.payer };
}

/**
 * The refund of `paymentId` this user sent under `key` already, from this
 * home or another: a retry from a second device must send what the first
 * sent (by then nothing may remain), so the gateway answers it as a replay,
 * not as the key used with another amount.
 */
async function refundSentUnder(client: GatewayClient, key: string, paymentId: string, settings: CallSettings): Promise<WirePayment | undefined> {
  try {
    const found = await client.call("GetPayment", { id_or_key: key }, settings);
    return found.idempotency_key === key && found.refund_of === paymentId ? found : undefined;
  } catch (error) {
    // No refund under this key yet (or an id of a payment that is not this user's).
    if (error instanceof AppError && (error.code === Code.NotFound || error.code === Code.PermissionDenied)) return undefined;
    throw error;
  }
}

/** A refund's final outcome in the words `refund` prints and the dashboard shows. */
export function refundLine(r: WirePayment, replayed: boolean, original: WirePayment | undefined): string {
  const again = replayNote(replayed, r.status);
  if (r.status !== "SUCCEEDED") return `refund declined: ${r.failure_code}: ${r.failure_message} (refund ${r.id} of payment ${r.refund_of}; nothing moved)${again}`;
  const remains = original ? `; ${formatMoney(original.refundable_minor, original.currency)} of it remains refundable` : "";
  return `refunded ${formatMoney(r.amount_minor, r.currency)} of payment ${r.refund_of} to ${r.payee}${again}: refund ${r.id}${remains}`;
}
