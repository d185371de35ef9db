// Proves each field rule of src/lib/fields.ts accepts exactly up to its bound in src/lib/limits.ts and refuses one past it, and that the edges which check as a person typed (refund's and pay's input, the accounts file, certificate names, HOST:PORT flags) refuse by that rule with their own words, INVALID_ARGUMENT naming the field.
import { expect, test } from "bun:test";
import { parseBankSection } from "../src/bank/accounts-file";
import { refundInput } from "../src/cli/refund";
import { payInput } from "../src/client/pay-input";
import { AppError } from "../src/lib/errors";
import * as fields from "../src/lib/fields";
import { limits } from "../src/lib/limits";
import { parseAddress } from "../src/rpc/channel";
import { isValidName } from "../src/rpc/identity";
import { metricsAddress } from "../src/rpc/metrics";

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe("INVALID_ARGUMENT");
    return (error as AppError).message;
  }
  throw new Error("not refused");
}

test("each rule accepts up to its bound and refuses one past it", () => {
  const bounded: [string, (text: string) => boolean, string, number][] = [
    ["username", fields.isUsername, "a", limits.usernameLengthMax],
    ["bank name", fields.isBankName, "b", limits.bankNameLengthMax],
    ["account number", fields.isAccountNumber, "1", limits.accountLengthMax],
    ["PIN", fields.isPin, "7", limits.pinLengthMax],
    ["idempotency key", fields.isIdempotencyKey, "k", limits.idempotencyKeyLengthMax],
    ["transaction id", fields.isTransactionId, "t", limits.transactionIdLengthMax],
    ["note", fields.isNoteLength, "n", limits.noteLengthMax],
  ];
  for (const [name, rule, char, lengthMax] of bounded) {
    expect({ name, at: rule(char.repeat(lengthMax)), past: rule(char.repeat(lengthMax + 1)) }).toEqual({ name, at: true, past: false });
  }
  expect(fields.isPin("7".repeat(limits.pinLengthMin - 1))).toBe(false);
  for (const [rule, bad] of [[fields.isUsername, ["", "Bob", "-bob", "bo b"]], [fields.isBankName, ["", "HDFC", "a.b"]], [fields.isAccountNumber, ["", "10 01", "10_01"]], [fields.isPin, ["12ab", "１２３４"]], [fields.isIdempotencyKey, ["", "k\u001b", "a\u202eb", "a\u200bb", "a\u00a0b", "two\u2028lines", "\ue000", "cafe\u0301"]], [fields.isTransactionId, ["", "a b", "a.b"]]] as const) {
    for (const text of bad) expect({ text, ok: rule(text) }).toEqual({ text, ok: false });
  }
  // SPEC: a key is 1-255 printable characters; a space and other scripts are printable.
  for (const key of ["order 42", "ключ-1", "注文#7", "café ☕", "~!@#$%^&*()_+"]) expect({ key, ok: fields.isIdempotencyKey(key) }).toEqual({ key, ok: true });
  expect(refusal(() => fields.noteField("\u001b[31mred", "note"))).toBe("note: no control characters");
  // What would make the payee read another note than was sent, or break its line.
  for (const hidden of ["rent \u202e00.001 RNI\u202c", "\u2066x\u2069", "a\u061Cb", "a\u200Bb", "\uFEFFa", "two\u2028lines", "two\u2029paragraphs", "a\u200Fb", "soft\u00ADhyphen", "\u3164blank", "a\u2062b", "hidden\u{E0061}\u{E0062}tags", "x\u034Fy"]) {
    expect({ hidden, refused: refusal(() => fields.noteField(hidden, "note")) }).toEqual({ hidden, refused: "note: no invisible or text-direction characters (U+202E and the like)" });
  }
  // Joiners, accents and other scripts stay.
  for (const fine of ["family \u{1F468}\u200D\u{1F469}\u200D\u{1F467}", "می\u200Cخواهم", "café ☕", "किराया", "Miete für März", "heart \u2764\uFE0F", "क्\u200Dष", "England \u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}", "ᠠ\u180Eᠡ"]) expect(fields.noteField(fine, "note")).toBe(fine);
});

test("the CLI's refund and pay input refuse by the same rules, in the words they always used", () => {
  const key = "k".repeat(limits.idempotencyKeyLengthMax + 1);
  expect(refusal(() => refundInput("not an id!", undefined, undefined, undefined))).toBe('PAYMENT_ID: "not an id!" is not a payment id (see "ministripe payments")');
  expect(refusal(() => refundInput("p1", undefined, key, undefined))).toBe(`--key: 1-${limits.idempotencyKeyLengthMax} printable characters`);
  expect(refusal(() => payInput("bob", "1.00", key, undefined))).toBe(`--key: 1-${limits.idempotencyKeyLengthMax} printable characters`);
  expect(refusal(() => refundInput("p1", undefined, undefined, "r".repeat(limits.noteLengthMax + 1)))).toBe(`--reason: at most ${limits.noteLengthMax} characters`);
  expect(refusal(() => payInput("bob", "1.00", undefined, "n".repeat(limits.noteLengthMax + 1)))).toBe(`--note: at most ${limits.noteLengthMax} characters`);
  expect(refundInput("p".repeat(limits.transactionIdLengthMax), undefined, "k".repeat(limits.idempotencyKeyLengthMax), "r".repeat(limits.noteLengthMax)).reason).toHaveLength(limits.noteLengthMax);
});

test("the accounts file and certificate names follow the account number's and the bank name's rules", () => {
  const section = (seed: Record<string, unknown>) => () => parseBankSection(JSON.stringify({ banks: { hdfc: { accounts: [seed] } } }), "hdfc");
  const longest = "1".repeat(limits.accountLengthMax);
  expect(section({ number: longest, pin: "7".repeat(limits.pinLengthMax) })().accounts[0]!.number).toBe(longest);
  expect(refusal(section({ number: `${longest}1` }))).toBe(`accounts file: banks.hdfc.accounts[0].number: "${longest}1" is not an account number`);
  expect(refusal(section({ number: "1001", pin: "7".repeat(limits.pinLengthMax + 1) }))).toBe("accounts file: banks.hdfc.accounts[0].pin: 4 to 12 digits, quoted");
  // A misspelt field is refused, not read as an absent one (a "balnce" loaded 0.00).
  expect(refusal(section({ number: "1001", balnce: "500.00" }))).toBe('accounts file: banks.hdfc.accounts[0]: unknown field "balnce" (the fields are number, holder, balance, pin, pin_hash)');
  expect([isValidName("b".repeat(limits.bankNameLengthMax)), isValidName("b".repeat(limits.bankNameLengthMax + 1)), isValidName("HDFC")]).toEqual([true, false, false]);
});

test("a dialled address and --metrics are HOST:PORT by one rule", () => {
  expect(parseAddress(" [::1]:50051 ", "--gateway")).toBe("[::1]:50051");
  expect(metricsAddress("[::1]:9464")).toEqual({ host: "::1", port: 9464 });
  expect(refusal(() => parseAddress("host:65536", "--gateway"))).toBe('--gateway: "host:65536" is not HOST:PORT');
  expect(refusal(() => metricsAddress("a b:1"))).toBe('--metrics: "a b:1" is not HOST:PORT');
});
