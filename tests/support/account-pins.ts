// Registration needs the account's PIN (SPEC "Registration proves the account
// is yours"). The test systems give every account of a test's accounts file
// that has none the PIN `testPin`, and the helpers that register users read
// the PIN back from the file the system wrote, so a test names only the account.
import { readFileSync } from "node:fs";
import { parseBankSection } from "../../src/bank/accounts-file";

/** The PIN an account gets when the test's accounts file gives it none. */
export const testPin = "246810";

/** The accounts file with `testPin` for every account that has neither pin nor pin_hash (as JSON, which banks read too). */
export function withTestPins(accountsYaml: string): string {
  const doc = accountsYaml.trimStart().startsWith("{") ? JSON.parse(accountsYaml) : (Bun.YAML.parse(accountsYaml) as any);
  let filled = false;
  for (const section of Object.values<any>(doc?.banks ?? {})) {
    for (const account of Array.isArray(section?.accounts) ? section.accounts : []) {
      if (account && typeof account === "object" && account.pin === undefined && account.pin_hash === undefined) {
        account.pin = testPin;
        filled = true;
      }
    }
  }
  return filled ? `${JSON.stringify(doc, null, 1)}\n` : accountsYaml;
}

/** The PIN of `account` at `bank` in the accounts file at `path`; `testPin` for an account it does not list (the bank then answers NOT_FOUND). */
export function pinFromAccountsFile(path: string, bank: string, account: string): string {
  try {
    return parseBankSection(readFileSync(path, "utf8"), bank).accounts.find((seed) => seed.number === account)?.pin ?? testPin;
  } catch {
    return testPin; // no section for that bank: the gateway answers NOT_FOUND first
  }
}
