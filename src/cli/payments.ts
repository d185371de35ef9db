import type { WirePayment } from "../client/outbox";
import { clientFlags, flushQueue, withClient, requireSession } from "./client-context";
import { intFlag, type Command } from "./flags";
import { paymentJson, paymentLine, printJson, say } from "./output";
import { limits } from "../lib/limits";

export const paymentsCommand: Command = {
  name: "payments",
  usage: "payments [--limit N]",
  summary: "Your payments, sent and received, newest first.",
  flags: {
    limit: { type: "string", value: "N", help: `how many (1-${limits.pageSizeMax})`, default: String(limits.pageSizeDefault) },
    ...clientFlags,
  },
  async run(flags) {
    const limit = intFlag(flags, "limit", limits.pageSizeDefault, 1, limits.pageSizeMax);
    return withClient(flags, async (ctx) => {
      requireSession(ctx);
      await flushQueue(ctx);
      const { payments } = await ctx.client.call<{ payments: WirePayment[] }>("ListPayments", { limit }, { retry: true });
      if (ctx.json) printJson({ payments: payments.map((p) => paymentJson(p)) });
      else if (payments.length === 0) say("no payments yet");
      else for (const p of payments) say(paymentLine(p));
      return 0;
    });
  },
};
