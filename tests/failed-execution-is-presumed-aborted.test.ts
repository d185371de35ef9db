// Proves the coordinator does not need a restart to finish a payment whose
// execution failed before a decision (here the decision write fails once):
// its driver applies presumed abort, the banks release their holds, and a
// retry with the key gets that one final outcome.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { sleepMs } from "../src/lib/clock";
import { balanceMinor, failNextDecision, failsWith, loadedTotalMinor, pay, sampleAccounts, signUp, startSystem, type TestSystem } from "./support/system";

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem({ prepareTimeoutMs: 200 });
});
afterAll(async () => {
  await system.stop();
});

test("a decision that could not be written: presumed abort by the running gateway, holds released", async () => {
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  failNextDecision(system);
  const key = crypto.randomUUID();
  await failsWith(pay(alice, "bob", 30_000n, key), "INTERNAL");
  const hdfc = system.banks.get("hdfc")!.store;
  expect(hdfc.totals().heldSumMinor).toBe(30_000n); // both banks voted YES and hold

  let row = (await system.gateway.store.paymentByKey("alice", key))!;
  for (let i = 0; i < 400 && (row.decision === null || hdfc.totals().heldSumMinor !== 0n); i++) {
    await sleepMs(50);
    row = (await system.gateway.store.paymentByKey("alice", key))!;
  }
  expect(row.decision).toBe("ABORT");
  expect(hdfc.totals().heldSumMinor).toBe(0n);
  const retry = await pay(alice, "bob", 30_000n, key);
  expect(retry).toMatchObject({ replayed: true, payment: { id: row.id, status: "FAILED" } });
  expect(await balanceMinor(alice)).toBe(500_000n);
  expect(system.totalMinor()).toBe(loadedTotalMinor(sampleAccounts, ["hdfc", "icici", "sbi"]));
}, 30_000);
