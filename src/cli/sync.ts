import type { SendOutcome } from "../client/outbox";
import { limits } from "../lib/limits";
import { clientCommand, clientFlags, queueOutcomesToTell, requireSession, type QueueOutcomeJson } from "./support/client-context";
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
    // Entries this pass did not reach (past its bound, or after the gateway stopped answering); not those another process is sending now.
    const waiting = ctx.store.countWaiting(session.username, Date.now(), (owner) => ctx.outbox.ownerAlive(owner));
    const moreQueued = waiting - outcomes.filter((o) => o.kind === "queued" || o.kind === "needs_login").length;
    const more = moreQueued > 0 ? `${moreQueued} more still queued: run "ministripe sync" again` : undefined;
    // One home, several users: what others queued here goes out in their sessions only.
    const others = ctx.store.queuedOfOthers(session.username);
    if (ctx.json) printJson({ outcomes: told, more_queued: Math.max(moreQueued, 0), queued_by_others: others.reduce((sum, o) => sum + o.n, 0) });
    else if (told.length === 0 && !more) say(others.length > 0 ? `nothing queued by ${session.username}` : "nothing queued");
    else for (const outcome of told) say(outcome.message);
    if (more && !ctx.json) say(more);
    if (others.length > 0 && !ctx.json) say(`waiting for other users of this home to log in here: ${others.map((o) => `${o.n} of ${o.username}'s`).join(", ")}`);
    ctx.store.markReported(told.map((o) => o.idempotency_key));
    return syncExitCode(outcomes, moreQueued, told);
  },
});

/** 3 when the session was refused (entries kept), 75 while something stays queued, else 1 when a payment it tells of (this pass's, or one finished earlier and told now) was declined or refused, else 0. */
function syncExitCode(outcomes: SendOutcome[], moreQueued: number, told: QueueOutcomeJson[]): number {
  if (outcomes.some((o) => o.kind === "needs_login")) return Exit.auth; // kept; the user must log in again
  if (outcomes.some((o) => o.kind === "queued") || moreQueued > 0) return Exit.queued;
  if (outcomes.some((o) => o.kind === "refused" || (o.kind === "final" && o.payment.status !== "SUCCEEDED"))) return Exit.declined;
  if (told.some((t) => t.state === "failed")) return Exit.declined;
  return Exit.ok;
}
