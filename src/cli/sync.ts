import type { SendOutcome } from "../client/outbox";
import { limits } from "../lib/limits";
import { clientCommand, clientFlags, queueOutcomesToTell, requireSession } from "./support/client-context";
import { Exit } from "./support/exit";
import { printJson, say } from "./support/output";

export const syncCommand = clientCommand({
  name: "sync",
  usage: "sync",
  summary: "Sends queued payments and refunds now and reports each outcome (exit 75 while some remain queued, 1 when one was declined).",
  flags: { ...clientFlags },
  async body(ctx) {
    const session = requireSession(ctx);
    const outcomes = await ctx.outbox.sync(session.username, limits.syncBlockMsMax, true);
    // This pass's outcomes, and those finished earlier that nobody told (a process ended before printing them).
    const told = queueOutcomesToTell(ctx, session.username, outcomes);
    if (ctx.json) printJson({ outcomes: told });
    else if (told.length === 0) say("nothing queued");
    else for (const outcome of told) say(outcome.message);
    ctx.store.markReported(told.map((o) => o.idempotency_key));
    return syncExitCode(outcomes);
  },
});

/** 3 when the session was refused (entries kept), 75 while something stays queued, else 1 when a payment was declined or refused, else 0. */
function syncExitCode(outcomes: SendOutcome[]): number {
  if (outcomes.some((o) => o.kind === "needs_login")) return Exit.auth; // kept; the user must log in again
  if (outcomes.some((o) => o.kind === "queued")) return Exit.queued;
  if (outcomes.some((o) => o.kind === "refused" || (o.kind === "final" && o.payment.status !== "SUCCEEDED"))) return Exit.declined;
  return Exit.ok;
}
