// Proves a bank loads only its own section of the shared accounts file, only
// on its first start, and never overwrites balances it already holds.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { pay, signUp, startSystem, type TestSystem } from "./support/system";

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(async () => {
  await system.stop();
});

test("a restarted bank keeps its balances even when the accounts file changed", async () => {
  const hdfc = () => system.banks.get("hdfc")!.store;
  expect(hdfc().listAccounts().map((a) => a.number)).toEqual(["1001", "1002"]); // its own section only
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  expect((await pay(alice, "bob", 12_345n)).payment.status).toBe("SUCCEEDED");
  writeFileSync(system.accountsPath, `currency: INR\nbanks:\n  hdfc:\n    accounts:\n      - { number: "1001", holder: "Alice", balance: "999999.00" }\n      - { number: "1099", holder: "New", balance: "1.00" }\n`);
  await system.restartBank("hdfc");
  expect(hdfc().getAccount("1001")!.balanceMinor).toBe(500_000n - 12_345n);
  expect(hdfc().getAccount("1099")).toBeUndefined();
  expect(hdfc().getMeta("loaded_total_minor")).toBe("750000");
});
