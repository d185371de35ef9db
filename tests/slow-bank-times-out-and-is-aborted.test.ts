// Proves the prepare timeout: a bank slower than the timeout (a delaying TCP
// proxy, not a product flag) makes the payment fail as prepare_timeout, the
// late hold is voided by the abort every participant is sent, and a frozen
// bank does not stall payments that do not involve it, nor, behind a call
// stuck there, the decision of a payment that does.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { eventually, balanceMinor, loadedTotalMinor, pay, sampleAccounts, signUp, startSystem, type TestSystem } from "./support/system";

// Here, not only in the preload: bun applies a preload's default timeout to the first test file of a run only.
setDefaultTimeout(30_000);

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem({ prepareTimeoutMs: 300, proxied: ["hdfc"] });
});
afterAll(async () => {
  await system.stop();
});

test("a payer bank slower than the prepare timeout: FAILED prepare_timeout, its late hold voided", async () => {
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  const hdfc = system.proxies.get("hdfc")!;
  hdfc.delayMs = 1_000;
  const reply = await pay(alice, "bob", 70_000n);
  expect(reply.payment.status).toBe("FAILED");
  expect(reply.payment.failure_code).toBe("prepare_timeout");

  // The late Prepare and then the Abort both reach hdfc; the transaction must end aborted, the hold released.
  const hdfcStore = system.banks.get("hdfc")!.store;
  const settled = await eventually(() => hdfcStore.getTransaction(reply.payment.id)?.state === "aborted" && hdfcStore.totals().heldSumMinor === 0n);
  expect(settled).toBe(true);
  expect(system.banks.get("icici")!.store.getTransaction(reply.payment.id)?.state).toBe("aborted");
  hdfc.delayMs = 0;
  expect(await balanceMinor(alice)).toBe(500_000n);
  expect(system.totalMinor()).toBe(loadedTotalMinor(sampleAccounts, ["hdfc", "icici", "sbi"]));
});

test("behind a call stuck at a frozen bank, a payment is still decided within about its prepare timeout", async () => {
  const dave = await signUp(system, { username: "dave", bank: "hdfc", account: "1002", certFolder: "client-mallory" });
  const hdfc = system.proxies.get("hdfc")!;
  hdfc.delayMs = 60_000;
  // The first payment times out; its Abort then occupies hdfc's link for the phase-two deadline.
  expect((await pay(dave, "bob", 100n)).payment.failure_code).toBe("prepare_timeout");
  const reply = await pay(dave, "bob", 200n);
  expect(reply.payment.failure_code).toBe("prepare_timeout");
  const row = (await system.gateway.store.getPayment(reply.payment.id))!;
  // Decided by the coordinator's own timer (300 ms), not when the stuck call gives up (5 s).
  expect(row.decidedAtMs! - row.createdAtMs).toBeLessThan(2_000);
  hdfc.delayMs = 0;
});

test("a frozen bank does not stall payments between other banks", async () => {
  const hdfc = system.proxies.get("hdfc")!;
  hdfc.delayMs = 60_000;
  const bob = system.client("client-bob");
  bob.token = (await bob.call("Login", { username: "bob", password: "bob-password" }, { retry: false })).token;
  await signUp(system, { username: "carol", bank: "sbi", account: "3001" });
  const before = system.totalMinor();
  const replies = await Promise.all([1, 2, 3, 4, 5].map(() => pay(bob, "carol", 100n)));
  expect(replies.every((r) => r.payment.status === "SUCCEEDED")).toBe(true);
  expect(await balanceMinor(bob)).toBe(120_000n - 500n);
  expect(system.totalMinor()).toBe(before);
  hdfc.delayMs = 0;
});
