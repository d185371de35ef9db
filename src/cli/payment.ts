import type { WirePayment } from "../client/outbox";
import { clientFlags, flushQueue, withClient, requireSession } from "./client-context";
import { UsageError } from "./exit";
import type { Command } from "./flags";
import { paymentJson, paymentLine, printJson, say } from "./output";

export const paymentCommand: Command = {
  name: "payment",
  usage: "payment ID_OR_KEY",
  summary: "One payment's status, by its id or the idempotency key you used.",
  positionals: 1,
  flags: { ...clientFlags },
  async run(flags, positionals) {
    const idOrKey = positionals[0];
    if (!idOrKey) throw new UsageError("usage: ministripe payment ID_OR_KEY");
    return withClient(flags, async (ctx) => {
      requireSession(ctx);
      await flushQueue(ctx);
      const p = await ctx.client.call<WirePayment>("GetPayment", { id_or_key: idOrKey }, { retry: true });
      if (ctx.json) printJson(paymentJson(p));
      else say(paymentLine(p));
      return 0;
    });
  },
};
