import { transactionIdField } from "../lib/fields";
import { limits } from "../lib/limits";
import { clientCommand, clientFlags, flushQueue, requireSession } from "./support/client-context";
import { UsageError } from "./support/exit";
import { intFlag, str, type Flags } from "./support/flags";
import { paymentJson, paymentLine, say } from "./support/output";

const limitOf = (flags: Flags) => intFlag(flags, "limit", limits.pageSizeDefault, 1, limits.pageSizeMax);

/** --before ID: a payment id, or "" for the newest page. */
function beforeOf(flags: Flags): string {
  const before = str(flags, "before");
  // Given empty (an unset shell variable), it would list the newest page as if not given.
  if (before === "") throw new UsageError("--before needs a value: --before PAYMENT_ID");
  if (before !== undefined) transactionIdField(before, "--before", `"${before.slice(0, 64)}" is not a payment id (see "ministripe payments")`);
  return before ?? "";
}

export const paymentsCommand = clientCommand({
  name: "payments",
  usage: "payments [--limit N] [--before PAYMENT_ID]",
  summary: "Your payments, sent and received, newest first; a refund names the payment it refunds.",
  flags: {
    limit: { type: "string", value: "N", help: `how many (1-${limits.pageSizeMax})`, default: String(limits.pageSizeDefault) },
    before: { type: "string", value: "PAYMENT_ID", help: "only those older than this payment (the last one listed, for the next page)" },
    ...clientFlags,
  },
  check(flags) {
    limitOf(flags);
    beforeOf(flags);
  },
  async body(ctx, flags) {
    const limit = limitOf(flags);
    const before = beforeOf(flags);
    requireSession(ctx);
    await flushQueue(ctx);
    const { payments } = await ctx.client.call("ListPayments", { limit, before_id: before }, { retry: true });
    // A full page may have older payments after it: where the next page starts (text: the last line's id).
    const nextBefore = payments.length === limit ? payments[payments.length - 1]!.id : undefined;
    if (ctx.json) ctx.printJson({ payments: payments.map((p) => paymentJson(p)), ...(nextBefore ? { next_before: nextBefore } : {}) });
    else if (payments.length === 0) say(before ? `no payments before ${before}` : "no payments yet");
    else for (const p of payments) say(paymentLine(p));
    return 0;
  },
});
