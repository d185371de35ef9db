// Proves a refund whose execution failed before a decision (the decision
// write fails once) is presumed aborted by the running gateway's driver, its
// holds voided and its reservation released in the same write: the whole
// payment is refundable again, and a retry with its key gets that one outcome.
import { afterAll, beforeAll, expect, test, setDefaultTimeout } from "bun:test";
import { sleepMs } from "../src/lib/clock";
import { balanceMinor, failNextDecision, failsWith, loadedTotalMinor, pay, refund, sampleAccounts, signUp, startSystem, type TestSystem } from "./support/system";

// A bound against hangs (the preload's default reaches only the first file of a run), not a speed check.
setDefaultTimeout(30_000);
let system: TestSystem;
beforeAll(async () => {
  system = await startSystem({ prepareTimeoutMs: 200 });
});
afterAll(async () => {
  await system.stop();
});

test("a refund's decision that could not be written: presumed abort releases its reservation", async () => {
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  const bob = await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  const paid = await pay(alice, "bob", 30_000n);
  failNextDecision(system);
  const key = crypto.randomUUID();
  await failsWith(refund(bob, paid.payment.id, 10_000n, key), "INTERNAL");
  const store = system.gateway.store;
  expect((await store.getPayment(paid.payment.id))!.refundReservedMinor).toBe(10_000n); // claimed, undecided

  let row = (await store.paymentByKey("bob", key))!;
  for (let i = 0; i < 400 && row.decision === null; i++) {
    await sleepMs(50);
    row = (await store.paymentByKey("bob", key))!;
  }
  expect(row.decision).toBe("ABORT");
  expect((await store.getPayment(paid.payment.id))!.refundReservedMinor).toBe(0n);
  const retry = await refund(bob, paid.payment.id, 10_000n, key);
  expect(retry).toMatchObject({ replayed: true, refund: { id: row.id, status: "FAILED" }, original: { refundable_minor: "30000" } });
  expect((await refund(bob, paid.payment.id, "all")).refund).toMatchObject({ status: "SUCCEEDED", amount_minor: "30000" });
  expect(await balanceMinor(alice)).toBe(500_000n);
  expect(system.totalMinor()).toBe(loadedTotalMinor(sampleAccounts, ["hdfc", "icici", "sbi"]));
}, 30_000);
