import { clientCommand, clientFlags } from "./client-context";
import { money, printJson, say } from "./output";

export const queueCommand = clientCommand({
  name: "queue",
  usage: "queue",
  summary: "The offline queue: each payment waiting to be sent, its attempts and last error.",
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
          state: e.state,
          attempts: e.attempts,
          last_error: e.lastError,
          next_attempt_at: new Date(e.nextAttemptAtMs).toISOString(),
        })),
      });
    } else if (entries.length === 0) say("the queue is empty");
    else {
      for (const e of entries) {
        say(`${e.idempotencyKey}  ${money(e.amountMinor)} to ${e.toUsername}  ${e.state}  attempts ${e.attempts}${e.lastError ? `  last error: ${e.lastError}` : ""}`);
      }
    }
    return 0;
  },
});
