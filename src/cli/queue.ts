import { clientCommand, clientFlags, describeFinishedEntry } from "./support/client-context";
import { offlineLimits } from "../lib/limits";
import { money, printJson, queueLine, say } from "./support/output";

export const queueCommand = clientCommand({
  name: "queue",
  usage: "queue",
  summary: "The offline queue: each payment or refund waiting to be sent, its attempts and last error, and each one sent since whose outcome you were not yet told.",
  flags: { ...clientFlags },
  async body(ctx) {
    const entries = ctx.store.listVisible(offlineLimits.queueListedEntriesMax);
    const notShown = ctx.store.countVisible() - entries.length;
    if (ctx.json) {
      printJson({
        entries: entries.map((e) => ({
          idempotency_key: e.idempotencyKey,
          username: e.username,
          to: e.toUsername,
          amount: money(e.amountMinor),
          amount_minor: e.amountMinor.toString(),
          refund_of: e.refundOf ?? undefined,
          state: e.state,
          attempts: e.attempts,
          last_error: e.lastError,
          next_attempt_at: new Date(e.nextAttemptAtMs).toISOString(),
          payment_id: e.paymentId ?? undefined,
          outcome: e.state === "queued" ? undefined : describeFinishedEntry(e),
        })),
        not_shown: Math.max(notShown, 0),
      });
    } else if (entries.length === 0) say("the queue is empty");
    else {
      for (const e of entries) say(queueLine(e, ctx.session?.username));
      if (notShown > 0) say(`... and ${notShown} more not shown (the oldest ${entries.length} are listed)`);
    }
    // A finished entry listed here had not been told: now it has, to its own user (another user of this home is told at their next command).
    ctx.store.markReported(entries.filter((e) => e.state !== "queued" && e.username === ctx.session?.username).map((e) => e.idempotencyKey));
    return 0;
  },
});
