import { clientCommand, clientFlags, flushQueue, requireSession } from "./support/client-context";
import { UsageError } from "./support/exit";
import { paymentJson, paymentLine, refundLines, say } from "./support/output";

export const paymentCommand = clientCommand({
  name: "payment",
  usage: "payment ID_OR_KEY",
  summary: "One payment's status, by its id or the idempotency key you used, with its refunds.",
  positionals: 1,
  flags: { ...clientFlags },
  check(_flags, positionals) {
    if (!positionals[0]) throw new UsageError("usage: ministripe payment ID_OR_KEY");
  },
  async body(ctx, _flags, positionals) {
    const idOrKey = positionals[0];
    if (!idOrKey) throw new UsageError("usage: ministripe payment ID_OR_KEY");
    requireSession(ctx);
    await flushQueue(ctx);
    const p = await ctx.client.call("GetPayment", { id_or_key: idOrKey }, { retry: true });
    if (ctx.json) ctx.printJson(paymentJson(p));
    else for (const line of [paymentLine(p), ...refundLines(p)]) say(line);
    return 0;
  },
});
