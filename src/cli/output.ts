// What the CLI prints: one JSON object with --json, readable lines otherwise.
// stdout is for results; messages about the process go to stderr.
import { formatMinor, minorFromWire } from "../lib/money";
import type { WirePayment } from "../client/outbox";

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}\n`);
}

export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function warn(line: string): void {
  process.stderr.write(`${line}\n`);
}

export function money(amountMinor: string | bigint, currency = ""): string {
  const text = formatMinor(typeof amountMinor === "bigint" ? amountMinor : minorFromWire(amountMinor));
  return currency ? `${currency} ${text}` : text;
}

export function paymentLine(p: WirePayment): string {
  const outcome = p.status === "FAILED" ? `FAILED (${p.failure_code}: ${p.failure_message})` : p.status;
  const when = new Date(Number(p.created_at_ms)).toISOString().replace("T", " ").slice(0, 19);
  return `${when}  ${p.payer} -> ${p.payee}  ${money(p.amount_minor, p.currency)}  ${outcome}  ${p.id}${p.note ? `  "${p.note}"` : ""}`;
}

/** A payment as --json prints it: the wire fields plus a decimal amount. */
export function paymentJson(p: WirePayment, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...p, amount: formatMinor(minorFromWire(p.amount_minor)), ...extra };
}
