// `ministripe refund PAYMENT_ID`: the payee gives back all that remains of a
// payment, or --amount of it. Like `pay`, the refund goes through the outbox
// with its key: offline it is queued (exit 75) and sent later by `sync` or
// the shell. Its amount is fixed before it is queued, so a key always means
// one amount; without --amount that needs the gateway once, to learn what remains.
import type { WirePayment } from "../client/outbox";
import { isUnreachable } from "../client/gateway-client";
import { AppError } from "../lib/errors";
import { noteField, transactionIdField, typedKeyField } from "../lib/fields";
import { minorFromWire, parseAmountMinor } from "../lib/money";
import { clientCommand, clientFlags, flushQueue, requireSession, type ClientContext } from "./support/client-context";
import { UsageError } from "./support/exit";
import { str, type Flags } from "./support/flags";
import { money, reportSent, type SentWords } from "./support/output";

export const refundCommand = clientCommand({
  name: "refund",
  usage: "refund PAYMENT_ID [--amount 20.00] [--key IDEMPOTENCY_KEY] [--reason TEXT]",
  summary: "Refunds a payment you received, all that remains or --amount of it. Offline, queued (exit 75) like a payment.",
  positionals: 1,
  flags: {
    amount: { type: "string", value: "AMOUNT", help: "how much to give back, such as 20.00 (default: all that remains refundable)" },
    key: { type: "string", help: "the idempotency key (default: a new UUID); reuse it to retry safely" },
    reason: { type: "string", value: "TEXT", help: "why, for the payer" },
    ...clientFlags,
  },
  check(flags, positionals) {
    inputOf(flags, positionals);
  },
  async body(ctx, flags, positionals) {
    const input = inputOf(flags, positionals);
    const session = requireSession(ctx);
    await flushQueue(ctx);
    const fixed = await fixAmount(ctx, input);
    const outcome = await ctx.outbox.refund({ username: session.username, paymentId: input.paymentId, reason: input.reason, key: input.key, ...fixed });
    return reportSent(outcome, ctx, refundWords);
  },
});

function inputOf(flags: Flags, positionals: string[]): RefundInput {
  const paymentId = positionals[0];
  if (!paymentId) throw new UsageError("usage: ministripe refund PAYMENT_ID [--amount 20.00] [--key KEY] [--reason TEXT]");
  return refundInput(paymentId, str(flags, "amount"), str(flags, "key"), str(flags, "reason"));
}

interface RefundInput {
  paymentId: string;
  amountMinor: bigint | undefined;
  key: string | undefined;
  reason: string;
}

/** Checks a refund's fields as typed. */
export function refundInput(paymentId: string, amountText: string | undefined, key: string | undefined, reason: string | undefined): RefundInput {
  transactionIdField(paymentId, "PAYMENT_ID", `"${paymentId.slice(0, 64)}" is not a payment id (see "ministripe payments")`);
  const amountMinor = amountText === undefined ? undefined : parseAmountMinor(amountText, "--amount");
  typedKeyField(key);
  return { paymentId, amountMinor, key, reason: noteField(reason ?? "", "--reason") };
}

/**
 * The amount to queue. --amount as given; else what this key's entry fixed
 * when it was first queued; else all that remains, asked of the gateway now.
 * A payment with nothing refundable is sent for its whole amount, so the
 * gateway answers why (refused before anything is written).
 */
async function fixAmount(ctx: ClientContext, input: RefundInput): Promise<{ amountMinor: bigint; toUsername?: string }> {
  if (input.amountMinor !== undefined) return { amountMinor: input.amountMinor };
  const queued = input.key === undefined ? undefined : ctx.store.get(input.key);
  if (queued && queued.refundOf === input.paymentId) return { amountMinor: queued.amountMinor, toUsername: queued.toUsername || undefined };
  let payment: WirePayment;
  try {
    payment = await ctx.client.call("GetPayment", { id_or_key: input.paymentId }, { retry: true });
  } catch (error) {
    const appError = error as AppError;
    if (!isUnreachable(appError)) throw error;
    throw new AppError(appError.code, `${appError.message}; nothing was queued: without --amount the refund needs the gateway to learn what remains of payment ${input.paymentId}, so give --amount to queue it`);
  }
  const remainingMinor = minorFromWire(payment.refundable_minor);
  return { amountMinor: remainingMinor > 0n ? remainingMinor : minorFromWire(payment.amount_minor), toUsername: payment.payer };
}

/** `refund`'s words for one send. */
const refundWords: SentWords = {
  noun: "refund",
  final: ({ payment, replayed, original }) => ({ line: describeRefund(payment, replayed, original), json: { replayed, original } }),
};

function describeRefund(r: WirePayment, replayed: boolean, original: WirePayment | undefined): string {
  if (r.status !== "SUCCEEDED") return `refund declined: ${r.failure_code}: ${r.failure_message} (refund ${r.id} of payment ${r.refund_of}; nothing moved)`;
  const again = replayed ? " (already done earlier with this key)" : "";
  const remains = original ? `; ${money(original.refundable_minor, original.currency)} of it remains refundable` : "";
  return `refunded ${money(r.amount_minor, r.currency)} of payment ${r.refund_of} to ${r.payee}${again}: refund ${r.id}${remains}`;
}
