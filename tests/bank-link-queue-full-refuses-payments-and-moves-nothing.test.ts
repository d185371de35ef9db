// Proves what the gateway does when the queue of calls waiting for a bank is
// full (a bank that stops answering): a payment whose prepare finds no room
// fails at once as bank_unavailable, saying the bank is not keeping up; the
// others wait for their prepare timeout as before; once the bank answers
// again every hold is released and no money moved, to the minor unit.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { eventually, balanceMinor, loadedTotalMinor, pay, sampleAccounts, signUp, startSystem, type TestSystem } from "./support/system";

// Here, not only in the preload: bun applies a preload's default timeout to the first test file of a run only.
setDefaultTimeout(30_000);

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem({ prepareTimeoutMs: 1_500, proxied: ["hdfc"], exchangeEntriesQueuedMax: 1 });
});
afterAll(async () => {
  await system.stop();
});

test("prepares beyond the queue's bound are refused: those payments fail as bank_unavailable; after the bank is back nothing moved", async () => {
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  // Connects the gateway's link to hdfc first: a bank never connected would be bank_unavailable anyway.
  expect((await pay(alice, "bob", 100n)).payment.status).toBe("SUCCEEDED");
  const hdfc = system.proxies.get("hdfc")!;
  hdfc.hold();
  // One call in flight (held), one waiting: the rest find the queue full.
  const replies = await Promise.all([1, 2, 3, 4, 5, 6].map(() => pay(alice, "bob", 1_000n)));
  const payments = replies.map((reply) => reply.payment as typeof reply.payment & { failure_message?: string });
  expect(payments.every((p) => p.status === "FAILED")).toBe(true);
  const refused = payments.filter((p) => p.failure_code === "bank_unavailable");
  expect(refused.length).toBeGreaterThan(0);
  for (const p of refused) expect(p.failure_message).toContain("bank hdfc is not keeping up: 1 call already waiting for it");
  expect(payments.every((p) => p.failure_code === "bank_unavailable" || p.failure_code === "prepare_timeout")).toBe(true);

  hdfc.heal();
  const stores = [system.banks.get("hdfc")!.store, system.banks.get("icici")!.store];
  expect(await eventually(() => stores.every((store) => store.totals().heldSumMinor === 0n) && payments.every((p) => ["aborted", undefined].includes(stores[0]!.getTransaction(p.id)?.state)), 20_000)).toBe(true);
  expect(await balanceMinor(alice)).toBe(500_000n - 100n);
  expect(system.totalMinor()).toBe(loadedTotalMinor(sampleAccounts, ["hdfc", "icici", "sbi"]));
});
