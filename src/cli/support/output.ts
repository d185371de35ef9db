// What the CLI prints: one JSON object with --json, readable lines otherwise.
// stdout is for results; messages about the process go to stderr.
import { inUsersWords } from "../../client/users-words";
import { AppError, Code, printable, toAppError } from "../../lib/errors";
import { writeSync } from "node:fs";
import { limits } from "../../lib/limits";
import { formatMoney, minorFromWire } from "../../lib/money";
import { Exit } from "./exit";
import { queuedNote, type SendOutcome, type WirePayment } from "../../client/outbox";
import type { OutboxEntry } from "../../store/client-store";

export function printJson(value: unknown): void {
  writeAll(stdoutFd, `${JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}\n`);
}

export function say(line: string): void {
  writeAll(stdoutFd, `${line}\n`);
}

const stdoutFd = 1;
const stderrFd = 2;

/**
 * Writes all of `text` before returning. main ends with process.exit, which
 * drops whatever an asynchronous process.stdout.write had not yet handed to a
 * pipe: `queue` with a thousand entries lost its last few hundred lines.
 * A pipe that stays full (a reader that stopped) is waited for at most
 * limits.outputBlockedMsMax in all: then that and every later write to it is
 * dropped, so a command with a thousand lines does not wait a thousand times.
 * (A descriptor left blocking waits in the kernel, as any program's does.)
 */
function writeAll(fd: number, text: string): void {
  if (abandoned.has(fd)) return;
  const bytes = Buffer.from(text);
  const giveUpAtMs = Date.now() + limits.outputBlockedMsMax;
  let offset = 0;
  // Each turn writes at least one byte or waits a millisecond: bounded by the deadline.
  while (offset < bytes.length && Date.now() < giveUpAtMs) {
    try {
      offset += writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "EAGAIN" && code !== "EWOULDBLOCK") return; // a closed pipe (EPIPE): nobody reads what is left
      Bun.sleepSync(1);
    }
  }
  if (offset < bytes.length) abandoned.add(fd);
}

/** Descriptors whose reader stopped for longer than limits.outputBlockedMsMax: nothing more is written to them. */
const abandoned = new Set<number>();

let writeMessage = (text: string) => writeAll(stderrFd, text);

/** Text on stdout as it is (the shell's prompt), in order with what say() writes. */
export function writeOut(text: string): void {
  writeAll(stdoutFd, text);
}

/** Text on stderr as it is, written whole like the rest (main's last word before it exits). */
export function writeErr(text: string): void {
  writeAll(stderrFd, text);
}

/** Messages about the process (warnings, errors): stderr, or stdout in the shell. */
export function warn(line: string): void {
  writeMessage(`${printable(line)}\n`);
}

/** The shell is one conversation: its messages go to stdout, in order with its results. */
export function messagesToStdout(): void {
  writeMessage = (text) => writeAll(stdoutFd, text);
}

export const money: (amountMinor: string | bigint, currency?: string) => string = formatMoney;

/** One line per payment; a refund says which payment it refunds, a refunded payment how much. */
export function paymentLine(p: WirePayment): string {
  const outcome = p.status === "FAILED" ? `FAILED (${p.failure_code}: ${p.failure_message})` : p.status;
  return `${formatTime(Number(p.created_at_ms))}  ${p.payer} -> ${p.payee}  ${money(p.amount_minor, p.currency)}  ${outcome}  ${p.id}${refundsNote(p)}${p.note ? `  "${p.note}"` : ""}`;
}

function refundsNote(p: WirePayment): string {
  if (p.refund_of) return `  refund of ${p.refund_of}`;
  return minorFromWire(p.refunded_minor) > 0n ? `  refunded ${money(p.refunded_minor, p.currency)}` : "";
}

/** What `payment ID` prints under a payment: its refunded total and each refund. */
export function refundLines(p: WirePayment): string[] {
  if (p.refund_of || p.status !== "SUCCEEDED" || (p.refunds ?? []).length === 0) return []; // never refunded: the payment's line says all
  const lines = [`  refunded ${money(p.refunded_minor, p.currency)} of ${money(p.amount_minor, p.currency)}; ${money(p.refundable_minor, p.currency)} remains refundable`];
  for (const r of p.refunds ?? []) {
    const outcome = r.status === "FAILED" ? `FAILED (${r.failure_code})` : r.status;
    lines.push(`  refund ${r.id}  ${money(r.amount_minor, r.currency)}  ${outcome}  ${formatTime(Number(r.created_at_ms))}${r.note ? `  "${r.note}"` : ""}`);
  }
  return lines;
}

