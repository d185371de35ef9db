import { clientCommand, clientFlags } from "./support/client-context";
import { money, printJson, queueLine, say } from "./support/output";

export const queueCommand = clientCommand({
  name: "queue",
  usage: "queue",
  summary: "The offline queue: each payment or refund waiting to be sent, its attempts and last error.",
  flags: { ...clientFlags },
  async body(ctx) {
    const entries = ctx.store.listVisible();
    if (ctx.json) {
      printJson({
        entries: entries.map((e) => ({
          idempotency_key: e.idempotencyKey,
          to: e.toUsername,
          amount: money(e.amountMinor),
          amount_minor: e.amountMinor.toString(),
          refund_of: e.refundOf ?? undefined,
          state: e.state,
          attempts: e.attempts,
          last_error: e.lastError,
          next_attempt_at: new Date(e.nextAttemptAtMs).toISOString(),
        })),
      });
    } else if (entries.length === 0) say("the queue is empty");
    else {
      for (const e of entries) say(queueLine(e));
    }
    return 0;
  },
});
