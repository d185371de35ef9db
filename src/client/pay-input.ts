// A payment's fields as a person typed them (pay, shell, the dashboard's
// form): one check, so every front end refuses the same input with the same words.
import { noteLengthField, typedKeyField, usernameField } from "../lib/fields";
import { parseAmountMinor } from "../lib/money";

/** Checks a payment's fields as typed (by `pay`, the shell and the dashboard). */
export function payInput(toUsername: string, amountText: string, key: string | undefined, note: string | undefined): { toUsername: string; amountMinor: bigint; key: string | undefined; note: string } {
  // Checked here too, not only by the gateway: offline, a payee that cannot exist would be queued (exit 75) and refused later.
  usernameField(toUsername, "--to", "a username such as bob");
  const amountMinor = parseAmountMinor(amountText, "--amount");
  typedKeyField(key);
  // Only its length here: the gateway refuses a note's control characters (and `pay` has always let it).
  return { toUsername, amountMinor, key, note: noteLengthField(note ?? "", "--note") };
}
