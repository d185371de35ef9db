// `ministripe shell`: an interactive client. Commands are read line by line
// from stdin (a terminal or a pipe) and run one at a time; in the background
// a Resender (src/client/resender.ts) re-sends queued payments when the
// gateway is reachable and watches payments, and each outcome is printed as
// a "[notice]" line as it happens. The prompt is shown only on a terminal.
// Each command is the CLI's own (same flags, same words, same --json), run on
// the connection, session and outbox the shell keeps open.
import { createInterface } from "node:readline";
import type { WirePayment } from "../client/outbox";
import { Resender } from "../client/resender";
import { AppError, Code, quoted } from "../lib/errors";
import { offlineLimits } from "../lib/limits";
import { balanceCommand } from "./balance";
import { type ClientCommand, type ClientContext, clientFlags, describeOutcome, withClient } from "./support/client-context";
import { Exit } from "./support/exit";
import { bool, helpText, nearestName, parseFlags, type Command } from "./support/flags";
import { errorText, messagesToStdout, money, say, warn, writeOut } from "./support/output";
import { payCommand } from "./pay";
import { paymentCommand } from "./payment";
import { paymentsCommand } from "./payments";
import { queueCommand } from "./queue";
import { refundCommand } from "./refund";
import { syncCommand } from "./sync";

const prompt = "ministripe> ";

/** The client commands the shell runs: the CLI's own. */
const shellCommands: Record<string, ClientCommand> = Object.fromEntries(
  [balanceCommand, payCommand, refundCommand, paymentsCommand, paymentCommand, queueCommand, syncCommand].map((command) => [command.name, command]),
);
/** Commands that read a password or change the session: run them in another terminal; the shell picks up a new session. */
const outsideTheShell = new Set(["register", "login", "logout", "passwd", "mfa"]);
/** Fixed when the shell starts. */
const connectionFlags = Object.keys(clientFlags).filter((name) => name !== "json");

export const shellCommand: Command = {
  name: "shell",
  usage: "shell",
  summary: "Interactive client: balance, pay, refund, payments, payment, queue, sync as on the command line; re-sends queued payments and refunds in the background and prints notifications.",
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
  resender: Resender;
}

async function runShell(ctx: ClientContext, username: string): Promise<number> {
  const interactive = Boolean(process.stdin.isTTY);
  messagesToStdout();
  const resender = new Resender({
    client: ctx.client,
    outbox: ctx.outbox,
    home: ctx.home,
    username,
    log: ctx.log,
    sentHere: (key) => ctx.store.get(key) !== undefined,
    events: {
      onOutcome: (outcome) => {
        say(`[notice] ${describeOutcome(outcome)}`);
        ctx.store.markReported([outcome.key]);
      },
      onPayment: (payment) => say(`[notice] ${describeWatched(payment, username)}`),
      onConnectivity: (up) => say(up ? "[notice] gateway reachable again; sending queued payments" : "[notice] gateway unreachable; payments will be queued and sent when it is back"),
      onNeedsLogin: (reason) => say(`[notice] ${reason}: run "ministripe login --username ${username}" (in another terminal is fine); queued payments are kept`),
      onWatchRefused: (reason) => say(`[notice] payments received are not shown in this shell for now (${reason}); they are once another shell or dashboard of ${username} closes`),
    },
  });
  const shell: Shell = { ctx: { ...ctx, inShell: true, onQueued: () => resender.nudge() }, resender };
  say(`logged in as ${username}; type "help" for commands`);
  if (ctx.session && ctx.session.expiresAtMs < Date.now()) say(`[notice] your session expired: run "ministripe login --username ${username}"; payments are queued meanwhile`);
  resender.start();
  const lines = createInterface({ input: process.stdin, terminal: interactive, crlfDelay: Infinity });
  try {
    if (interactive) writeOut(prompt);
    for await (const line of lines) {
      if (!(await runLine(shell, line))) break;
      if (interactive) writeOut(prompt);
    }
  } finally {
    lines.close();
    await resender.stop(offlineLimits.shellExitWaitMs);
  }
  say("bye");
  return Exit.ok;
}

