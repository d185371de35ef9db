// `ministripe shell`: an interactive client. Commands are read line by line
// from stdin (a terminal or a pipe) and run one at a time; in the background
// a Resender (src/client/resender.ts) re-sends queued payments when the
// gateway is reachable and watches payments, and each outcome is printed as
// a "[notice]" line as it happens. The prompt is shown only on a terminal.
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import type { SendOutcome, WirePayment } from "../client/outbox";
import { Resender } from "../client/resender";
import { AppError, Code, toAppError } from "../lib/errors";
import { limits, offlineLimits } from "../lib/limits";
import { type ClientContext, clientFlags, describeOutcome, withClient } from "./client-context";
import { Exit } from "./exit";
import type { Command } from "./flags";
import { money, paymentLine } from "./output";
import { payInput } from "./pay";

const prompt = "ministripe> ";
/** How long `exit` waits for a background send in progress before leaving (the entry stays queued anyway). */
const exitWaitMs = 3_000;

export const shellCommand: Command = {
  name: "shell",
  usage: "shell",
  summary: "Interactive client: balance, pay, payments, queue, sync; re-sends queued payments in the background and prints notifications.",
  flags: { ...clientFlags },
  async run(flags) {
    return withClient(flags, async (ctx) => {
      if (!ctx.session) throw new AppError(Code.Unauthenticated, 'the shell needs a saved session: run "ministripe login --username U" first');
      return await runShell(ctx, ctx.session.username);
    });
  },
};

interface Shell {
  ctx: ClientContext;
  username: string;
  resender: Resender;
  print(line: string): void;
}

async function runShell(ctx: ClientContext, username: string): Promise<number> {
  const interactive = Boolean(process.stdin.isTTY);
  const print = (line: string) => process.stdout.write(`${line}\n`);
  const resender = new Resender({
    client: ctx.client,
    outbox: ctx.outbox,
    home: ctx.home,
    username,
    log: ctx.log,
    sentHere: (key) => ctx.store.get(key) !== undefined,
    events: {
      onOutcome: (outcome) => print(`[notice] ${describeOutcome(outcome)}`),
      onPayment: (payment) => print(`[notice] ${describeWatched(payment, username)}`),
      onConnectivity: (up) => print(up ? "[notice] gateway reachable again; sending queued payments" : "[notice] gateway unreachable; payments will be queued and sent when it is back"),
      onNeedsLogin: (reason) => print(`[notice] ${reason}: run "ministripe login --username ${username}" (in another terminal is fine); queued payments are kept`),
    },
  });
  const shell: Shell = { ctx, username, resender, print };
  print(`logged in as ${username}; type "help" for commands`);
  if (ctx.session && ctx.session.expiresAtMs < Date.now()) print(`[notice] your session expired: run "ministripe login --username ${username}"; payments are queued meanwhile`);
  resender.start();
  const lines = createInterface({ input: process.stdin, terminal: interactive, crlfDelay: Infinity });
  try {
    if (interactive) process.stdout.write(prompt);
    for await (const line of lines) {
      if (!(await runLine(shell, line))) break;
      if (interactive) process.stdout.write(prompt);
    }
  } finally {
    lines.close();
    await resender.stop(exitWaitMs);
  }
  print("bye");
  return Exit.ok;
}

/** Runs one input line; false when the shell should end. */
async function runLine(shell: Shell, line: string): Promise<boolean> {
  if (line.length > offlineLimits.shellLineLengthMax) {
    shell.print(`error: a line of at most ${offlineLimits.shellLineLengthMax} characters`);
    return true;
  }
  let words: string[];
  try {
    words = splitWords(line);
  } catch (error) {
    shell.print(`error: ${(error as Error).message}`);
    return true;
  }
  const [name, ...args] = words;
  if (name === undefined) return true;
  if (name === "exit" || name === "quit") return false;
  const command = commands[name];
  if (!command) {
    shell.print(`unknown command "${name}"; type "help"`);
    return true;
  }
  try {
    await command.run(shell, args);
  } catch (error) {
    shell.print(`error: ${toAppError(error).message}`);
  }
  return true;
}

interface ShellCommand {
  usage: string;
  run(shell: Shell, args: string[]): Promise<void>;
}

const commands: Record<string, ShellCommand> = {
  help: { usage: "help", run: async (shell) => help(shell) },
  balance: { usage: "balance", run: (shell) => balance(shell) },
  pay: { usage: "pay --to USERNAME --amount 100.50 [--note TEXT] [--key KEY]   or   pay USERNAME 100.50 [NOTE]", run: (shell, args) => pay(shell, args) },
  payments: { usage: "payments [N]", run: (shell, args) => payments(shell, args) },
  queue: { usage: "queue", run: async (shell) => queue(shell) },
  sync: { usage: "sync", run: (shell) => sync(shell) },
};

