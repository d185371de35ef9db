// `ministripe refund PAYMENT_ID`: the payee gives back all that remains of a
// payment, or --amount of it. Like `pay`, the refund goes through the outbox
// with its key: offline it is queued (exit 75) and sent later by `sync` or
// the shell. Its amount is fixed before it is queued, so a key always means
// one amount; without --amount that needs the gateway once, to learn what remains.
import { isUnreachable } from "../client/gateway-client";
import { allThatRemains, refundLine, type RefundAmount } from "../client/refund-amount";
import { AppError } from "../lib/errors";
import { noteTextField, transactionIdField, typedKeyField } from "../lib/fields";
import { parseAmountMinor } from "../lib/money";
import { clientCommand, clientFlags, flushQueue, requireSession, type ClientContext } from "./support/client-context";
import { UsageError } from "./support/exit";
import { str, type Flags } from "./support/flags";
import { reportSent, type SentWords } from "./support/output";

export const refundCommand = clientCommand({
  name: "refund",
  usage: "refund PAYMENT_ID [--amount 20.00] [--key IDEMPOTENCY_KEY] [--reason TEXT]",
  summary: "Refunds a payment you received, all that remains or --amount of it. Offline, queued (exit 75) like a payment when --amount is given.",
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
  // Length and control characters only: the gateway applies the rest after looking the key up, so a resend of a refund sent under an older rule is its replay.
  return { paymentId, amountMinor, key, reason: noteTextField(reason ?? "", "--reason") };
}

/** The amount to queue: --amount as given, else all that remains (src/client/refund-amount.ts). */
async function fixAmount(ctx: ClientContext, input: RefundInput): Promise<RefundAmount> {
  if (input.amountMinor !== undefined) return { amountMinor: input.amountMinor };
  try {
    return await allThatRemains(ctx.store, ctx.client, input.paymentId, input.key, { retry: true });
  } catch (error) {
    const appError = error as AppError;
    if (!isUnreachable(appError)) throw error;
    throw new AppError(appError.code, `${appError.message}; nothing was queued: without --amount the refund needs the gateway to learn what remains of payment ${input.paymentId}, so give --amount to queue it`);
  }
}

/** `refund`'s words for one send. */
const refundWords: SentWords = {
  noun: "refund",
  final: ({ payment, replayed, original }) => ({ line: refundLine(payment, replayed, original), json: { replayed, original } }),
};

