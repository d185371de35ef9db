// Each field's rule in one place: what a username, an account number, a bank
// name, a PIN, a password, an idempotency key, a transaction id, a note and a
// HOST:PORT address may be (an amount's rule is money's: lib/money.ts). The
// edges check input with these (the CLI and the dashboard as a person typed
// it, the gateway's and the bank's services off the wire, the bank's accounts
// file); what an edge has checked, deeper layers assert with the `is...`
// predicates instead of checking again. A refusal is INVALID_ARGUMENT naming
// the field; `why` defaults to the rule in words, and a caller passes its own
// only where its audience has always been told it differently.
import { invalid } from "./errors";
import { limits } from "./limits";

/**
 * Printable (SPEC: a key is 1-255 printable characters): letters, marks,
 * digits, punctuation, symbols of any script, and the space; never a control,
 * format (invisible, text-direction), line or paragraph separator, unassigned
 * or private-use code point.
 */
const printablePattern = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]+$/u;
/** A control character (escape sequences among them): never in text shown on another's terminal. */
const controlPattern = /\p{Cc}/u;
const usernamePattern = /^[a-z0-9][a-z0-9_.-]*$/;
const bankNamePattern = /^[a-z0-9][a-z0-9_-]*$/;
const accountNumberPattern = /^[A-Za-z0-9-]+$/;
const transactionIdPattern = /^[\w-]+$/;
const digitsPattern = /^\d+$/;

function within(text: string, lengthMin: number, lengthMax: number): boolean {
  return text.length >= lengthMin && text.length <= lengthMax;
}

function checked(text: string, ok: boolean, field: string, why: string): string {
  if (!ok) throw invalid(field, why);
  return text;
}

/** A user's name: 1-32 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit. */
export function isUsername(text: string): boolean {
  return within(text, 1, limits.usernameLengthMax) && usernamePattern.test(text);
}

export function usernameField(text: string, field = "username", why = `1-${limits.usernameLengthMax} lowercase letters, digits, '.', '_' or '-'`): string {
  return checked(text, isUsername(text), field, why);
}

/** A bank's name (also the name in a bank's or a client's certificate): 1-32 lowercase letters, digits, '_' or '-'. */
export function isBankName(text: string): boolean {
  return within(text, 1, limits.bankNameLengthMax) && bankNamePattern.test(text);
}

export function bankNameField(text: string, field = "bank", why = "a bank name such as hdfc"): string {
  return checked(text, isBankName(text), field, why);
}

/** An account number at a bank: 1-34 letters, digits or '-' (an IBAN fits). */
export function isAccountNumber(text: string): boolean {
  return within(text, 1, limits.accountLengthMax) && accountNumberPattern.test(text);
}

export function accountNumberField(text: string, field = "account", why = `1-${limits.accountLengthMax} letters, digits or -`): string {
  return checked(text, isAccountNumber(text), field, why);
}

/** An account's PIN: 4 to 12 digits. */
export function isPin(text: string): boolean {
  return within(text, limits.pinLengthMin, limits.pinLengthMax) && digitsPattern.test(text);
}

export function pinField(text: string, field = "pin", why = `${limits.pinLengthMin} to ${limits.pinLengthMax} digits`): string {
  return checked(text, isPin(text), field, why);
}

/** A new password: long enough to resist guessing, short enough to hash cheaply. */
export function passwordField(text: string, field = "password"): string {
  if (text.length < limits.passwordLengthMin) throw invalid(field, `at least ${limits.passwordLengthMin} characters`);
  if (text.length > limits.passwordLengthMax) throw invalid(field, `at most ${limits.passwordLengthMax} characters`);
  return text;
}

/** An idempotency key: 1-255 printable characters (UTF-16 units, as every length here), spaces and any script included. */
export function isIdempotencyKey(text: string): boolean {
  // In Unicode's composed form only: "é" written two ways would otherwise be two keys, and pay twice.
  return within(text, 1, limits.idempotencyKeyLengthMax) && printablePattern.test(text) && text.normalize("NFC") === text;
}

export function idempotencyKeyField(text: string, field = "idempotency_key", why = `1-${limits.idempotencyKeyLengthMax} printable characters`): string {
  return checked(text, isIdempotencyKey(text), field, why);
}

