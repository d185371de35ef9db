// The built-in accounts file that `dev` and `demo` use when none is given.
export const sampleAccountsYaml = `currency: INR
banks:
  hdfc:
    accounts:
      - { number: "1001", holder: "Alice", balance: "5000.00" }
      - { number: "1002", holder: "Dev", balance: "2500.00" }
  icici:
    accounts:
      - { number: "2001", holder: "Bob", balance: "1200.00" }
      - { number: "2002", holder: "Erin", balance: "800.00" }
  sbi:
    accounts:
      - { number: "3001", holder: "Carol", balance: "3000.00" }
      - { number: "3002", holder: "Frank", balance: "150.00" }
`;

/** An accounts file with `perBank` accounts of `balance` at each bank: for bench and tests. */
export function generatedAccountsYaml(banks: string[], perBank: number, balance: string): string {
  const lines = ["currency: INR", "banks:"];
  banks.forEach((bank, b) => {
    lines.push(`  ${bank}:`, "    accounts:");
    for (let i = 0; i < perBank; i++) lines.push(`      - { number: "${b + 1}${String(i).padStart(5, "0")}", holder: "User ${b}-${i}", balance: "${balance}" }`);
  });
  return `${lines.join("\n")}\n`;
}
