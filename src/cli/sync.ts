import { limits } from "../lib/limits";
import { clientFlags, describeOutcome, openClient, requireSession } from "./client-context";
import { Exit } from "./exit";
import type { Command } from "./flags";
import { printJson, say } from "./output";

export const syncCommand: Command = {
  name: "sync",
  usage: "sync",
  summary: "Sends queued payments now and reports each outcome (exit 75 while some remain queued).",
  flags: { ...clientFlags },
  async run(flags) {
    const ctx = openClient(flags);
    try {
      const session = requireSession(ctx);
      const outcomes = await ctx.outbox.sync(session.username, limits.syncBlockMsMax, true);
      if (ctx.json) printJson({ outcomes: outcomes.map((o) => ({ kind: o.kind, idempotency_key: o.key, message: describeOutcome(o), payment: o.kind === "final" ? o.payment : undefined })) });
      else if (outcomes.length === 0) say("nothing queued");
      else for (const outcome of outcomes) say(describeOutcome(outcome));
      return outcomes.some((o) => o.kind === "queued" || o.kind === "needs_login") ? Exit.queued : Exit.ok;
    } finally {
      ctx.close();
    }
  },
};
