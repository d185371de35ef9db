import type { SendOutcome } from "../client/outbox";
import { AppError, Code } from "../lib/errors";
import { limits } from "../lib/limits";
import { freePort } from "./cluster";
import { selfCommand } from "./self";
import { clientFlags, describeOutcome, openClient, requireSession } from "./client-context";
import { Exit } from "./exit";
import type { Command } from "./flags";
import { printJson, say } from "./output";

export const syncCommand: Command = {
  name: "sync",
  usage: "sync",
  summary: "Sends queued payments now and reports each outcome (exit 75 while some remain queued, 1 when one was declined).",
  flags: { ...clientFlags },
  async run(flags) {
    const ctx = openClient(flags);
    try {
      const session = requireSession(ctx);
      const outcomes = await ctx.outbox.sync(session.username, limits.syncBlockMsMax, true);
      if (ctx.json) printJson({ outcomes: outcomes.map((o) => ({ kind: o.kind, idempotency_key: o.key, message: describeOutcome(o), payment: o.kind === "final" ? o.payment : undefined })) });
      else if (outcomes.length === 0) say("nothing queued");
      else for (const outcome of outcomes) say(describeOutcome(outcome));
      return syncExitCode(outcomes);
    } finally {
      ctx.close();
    }
  },
};

/** 3 when the session was refused (entries kept), 75 while something stays queued, else 1 when a payment was declined or refused, else 0. */
export function syncExitCode(outcomes: SendOutcome[]): number {
  if (outcomes.some((o) => o.kind === "needs_login")) return Exit.auth; // kept; the user must log in again
  if (outcomes.some((o) => o.kind === "queued")) return Exit.queued;
  if (outcomes.some((o) => o.kind === "refused" || (o.kind === "final" && o.payment.status !== "SUCCEEDED"))) return Exit.declined;
  return Exit.ok;
}

export interface OfflineDemoOptions {
  /** A logged-in client home with its certificate under HOME/certs (cluster.homeOf(name)). */
  home: string;
  gatewayAddress: string;
  toUsername: string;
  /** A decimal amount such as "12.50". */
  amount: string;
  /** Where the tour's narration goes. */
  print(line: string): void;
}

/**
 * The demo's offline step: the client pays while it cannot reach the gateway
 * (pointed at a port where nothing listens), so `pay` queues the payment and
 * exits 75; `queue` lists it; `sync` against the real gateway sends it once.
 * Each command runs as a separate process of this program, like a user would.
 */
export async function runOfflineDemoStep(options: OfflineDemoOptions): Promise<void> {
  const offlineGateway = `127.0.0.1:${await freePort()}`;
  options.print(`offline: paying ${options.toUsername} ${options.amount} while the gateway is unreachable (${offlineGateway})`);
  const paid = await runClient(options, offlineGateway, ["pay", "--to", options.toUsername, "--amount", options.amount, "--note", "sent while offline"]);
  expectExit("pay", paid, Exit.queued, options.print);
  const listed = await runClient(options, options.gatewayAddress, ["queue"]);
  expectExit("queue", listed, Exit.ok, options.print);
  options.print("offline: back online, sending the queue");
  const synced = await runClient(options, options.gatewayAddress, ["sync"]);
  expectExit("sync", synced, Exit.ok, options.print);
}

async function runClient(options: OfflineDemoOptions, gateway: string, args: string[]): Promise<{ exitCode: number; output: string }> {
  const child = Bun.spawn([...selfCommand(), ...args, "--home", options.home, "--gateway", gateway], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { exitCode, output: `${stdout}${stderr}`.trimEnd() };
}

function expectExit(what: string, result: { exitCode: number; output: string }, exitCode: number, print: (line: string) => void): void {
  for (const line of result.output.split("\n")) if (line) print(`  $ ${line}`);
  if (result.exitCode !== exitCode) throw new AppError(Code.Internal, `demo offline step: ${what} exited ${result.exitCode}, expected ${exitCode}`);
}
