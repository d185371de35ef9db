// Money is bigint minor units in code. The CLI parses and prints decimals.
import { invalid, quoted } from "./errors";
import { limits } from "./limits";

const decimalPattern = /^(\d{1,16})(?:\.(\d{1,2}))?$/;

/** "100.50" -> 10050n. Refuses non-positive, over-precise and over-maximum amounts. */
export function parseAmountMinor(text: string, field = "amount"): bigint {
  // A negative number is a number: say what is wrong with it, not that it is not one.
  if (/^-\d+(\.\d+)?$/.test(text.trim())) throw invalid(field, "must be greater than zero");
  // Too many digits to read is still an amount: say its bound, not that it is not one.
  if (/^\d{17,}(\.\d{1,2})?$/.test(text.trim())) validateAmountMinor(limits.amountMinorMax + 1n, field);
  const amountMinor = parseDecimalMinor(text.trim(), field);
  validateAmountMinor(amountMinor, field);
  return amountMinor;
}

/** Parses a non-negative decimal such as a balance in the accounts file. */
export function parseDecimalMinor(text: string, field: string): bigint {
  const match = decimalPattern.exec(text);
  if (!match) {
    if (/^\d+\.\d{3,}$/.test(text)) throw invalid(field, `at most two decimals, got "${text}"`);
    throw invalid(field, `${quoted(text, 20)} is not a decimal amount such as 100.50`);
  }
  const whole = BigInt(match[1]!);
  const fraction = BigInt((match[2] ?? "").padEnd(2, "0"));
  return whole * 100n + fraction;
}

/** A payment's or a refund's amount: more than zero, at most amountMinorMax (what layers behind validateAmountMinor assert). */
export function isAmountMinor(amountMinor: bigint): boolean {
  return amountMinor > 0n && amountMinor <= limits.amountMinorMax;
}

/** The one check of an amount as it comes in (typed or off the wire), saying which bound it missed. */
export function validateAmountMinor(amountMinor: bigint, field = "amount_minor"): void {
  if (amountMinor <= 0n) throw invalid(field, "must be greater than zero");
  if (amountMinor > limits.amountMinorMax) {
    throw invalid(field, `must be at most ${formatMinor(limits.amountMinorMax)}`);
  }
}

/** 10050n -> "100.50" */
export function formatMinor(amountMinor: bigint): string {
  const negative = amountMinor < 0n;
  const abs = negative ? -amountMinor : amountMinor;
  const whole = abs / 100n;
  const fraction = (abs % 100n).toString().padStart(2, "0");
  return `${negative ? "-" : ""}${whole}.${fraction}`;
}

/** An amount as people read it, with its currency when known: "INR 100.50". */
export function formatMoney(amountMinor: string | number | bigint | null | undefined, currency = ""): string {
  const text = formatMinor(typeof amountMinor === "bigint" ? amountMinor : minorFromWire(amountMinor));
  return currency ? `${currency} ${text}` : text;
}

const maxSafeMinor = BigInt(Number.MAX_SAFE_INTEGER);
const minSafeMinor = -maxSafeMinor;

/**
 * An int64 for the wire: a number when exact (protobufjs encodes it directly),
 * the decimal string beyond 2^53 (which it must parse into a Long first).
 */
export function minorToWire(amountMinor: bigint): number | string {
  return amountMinor >= minSafeMinor && amountMinor <= maxSafeMinor ? Number(amountMinor) : amountMinor.toString();
}

/** int64 fields arrive from proto-loader as strings (longs: String); this is the one conversion. */
export function minorFromWire(value: string | number | bigint | null | undefined): bigint {
  if (value === null || value === undefined || value === "") return 0n;
  return BigInt(value);
}

/** An int64 amount in a request: what is not an integer is refused as INVALID_ARGUMENT naming `field`. */
export function minorFieldFromWire(value: unknown, field: string): bigint {
  try {
    return minorFromWire(value as string);
  } catch {
    throw invalid(field, "not an integer");
  }
}

