// Proves that a reply lost in flight is safe to retry: the gateway commits
// but the client's deadline expires first; the retry with the same key gets
// the original payment, marked as a replay, and the money moves once.
import { afterAll, beforeAll, expect, test, setDefaultTimeout } from "bun:test";
import { sleepMs } from "../src/lib/clock";
import { balanceMinor, failsWith, loadedTotalMinor, sampleAccounts, signUp, startSystem, type TestSystem } from "./support/system";

// A bound against hangs (the preload's default reaches only the first file of a run), not a speed check.
setDefaultTimeout(30_000);
let system: TestSystem;
beforeAll(async () => {
  system = await startSystem({ proxied: ["icici"], prepareTimeoutMs: 3_000 });
});
afterAll(async () => {
  await system.stop();
});

test("deadline expires before the reply; the retry returns the original and money moves once", async () => {
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  const bob = await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  const key = crypto.randomUUID();
  const request = { idempotency_key: key, to_username: "bob", amount_minor: "10000", note: "rent" };
  system.proxies.get("icici")!.delayMs = 600; // the payment takes longer than the client waits
  await failsWith(alice.call("Pay", request, { retry: false, deadlineMs: 300 }), "DEADLINE_EXCEEDED");
  for (let i = 0; i < 100 && (await system.gateway.store.paymentByKey("alice", key))?.phaseTwoDoneAtMs == null; i++) await sleepMs(50);
  system.proxies.get("icici")!.delayMs = 0;

  const retry = await alice.call("Pay", request, { retry: false });
  expect(retry.replayed).toBe(true);
  expect(retry.payment!.status).toBe("SUCCEEDED");
  expect(retry.payment!.id).toBe((await system.gateway.store.paymentByKey("alice", key))!.id);
  expect(await balanceMinor(alice)).toBe(500_000n - 10_000n);
  expect(await balanceMinor(bob)).toBe(120_000n + 10_000n);
  expect(system.totalMinor()).toBe(loadedTotalMinor(sampleAccounts, ["hdfc", "icici", "sbi"]));
});