/** One outbox entry, as `queue` (and the shell's queue) shows it. */
export function queueLine(e: OutboxEntry, sessionUsername: string | undefined): string {
  const what = e.refundOf ? `refund of ${e.refundOf}: ${money(e.amountMinor)}${e.toUsername ? ` to ${e.toUsername}` : ""}` : `${money(e.amountMinor)} to ${e.toUsername}`;
  const sent = e.paymentId ? `  ${e.refundOf ? "refund" : "payment"} ${e.paymentId}` : "";
  // One home, several users: an entry goes out only in its own user's session.
  const whose = e.username !== sessionUsername && e.state === "queued" ? `  (${e.username}'s: sent once ${e.username} logs in here)` : "";
  return `${e.idempotencyKey}  ${what}  ${e.state}${sent}  attempts ${e.attempts}${e.lastError ? `  last error: ${e.lastError}` : ""}${whose}`;
}

/** A payment as --json prints it: the wire fields plus a decimal amount. */
export function paymentJson(p: WirePayment, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...p, amount: formatMoney(p.amount_minor), ...extra };
}

/**
 * The one way the CLI shows a moment: local time to the second with its zone,
 * "2026-11-29 18:17:32 +05:30" ("UTC" where the machine's zone is UTC).
 */
export function formatTime(atMs: number): string {
  const d = new Date(atMs);
  const pad = (n: number) => String(n).padStart(2, "0");
  const offsetMin = -d.getTimezoneOffset();
  const zone = offsetMin === 0 ? "UTC" : `${offsetMin < 0 ? "-" : "+"}${pad(Math.floor(Math.abs(offsetMin) / 60))}:${pad(Math.abs(offsetMin) % 60)}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${zone}`;
}


/** One line saying what went wrong, in the user's words: the CLI and the shell both print this. */
export function errorText(error: unknown): string {
  const appError = toAppError(error);
  return `${inUsersWords(appError)}${localCause(appError)}`;
}

/**
 * An unexpected failure's first line (a full disk, a locked database): the
 * user's own machine, so they may see it, where a server would only log it.
 * A server's INTERNAL answer has nothing more to say than its message.
 */
function localCause(appError: AppError): string {
  const cause = appError.cause;
  if (appError.code !== Code.Internal || !(cause instanceof Error) || "details" in cause) return "";
  // No control characters (escape sequences) reach the terminal.
  return ` (${cause.message.split("\n", 1)[0]!.replace(/\p{Cc}/gu, "?").slice(0, 300)})`;
}

/** What `pay` and `refund` tell the user of one send through the outbox; the words differ only in the noun and in how a final outcome reads. */
export interface SentWords {
  noun: "payment" | "refund";
  /** The line for a final outcome, and the extra fields of its JSON. */
  final(outcome: Extract<SendOutcome, { kind: "final" }>): { line: string; json: Record<string, unknown> };
}

/** What reportSent needs of the client context (support/client-context.ts). */
export interface SentContext {
  json: boolean;
  onQueued(): void;
  /** Prints a JSON object with the outcomes of the flush before the command. */
  printJson(value: Record<string, unknown>): void;
  store: { markReported(keys: string[]): void };
}

/** Prints the outcome of `pay` or `refund` and returns its exit code: 0 succeeded, 1 declined, 75 queued (also when it waits for a login). */
export function reportSent(outcome: SendOutcome, ctx: SentContext, words: SentWords): number {
  switch (outcome.kind) {
    case "final": {
      const { line, json } = words.final(outcome);
      if (ctx.json) ctx.printJson(paymentJson(outcome.payment, json));
      else say(line);
      ctx.store.markReported([outcome.key]); // told: its entry leaves the queue's list
      return outcome.payment.status === "SUCCEEDED" ? Exit.ok : Exit.declined;
    }
    case "queued":
      ctx.onQueued();
      if (ctx.json) ctx.printJson({ queued: true, idempotency_key: outcome.key, reason: outcome.reason });
      else warn(`${outcome.reason}; ${queuedNote(words.noun, outcome)}`);
      return Exit.queued;
    case "needs_login":
      // 75, not 3: the entry is queued and goes out at the next command after
      // a login. A script told "authentication error" would log in and pay
      // again, and both would go (found by a black-box test).
      if (ctx.json) ctx.printJson({ queued: true, idempotency_key: outcome.key, reason: outcome.reason, needs_login: true });
      else warn(`${outcome.reason}; the ${words.noun} stays queued (key ${outcome.key}) and is sent after you log in: do not ${words.noun === "payment" ? "pay" : "refund"} it again`);
      return Exit.queued;
    case "refused":
      throw outcome.error;
  }
}