/** `--key` as a person typed it: absent is fine (a new key is made for them). */
export function typedKeyField(text: string | undefined, field = "--key"): string | undefined {
  if (text === undefined) return undefined;
  return idempotencyKeyField(text, field, `1-${limits.idempotencyKeyLengthMax} printable characters`);
}

/** A currency: three capital letters (ISO 4217's form), such as INR. */
export function currencyField(text: string, field: string): string {
  return checked(text, /^[A-Z]{3}$/.test(text), field, `"${text}" is not a three-letter currency code such as INR`);
}

/** A transaction id: 1-64 letters, digits, '_' or '-'. A payment's id is its transaction id at the banks. */
export function isTransactionId(text: string): boolean {
  return within(text, 1, limits.transactionIdLengthMax) && transactionIdPattern.test(text);
}

export function transactionIdField(text: string, field = "txid", why = `1-${limits.transactionIdLengthMax} letters, digits, _ or -`): string {
  return checked(text, isTransactionId(text), field, why);
}

/** A payment's note or a refund's reason: at most 200 characters... */
export function isNoteLength(text: string): boolean {
  return text.length <= limits.noteLengthMax;
}

export function noteLengthField(text: string, field: string): string {
  return checked(text, isNoteLength(text), field, `at most ${limits.noteLengthMax} characters`);
}

/**
 * Characters that make a note shown to the other party read otherwise than it
 * is, or break its one line: direction overrides and marks (a payee saw
 * "rent \u202e00.001 RNI" as "rent INR 100.00"), line and paragraph
 * separators, and every character Unicode says is invisible by default
 * (zero-width spaces, fillers that render blank, tag characters that carry
 * hidden text).
 */
const deceivingPattern = /[\p{Default_Ignorable_Code_Point}\p{Bidi_Control}\p{Zl}\p{Zp}]/u;
/** ...but joiners, variation selectors and Mongolian's selectors and vowel separator, which scripts and emoji need to render right. */
const neededInvisiblePattern = /^[\u200C\u200D\u180B-\u180F\uFE00-\uFE0F\u{E0100}-\u{E01EF}]$/u;
/** Tag characters, allowed only in an emoji tag sequence: after the black flag (England's, Scotland's, Wales's flags). */
const tagPattern = /^[\u{E0020}-\u{E007F}]$/u;

function isDeceiving(text: string): boolean {
  let inFlag = false;
  for (const char of text) {
    // A tag after the black flag, or after a tag that followed it: part of the flag's sequence.
    if (inFlag && tagPattern.test(char)) continue;
    inFlag = char === "\u{1F3F4}";
    if (deceivingPattern.test(char) && !neededInvisiblePattern.test(char)) return true;
  }
  return false;
}

/** ...and, being printed on the other party's terminal and page, no control characters (escape sequences) and nothing that hides or reorders text. */
export function noteField(text: string, field: string): string {
  return notDeceiving(noteTextField(text, field), field);
}

/**
 * A note's length and control characters: what the gateway has always
 * refused at the edge. The later rule (notDeceiving) it applies only after a
 * resend's key was looked up, so a key claimed by a gateway of an earlier
 * version is still answered as a replay, never refused (errors.ts refusedBeforeClaim).
 */
export function noteTextField(text: string, field: string): string {
  noteLengthField(text, field);
  return checked(text, !controlPattern.test(text), field, "no control characters");
}

/** No character that hides or reorders what the other party reads (deceivingPattern). */
export function notDeceiving(text: string, field: string): string {
  return checked(text, !isDeceiving(text), field, "no invisible or text-direction characters (U+202E and the like)");
}

/** An address to dial or listen on: a host name, an IPv4 address or a [bracketed] IPv6 one, then a port. */
const hostPortPattern = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]{1,253}):(\d{1,5})$/;

/** "HOST:PORT" (surrounding spaces ignored), split; the host keeps no brackets. */
export function hostPortField(text: string, field: string): { host: string; port: number } {
  const match = hostPortPattern.exec(text.trim());
  if (!match || Number(match[2]) > 65535) throw invalid(field, `"${text}" is not HOST:PORT`);
  return { host: match[1]!.replace(/^\[|\]$/g, ""), port: Number(match[2]) };
}