function help(shell: Shell): void {
  for (const command of Object.values(commands)) shell.print(`  ${command.usage}`);
  shell.print("  exit");
}

async function balance(shell: Shell): Promise<void> {
  const b = await shell.ctx.client.call<{ bank: string; account: string; balance_minor: string; available_minor: string; currency: string }>("GetBalance", {}, { retry: false, deadlineMs: limits.readDeadlineMs });
  shell.print(`${b.bank} ${b.account}: balance ${money(b.balance_minor, b.currency)}, available ${money(b.available_minor, b.currency)}`);
}

async function pay(shell: Shell, args: string[]): Promise<void> {
  const parsed = parseArgs({ args, options: { to: { type: "string" }, amount: { type: "string" }, note: { type: "string" }, key: { type: "string" } }, allowPositionals: true, strict: true });
  const [toPositional, amountPositional, ...noteWords] = parsed.positionals;
  const to = parsed.values.to ?? toPositional;
  const amount = parsed.values.amount ?? (parsed.values.to ? toPositional : amountPositional);
  if (!to || !amount) throw new AppError(Code.InvalidArgument, `usage: ${commands.pay!.usage}`);
  const note = parsed.values.note ?? (noteWords.length > 0 ? noteWords.join(" ") : undefined);
  const input = payInput(to, amount, parsed.values.key, note);
  const outcome = await shell.ctx.outbox.pay({ username: shell.username, ...input });
  shell.print(describePaid(outcome));
  if (outcome.kind === "queued") shell.resender.nudge();
}

async function payments(shell: Shell, args: string[]): Promise<void> {
  const limit = args[0] === undefined ? limits.pageSizeDefault : Number(args[0]);
  if (!Number.isInteger(limit) || limit < 1 || limit > limits.pageSizeMax) throw new AppError(Code.InvalidArgument, `payments N: a whole number from 1 to ${limits.pageSizeMax}`);
  const reply = await shell.ctx.client.call<{ payments: WirePayment[] }>("ListPayments", { limit }, { retry: false, deadlineMs: limits.readDeadlineMs });
  if (reply.payments.length === 0) shell.print("no payments yet");
  for (const p of reply.payments) shell.print(paymentLine(p));
}

function queue(shell: Shell): void {
  const entries = shell.ctx.store.listVisible();
  if (entries.length === 0) shell.print("the queue is empty");
  for (const e of entries) shell.print(`${e.idempotencyKey}  ${money(e.amountMinor)} to ${e.toUsername}  ${e.state}  attempts ${e.attempts}${e.lastError ? `  last error: ${e.lastError}` : ""}`);
}

async function sync(shell: Shell): Promise<void> {
  const outcomes = await shell.ctx.outbox.sync(shell.username, limits.syncBlockMsMax, true);
  if (outcomes.length === 0) shell.print("nothing to send");
  for (const outcome of outcomes) shell.print(describeOutcome(outcome));
}

function describePaid(outcome: SendOutcome): string {
  switch (outcome.kind) {
    case "final": {
      const p = outcome.payment;
      if (p.status === "SUCCEEDED") return `paid ${money(p.amount_minor, p.currency)} to ${p.payee}${outcome.replayed ? " (already done earlier with this key)" : ""}: payment ${p.id}`;
      return `payment declined: ${p.failure_code}: ${p.failure_message} (payment ${p.id})`;
    }
    case "queued":
      return `queued with key ${outcome.key} (${outcome.reason}); it will be sent when the gateway is back`;
    case "needs_login":
      return `${outcome.reason}: the payment stays queued (key ${outcome.key}); run "ministripe login" and it will be sent`;
    case "refused":
      return `refused: ${outcome.error.message}`;
  }
}

function describeWatched(p: WirePayment, username: string): string {
  const amount = money(p.amount_minor, p.currency);
  if (p.payee === username) {
    return p.status === "SUCCEEDED" ? `received ${amount} from ${p.payer} (payment ${p.id})` : `a payment of ${amount} from ${p.payer} failed: ${p.failure_code} (payment ${p.id})`;
  }
  return p.status === "SUCCEEDED" ? `payment of ${amount} to ${p.payee} succeeded (payment ${p.id})` : `payment of ${amount} to ${p.payee} failed: ${p.failure_code} (payment ${p.id})`;
}

/** Splits a line into words; double quotes keep spaces inside one word. */
export function splitWords(line: string): string[] {
  if ((line.match(/"/g)?.length ?? 0) % 2 !== 0) throw new Error("unbalanced double quotes");
  const words: string[] = [];
  for (const match of line.matchAll(/"([^"]*)"|(\S+)/g)) words.push(match[1] ?? match[2]!);
  return words;
}
