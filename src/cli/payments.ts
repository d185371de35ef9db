import { limits } from "../lib/limits";
import { clientCommand, clientFlags, flushQueue, requireSession } from "./support/client-context";
import { intFlag, type Flags } from "./support/flags";
import { paymentJson, paymentLine, say } from "./support/output";

const limitOf = (flags: Flags) => intFlag(flags, "limit", limits.pageSizeDefault, 1, limits.pageSizeMax);

export const paymentsCommand = clientCommand({
  name: "payments",
  usage: "payments [--limit N]",
  summary: "Your payments, sent and received, newest first; a refund names the payment it refunds.",
  flags: {
    limit: { type: "string", value: "N", help: `how many (1-${limits.pageSizeMax})`, default: String(limits.pageSizeDefault) },
    ...clientFlags,
  },
  check(flags) {
    limitOf(flags);
  },
  async body(ctx, flags) {
    const limit = limitOf(flags);
    requireSession(ctx);
    await flushQueue(ctx);
    const { payments } = await ctx.client.call("ListPayments", { limit }, { retry: true });
    if (ctx.json) ctx.printJson({ payments: payments.map((p) => paymentJson(p)) });
    else if (payments.length === 0) say("no payments yet");
    else for (const p of payments) say(paymentLine(p));
    return 0;
  },
});
