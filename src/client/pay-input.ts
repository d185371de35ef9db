// A payment's fields as a person typed them (pay, shell, the dashboard's
// form): one check, so every front end refuses the same input with the same words.
import { invalid } from "../lib/errors";
import { limits } from "../lib/limits";
import { parseAmountMinor } from "../lib/money";

/** Checks a payment's fields as typed (by `pay`, the shell and the dashboard). */
export function payInput(toUsername: string, amountText: string, key: string | undefined, note: string | undefined): { toUsername: string; amountMinor: bigint; key: string | undefined; note: string } {
  const amountMinor = parseAmountMinor(amountText, "--amount");
  if (key !== undefined && (key.length < 1 || key.length > limits.idempotencyKeyLengthMax || !/^[\x21-\x7e]+$/.test(key))) {
    throw invalid("--key", `1-${limits.idempotencyKeyLengthMax} printable characters without spaces`);
  }
  const text = note ?? "";
  if (text.length > limits.noteLengthMax) throw invalid("--note", `at most ${limits.noteLengthMax} characters`);
  return { toUsername, amountMinor, key, note: text };
}
