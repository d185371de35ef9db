import { payInput } from "../client/pay-input";
import { replayNote } from "../client/outbox";
import { clientCommand, clientFlags, flushQueue, requireSession } from "./support/client-context";
import { need, str, type Flags } from "./support/flags";
import { money, reportSent, type SentWords } from "./support/output";

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
    return reportSent(outcome, ctx, payWords);
  },
});

function inputOf(flags: Flags) {
  return payInput(need(flags, "to"), need(flags, "amount"), str(flags, "key"), str(flags, "note"));
}

/** `pay`'s words for one send. */
const payWords: SentWords = {
  noun: "payment",
  final({ payment: p, replayed }) {
    const again = replayNote(replayed, p.status);
    const line = p.status === "SUCCEEDED" ? `paid ${money(p.amount_minor, p.currency)} to ${p.payee}${again}: payment ${p.id}` : `payment declined: ${p.failure_code}: ${p.failure_message} (payment ${p.id})${again}`;
    return { line, json: { replayed } };
  },
};
