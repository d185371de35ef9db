// The shared accounts file (YAML or JSON): each bank reads only its section.
import { readFileSync } from "node:fs";
import { AppError, Code, invalid } from "../lib/errors";
import { accountNumberField, currencyField, isPin } from "../lib/fields";
import { limits } from "../lib/limits";
import { parseDecimalMinor } from "../lib/money";

export interface AccountSeed {
  number: string;
  holder: string;
  balanceMinor: bigint;
  /** The secret its holder registers with (4-12 digits); the bank keeps only its hash. */
  pin?: string;
  /** Or that secret already hashed (Argon2id, PHC string): a file need not hold PINs in clear. */
  pinHash?: string;
}

export interface BankSection {
  currency: string;
  accounts: AccountSeed[];
}

export function readBankSection(path: string, bank: string): BankSection {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new AppError(Code.InvalidArgument, `--accounts: cannot read ${path}`, error);
  }
  return parseBankSection(text, bank, path);
}

export function parseBankSection(text: string, bank: string, source = "accounts file"): BankSection {
  /** The file as written: checked field by field below, so nothing of it is trusted. */
  let doc: { currency?: unknown; banks?: Record<string, { accounts?: unknown } | undefined> } | null | undefined;
  try {
    doc = text.trimStart().startsWith("{") ? JSON.parse(text) : Bun.YAML.parse(text);
  } catch (error) {
    throw new AppError(Code.InvalidArgument, `${source}: not valid YAML or JSON`, error);
  }
  const currency = typeof doc?.currency === "string" ? doc.currency : "INR";
  currencyField(currency, `${source}: currency`);
  const section = doc?.banks?.[bank];
  if (!section) throw new AppError(Code.NotFound, `${source}: no section for bank "${bank}"`);
  const rows: unknown[] = Array.isArray(section.accounts) ? (section.accounts as unknown[]) : [];
  if (rows.length > limits.accountsPerBankMax) throw invalid(`${source}: banks.${bank}.accounts`, `at most ${limits.accountsPerBankMax}`);
  const seen = new Set<string>();
  const accounts = rows.map((row, i) => {
    const seed = parseSeed(row, `${source}: banks.${bank}.accounts[${i}]`);
    if (seen.has(seed.number)) throw invalid(`${source}: banks.${bank}.accounts[${i}]`, `account ${seed.number} listed twice`);
    seen.add(seed.number);
    return seed;
  });
  return { currency, accounts };
}

/** An account's fields in the file: any other is a typo (a "balnce" loaded 0.00 in silence). */
const seedFields = ["number", "holder", "balance", "pin", "pin_hash"];

function parseSeed(row: unknown, where: string): AccountSeed {
  const r = row as Record<string, unknown>;
  const unknown = r && typeof r === "object" ? Object.keys(r).find((key) => !seedFields.includes(key)) : undefined;
  if (unknown !== undefined) throw invalid(where, `unknown field "${unknown.slice(0, 40)}" (the fields are ${seedFields.join(", ")})`);
  const number = String(r?.number ?? "");
  accountNumberField(number, `${where}.number`, `"${number}" is not an account number`);
  const holder = String(r?.holder ?? "").slice(0, 100);
  const balanceMinor = parseDecimalMinor(String(r?.balance ?? "0"), `${where}.balance`);
  if (balanceMinor > limits.balanceMinorMax) throw invalid(`${where}.balance`, "too large");
  return { number, holder, balanceMinor, ...pinOf(r, where) };
}

function pinOf(r: Record<string, unknown>, where: string): { pin?: string; pinHash?: string } {
  if (r?.pin !== undefined && r?.pin_hash !== undefined) throw invalid(`${where}`, "give pin or pin_hash, not both");
  if (r?.pin !== undefined) {
    // A YAML number loses leading zeros: a PIN must be written as a string.
    if (typeof r.pin !== "string" || !isPin(r.pin)) throw invalid(`${where}.pin`, "4 to 12 digits, quoted");
    return { pin: r.pin };
  }
  if (r?.pin_hash !== undefined) {
    const pinHash = String(r.pin_hash);
    if (!pinHash.startsWith("$argon2id$") || pinHash.length > limits.pinHashLengthMax) throw invalid(`${where}.pin_hash`, "an Argon2id hash ($argon2id$...)");
    return { pinHash };
  }
  return {};
}
