// Proves the coordinator's prepare timeout runs on the injected clock: with a
// payer bank whose bytes are held (it never votes) and the longest prepare
// timeout (10 minutes), moving a fake clock past the timeout fails the payment
// as prepare_timeout without waiting for it; once the bank is reachable again
// its late hold is voided, and money is conserved to the minor unit.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { limits } from "../src/lib/limits";
import { FakeClock } from "./support/fake-clock";
import { balanceMinor, eventually, loadedTotalMinor, pay, sampleAccounts, signUp, startSystem, type TestSystem } from "./support/system";

// Here, not only in the preload: bun applies a preload's default timeout to the first test file of a run only.
setDefaultTimeout(30_000);

const clock = new FakeClock();
let system: TestSystem;
beforeAll(async () => {
  system = await startSystem({ prepareTimeoutMs: limits.prepareTimeoutMsMax, proxied: ["hdfc"], clock });
});
afterAll(async () => {
  await system.stop();
});

test("a bank that never votes: the fake clock moved past a 10-minute prepare timeout fails the payment as prepare_timeout", async () => {
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  // A first payment connects the gateway's link to hdfc: a bank never connected would be bank_unavailable.
  expect((await pay(alice, "bob", 100n)).payment.status).toBe("SUCCEEDED");
  const hdfc = system.proxies.get("hdfc")!;
  hdfc.hold();
  const paying = pay(alice, "bob", 70_000n);
  // Both banks' timers are set; icici votes and its timer is cancelled: hdfc's alone waits.
  expect(await eventually(() => clock.timersWaiting === 1)).toBe(true);
  const reply = await clock.runUntil(paying);
  expect(reply.payment.status).toBe("FAILED");
  expect(reply.payment.failure_code).toBe("prepare_timeout");
  const row = (await system.gateway.store.getPayment(reply.payment.id))!;
  expect(row.decidedAtMs! - row.createdAtMs).toBeGreaterThanOrEqual(limits.prepareTimeoutMsMax);

  hdfc.heal();
  const hdfcStore = system.banks.get("hdfc")!.store;
  expect(await eventually(() => hdfcStore.getTransaction(reply.payment.id)?.state === "aborted" && hdfcStore.totals().heldSumMinor === 0n, 20_000)).toBe(true);
  expect(system.banks.get("icici")!.store.getTransaction(reply.payment.id)?.state).toBe("aborted");
  expect(await balanceMinor(alice)).toBe(500_000n - 100n);
  expect(system.totalMinor()).toBe(loadedTotalMinor(sampleAccounts, ["hdfc", "icici", "sbi"]));
});
