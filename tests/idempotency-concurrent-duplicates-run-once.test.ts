// Proves that 50 concurrent Pay calls with one key start one transaction:
// every caller gets the same payment and outcome, and money moves once.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { balanceMinor, loadedTotalMinor, pay, sampleAccounts, signUp, startSystem, type TestSystem } from "./support/system";

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(async () => {
  await system.stop();
});

test("50 concurrent requests with one key: one transaction, one outcome for all", async () => {
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  const bob = await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  const key = crypto.randomUUID();
  const replies = await Promise.all(Array.from({ length: 50 }, () => pay(alice, "bob", 10_000n, key)));

  expect(new Set(replies.map((r) => r.payment.id)).size).toBe(1);
  expect(replies.every((r) => r.payment.status === "SUCCEEDED")).toBe(true);
  expect(replies.filter((r) => !r.replayed)).toHaveLength(1);
  expect(system.banks.get("hdfc")!.store.totals().committed).toBe(1);
  expect(system.banks.get("icici")!.store.totals().committed).toBe(1);
  expect(await balanceMinor(alice)).toBe(500_000n - 10_000n);
  expect(await balanceMinor(bob)).toBe(120_000n + 10_000n);
  expect(system.totalMinor()).toBe(loadedTotalMinor(sampleAccounts, ["hdfc", "icici", "sbi"]));
});
