// Proves the phase-two driver does not send a payment's decision again while
// the mark that records its phase two as done is still being written: the
// payment stays the coordinator's own until the mark lands, so its banks get
// its Commit once, and the resend counter stays still.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { sleepMs } from "../src/lib/clock";
import { limits } from "../src/lib/limits";
import { balanceMinor, countCommits, loadedTotalMinor, pay, sampleAccounts, signUp, startSystem, type TestSystem } from "./support/system";

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(async () => {
  await system.stop();
});

test("a payment whose phase-two mark is slow to land is not sent its Commit again", async () => {
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  const bob = await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  const { store, coordinator } = system.gateway;
  // The mark lands only after the driver's longest idle interval: every pass in between sees the payment unfinished.
  const markDelayMs = limits.phaseTwoRetryMsMax + 1_500;
  const mark = store.markPhaseTwoDone.bind(store);
  store.markPhaseTwoDone = async (id, atMs) => {
    await sleepMs(markDelayMs);
    return mark(id, atMs);
  };
  let resent = 0;
  coordinator.onResent = (payments) => (resent += payments);
  const commits = countCommits(system, "icici");

  const reply = await pay(alice, "bob", 4_321n);
  expect(reply.payment.status).toBe("SUCCEEDED");
  await sleepMs(markDelayMs + 500);

  expect((await store.getPayment(reply.payment.id))?.phaseTwoDoneAtMs).not.toBeNull();
  expect(resent).toBe(0);
  expect(commits.count).toBe(1);
  expect(await balanceMinor(bob)).toBe(120_000n + 4_321n);
  expect(await balanceMinor(alice)).toBe(500_000n - 4_321n);
  expect(system.totalMinor()).toBe(loadedTotalMinor(sampleAccounts, ["hdfc", "icici", "sbi"]));
});
