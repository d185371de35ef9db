import type { SendOutcome } from "../client/outbox";
import { payInput } from "../client/pay-input";
import { AppError, Code } from "../lib/errors";
import { clientCommand, clientFlags, flushQueue, requireSession, type ClientContext } from "./client-context";
import { Exit } from "./exit";
import { need, str, type Flags } from "./flags";
import { money, paymentJson, printJson, say, warn } from "./output";

export const payCommand = clientCommand({
  name: "pay",
  usage: "pay --to USERNAME --amount 100.50 [--key IDEMPOTENCY_KEY] [--note TEXT]",
  summary: "Pays another user. Offline, the payment is queued (exit 75) and sent later with the same key.",
  flags: {
    to: { type: "string", value: "USERNAME", help: "the payee's username" },
    amount: { type: "string", value: "AMOUNT", help: "a decimal amount such as 100.50" },
    key: { type: "string", help: "the idempotency key (default: a new UUID); reuse it to retry safely" },
    note: { type: "string", value: "TEXT", help: "a note for the payee" },
    ...clientFlags,
  },
  check(flags) {
    inputOf(flags);
  },
  async body(ctx, flags) {
    const { toUsername, amountMinor, key, note } = inputOf(flags);
    const session = requireSession(ctx);
    await flushQueue(ctx);
    const outcome = await ctx.outbox.pay({ username: session.username, toUsername, amountMinor, note, key });
    return report(outcome, ctx);
  },
});

function inputOf(flags: Flags) {
  return payInput(need(flags, "to"), need(flags, "amount"), str(flags, "key"), str(flags, "note"));
}

function report(outcome: SendOutcome, ctx: ClientContext): number {
  const json = ctx.json;
  switch (outcome.kind) {
    case "final": {
      const p = outcome.payment;
      if (json) printJson(paymentJson(p, { replayed: outcome.replayed }));
      else if (p.status === "SUCCEEDED") say(`paid ${money(p.amount_minor, p.currency)} to ${p.payee}${outcome.replayed ? " (already done earlier with this key)" : ""}: payment ${p.id}`);
      else say(`payment declined: ${p.failure_code}: ${p.failure_message} (payment ${p.id})`);
      return p.status === "SUCCEEDED" ? Exit.ok : Exit.declined;
    }
    case "queued":
      ctx.onQueued();
      if (json) printJson({ queued: true, idempotency_key: outcome.key, reason: outcome.reason });
      else warn(`${outcome.reason}; payment queued with key ${outcome.key} and will be sent when the gateway is back`);
      return Exit.queued;
    case "needs_login":
      throw new AppError(Code.Unauthenticated, `${outcome.reason}; the payment stays queued (key ${outcome.key}) and is sent after you log in`);
    case "refused":
      throw outcome.error;
  }
}