/** Runs one input line; false when the shell should end. */
async function runLine(shell: Shell, line: string): Promise<boolean> {
  if (line.length > offlineLimits.shellLineLengthMax) {
    warn(`ministripe shell: a line of at most ${offlineLimits.shellLineLengthMax} characters`);
    return true;
  }
  let words: string[];
  try {
    words = splitWords(line);
  } catch (error) {
    warn(`ministripe shell: ${errorText(error)}`);
    return true;
  }
  const [name, ...args] = words;
  if (name === undefined) return true;
  if (name === "exit" || name === "quit") return false;
  if (name === "help") {
    help();
    return true;
  }
  const command = Object.hasOwn(shellCommands, name) ? shellCommands[name]! : undefined;
  if (!command) {
    if (outsideTheShell.has(name)) warn(`ministripe ${name}: run it in another terminal ("ministripe ${name} ..."); the shell keeps going and uses the new session`);
    else {
      const near = nearestName(name, [...Object.keys(shellCommands), "help", "exit"]);
      warn(`unknown command ${quoted(name, 40)}${near ? `; did you mean ${near}?` : ""} (type "help")`);
    }
    return true;
  }
  try {
    await runCommand(shell, command, args);
  } catch (error) {
    warn(`ministripe ${name}: ${errorText(error)}`);
  }
  return true;
}

/** The CLI's command on the shell's open context: the same parser, checks and output. */
async function runCommand(shell: Shell, command: ClientCommand, args: string[]): Promise<void> {
  const fixed = args.find((arg) => connectionFlags.some((name) => arg === `--${name}` || arg.startsWith(`--${name}=`)));
  if (fixed) throw new AppError(Code.InvalidArgument, `${fixed.split("=", 1)[0]} is set when the shell starts (ministripe shell ${fixed.split("=", 1)[0]} ...)`);
  const parsed = parseFlags(command, args);
  if (parsed.help) {
    say(helpText(command));
    return;
  }
  command.check?.(parsed.flags, parsed.positionals);
  await command.body({ ...shell.ctx, json: bool(parsed.flags, "json") }, parsed.flags, parsed.positionals);
}

function help(): void {
  say("commands (each as on the command line; COMMAND --help for its flags):");
  const rows = Object.values(shellCommands).map((command) => [command.usage, command.summary.split(". ")[0]!.replace(/\.$/, "")]);
  rows.push(["exit", "leave the shell (queued payments stay queued)"]);
  const width = Math.max(...rows.map(([usage]) => usage!.length)) + 2;
  for (const [usage, summary] of rows) say(`  ${usage!.padEnd(width)}${summary}`);
}

function describeWatched(p: WirePayment, username: string): string {
  const amount = money(p.amount_minor, p.currency);
  if (p.refund_of) return describeWatchedRefund(p, username, amount);
  if (p.payee === username) {
    return p.status === "SUCCEEDED" ? `received ${amount} from ${p.payer} (payment ${p.id})` : `a payment of ${amount} from ${p.payer} failed: ${p.failure_code} (payment ${p.id})`;
  }
  return p.status === "SUCCEEDED" ? `payment of ${amount} to ${p.payee} succeeded (payment ${p.id})` : `payment of ${amount} to ${p.payee} failed: ${p.failure_code} (payment ${p.id})`;
}

function describeWatchedRefund(p: WirePayment, username: string, amount: string): string {
  const reason = p.note ? ` ("${p.note}")` : "";
  if (p.payee === username) {
    return p.status === "SUCCEEDED" ? `refund received: ${amount} from ${p.payer} for payment ${p.refund_of}${reason} (refund ${p.id})` : `a refund of ${amount} from ${p.payer} for payment ${p.refund_of} failed: ${p.failure_code} (refund ${p.id})`;
  }
  return p.status === "SUCCEEDED" ? `refund of ${amount} to ${p.payee} for payment ${p.refund_of} succeeded (refund ${p.id})` : `refund of ${amount} to ${p.payee} for payment ${p.refund_of} failed: ${p.failure_code} (refund ${p.id})`;
}

/**
 * Splits a line into words as a POSIX shell does, without expansions or
 * escapes: single or double quotes keep spaces (and the other quote) inside a
 * word and may be part of one (`--note="for lunch"`); `""` is an empty word.
 */
function splitWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (const ch of line) {
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      word ??= "";
    } else if (/\s/.test(ch)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? "") + ch;
  }
  if (quote !== undefined) throw new AppError(Code.InvalidArgument, `unbalanced ${quote === '"' ? "double" : "single"} quotes`);
  if (word !== undefined) words.push(word);
  return words;
}
