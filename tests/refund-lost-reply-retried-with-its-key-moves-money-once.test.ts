// Proves a refund's reply lost in flight is safe to retry: the gateway
// commits the refund but the payee's deadline expires first; the retry with
// the same key gets the original refund, marked as a replay, and the money
// moves back once.
import { afterAll, beforeAll, expect, test, setDefaultTimeout } from "bun:test";
import { sleepMs } from "../src/lib/clock";
import { balanceMinor, failsWith, loadedTotalMinor, pay, refund, sampleAccounts, signUp, startSystem, type TestSystem } from "./support/system";

// A bound against hangs (the preload's default reaches only the first file of a run), not a speed check.
setDefaultTimeout(30_000);
let system: TestSystem;
beforeAll(async () => {
  system = await startSystem({ proxied: ["icici"], prepareTimeoutMs: 3_000 });
});
afterAll(async () => {
  await system.stop();
});

test("deadline expires before the refund's reply; the retry returns the original refund and money moves once", async () => {
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  const bob = await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  const paid = await pay(alice, "bob", 20_000n);
  const key = crypto.randomUUID();
  const send = () => bob.call("Refund", { idempotency_key: key, payment_id: paid.payment.id, amount_minor: "8000", reason: "damaged" }, { retry: false, deadlineMs: 300 });
  system.proxies.get("icici")!.delayMs = 600; // the refund takes longer than bob waits
  await failsWith(send(), "DEADLINE_EXCEEDED");
  for (let i = 0; i < 100 && (await system.gateway.store.paymentByKey("bob", key))?.phaseTwoDoneAtMs == null; i++) await sleepMs(50);
  system.proxies.get("icici")!.delayMs = 0;

  const retry = await bob.call("Refund", { idempotency_key: key, payment_id: paid.payment.id, amount_minor: "8000", reason: "damaged" }, { retry: false });
  expect(retry.replayed).toBe(true);
  expect(retry.refund!.status).toBe("SUCCEEDED");
  expect(retry.refund!.id).toBe((await system.gateway.store.paymentByKey("bob", key))!.id);
  expect(await system.gateway.store.refundsOf(paid.payment.id, 10)).toHaveLength(1);
  expect(await balanceMinor(alice)).toBe(500_000n - 20_000n + 8_000n);
  expect(await balanceMinor(bob)).toBe(120_000n + 20_000n - 8_000n);
  expect(system.totalMinor()).toBe(loadedTotalMinor(sampleAccounts, ["hdfc", "icici", "sbi"]));
  // The same key with another amount is a mismatch, and so is a payment's key sent as a refund's.
  await failsWith(refund(bob, paid.payment.id, 100n, key, "damaged"), "FAILED_PRECONDITION");
  const payKey = crypto.randomUUID();
  await pay(bob, "alice", 100n, payKey);
  await failsWith(refund(bob, paid.payment.id, 100n, payKey), "FAILED_PRECONDITION");
  await failsWith(pay(bob, "alice", 8_000n, key, "damaged"), "FAILED_PRECONDITION");
  expect(await system.gateway.store.refundsOf(paid.payment.id, 10)).toHaveLength(1);
});
