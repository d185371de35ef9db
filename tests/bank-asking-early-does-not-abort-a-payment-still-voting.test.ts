// Proves that a bank asking about its prepared transaction before the
// gateway's prepare timeout has run out (its in-doubt interval is shorter)
// does not abort a payment whose votes are still coming: the coordinator
// leaves the question unanswered, the payment commits on its votes, and the
// asking bank commits it too. A payment past its prepare timeout is still
// aborted at the bank's question (covered by the in-doubt tests).
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { balanceMinor, pay, signUp, startSystem, type TestSystem } from "./support/system";

// Here, not only in the preload: bun applies a preload's default timeout to the first test file of a run only.
setDefaultTimeout(30_000);

let system: TestSystem;
beforeAll(async () => {
  // hdfc asks after 100 ms; the gateway waits up to 5 s for votes; icici answers after ~1 s.
  system = await startSystem({ banks: ["hdfc", "icici"], prepareTimeoutMs: 5_000, inDoubtAfterMs: 100, proxied: ["icici"] });
});
afterAll(async () => {
  await system.stop();
});

test("a payment whose payee bank votes after the payer bank's in-doubt interval still succeeds, once", async () => {
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  const bob = await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  const before = system.totalMinor();
  // Every answer the coordinator gives: hdfc must have asked, and been told to wait.
  const coordinator = system.gateway.coordinator;
  const decisionsFor = coordinator.decisionsFor.bind(coordinator);
  const answers: string[] = [];
  coordinator.decisionsFor = async (txids) => {
    const decided = await decisionsFor(txids);
    answers.push(...decided.map((d) => d.outcome));
    return decided;
  };
  system.proxies.get("icici")!.delayMs = 1_000;
  const reply = await pay(alice, "bob", 4_321n);
  system.proxies.get("icici")!.delayMs = 0;
  coordinator.decisionsFor = decisionsFor;
  expect(answers).toContain("OUTCOME_UNSPECIFIED");
  expect(answers).not.toContain("ABORT");
  expect(reply.payment.status).toBe("SUCCEEDED");
  expect(await balanceMinor(alice)).toBe(500_000n - 4_321n);
  expect(await balanceMinor(bob)).toBe(120_000n + 4_321n);
  expect(system.totalMinor()).toBe(before);
  expect(system.banks.get("hdfc")!.store.totals().openHolds).toBe(0);
});
