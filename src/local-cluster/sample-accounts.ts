// The built-in accounts file that `dev` and `demo` use when none is given,
// and the generated one `bench` uses.
import { parseBankSection } from "../bank/accounts-file";
import { assert } from "../lib/assert";
import { hashSecret } from "../lib/secret-hash";

export const sampleAccountsYaml = `currency: INR
banks:
  hdfc:
    accounts:
      - { number: "1001", holder: "Alice", balance: "5000.00", pin: "1111" }
      - { number: "1002", holder: "Dev", balance: "2500.00", pin: "1212" }
  icici:
    accounts:
      - { number: "2001", holder: "Bob", balance: "1200.00", pin: "2222" }
      - { number: "2002", holder: "Erin", balance: "800.00", pin: "2323" }
  sbi:
    accounts:
      - { number: "3001", holder: "Carol", balance: "3000.00", pin: "3333" }
      - { number: "3002", holder: "Frank", balance: "150.00", pin: "3434" }
`;

/** The PIN of a sample account, for the commands `dev` prints and the users `demo` registers. */
export function samplePin(bank: string, account: string): string {
  const pin = parseBankSection(sampleAccountsYaml, bank).accounts.find((seed) => seed.number === account)?.pin;
  assert(pin, `a sample account ${account} at ${bank}`);
  return pin;
}

/** One line per sample account: "hdfc 1001 Alice PIN 1111". */
export function samplePinLines(banks: string[]): string[] {
  return banks.flatMap((bank) => {
    try {
      return parseBankSection(sampleAccountsYaml, bank).accounts.map((seed) => `${bank} ${seed.number} ${seed.holder} PIN ${seed.pin}`);
    } catch {
      return []; // a bank name `dev` was given that the sample file has no section for
    }
  });
}

/** The PIN every account bench generates carries. */
export const benchPin = "246810";

/**
 * An accounts file with `perBank` accounts of `balance` at each bank: for
 * bench and tests. Every account gets `benchPin`, hashed once and given as
 * `pin_hash`: hashing it per account (~14 ms each) would make a bank with
 * thousands of accounts take minutes to start.
 */
export async function generatedAccountsYaml(banks: string[], perBank: number, balance: string): Promise<string> {
  const pinHash = await hashSecret(benchPin);
  const lines = ["currency: INR", "banks:"];
  banks.forEach((bank, b) => {
    lines.push(`  ${bank}:`, "    accounts:");
    for (let i = 0; i < perBank; i++) lines.push(`      - { number: "${b + 1}${String(i).padStart(5, "0")}", holder: "User ${b}-${i}", balance: "${balance}", pin_hash: "${pinHash}" }`);
  });
  return `${lines.join("\n")}\n`;
}
