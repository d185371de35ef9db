// Proves that a bank which voted YES on a payment that was then aborted, and
// which never hears the gateway's Abort (every message from the gateway to it
// is dropped), voids its hold on its own: once the transaction is older than
// its in-doubt interval it asks the coordinator, is told ABORT, and applies it.
// The available balance comes back, no hold stays open, no money moves.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { afterVoting, balanceMinor, eventually, failsWith, loadedTotalMinor, pay, sampleAccounts, signUp, startSystem, type TestSystem } from "./support/system";

const banks = ["hdfc", "icici"];
let system: TestSystem;
beforeAll(async () => {
  system = await startSystem({ banks, proxied: banks, inDoubtAfterMs: 400 });
});
afterAll(async () => {
  await system.stop();
});

test("a payer bank cut off after voting YES on a payment the payee's bank failed voids its hold by asking the coordinator", async () => {
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  const bob = await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  const hdfc = system.banks.get("hdfc")!;
  const toHdfc = system.proxies.get("hdfc")!;
  // The payee's bank cannot be reached, so the payment aborts; the payer's
  // bank votes YES, and from then on nothing from the gateway reaches it (its
  // own questions to the coordinator do not go through the proxy).
  system.proxies.get("icici")!.blackhole = true;
  // The gateway's connection to icici, open since bob registered, is found cut before the payment
  // (else, under load, the prepare's timer could find it still open and call the failure a timeout).
  await failsWith(balanceMinor(bob), "UNAVAILABLE");
  afterVoting(system, "hdfc", () => {
    toHdfc.blackhole = true;
  });

  const reply = await pay(alice, "bob", 300_000n);
  expect(reply.payment.status).toBe("FAILED");
  expect(reply.payment.failure_code).toBe("bank_unavailable");
  const txid = reply.payment.id;
  expect((await system.gateway.store.getPayment(txid))?.decision).toBe("ABORT");

  // Voided by hdfc itself: the gateway's Abort cannot get through.
  expect(await eventually(() => hdfc.store.getTransaction(txid)?.state === "aborted")).toBe(true);
  expect(toHdfc.blackhole).toBe(true);
  expect(toHdfc.dropped).toBeGreaterThanOrEqual(1);
  expect(hdfc.store.getAccount("1001")).toMatchObject({ balanceMinor: 500_000n, heldMinor: 0n });
  expect(hdfc.store.totals()).toMatchObject({ openHolds: 0, heldSumMinor: 0n, committed: 0 });
  expect(system.totalMinor()).toBe(loadedTotalMinor(sampleAccounts, banks));

  // Back in reach, the user sees the whole balance available again.
  toHdfc.blackhole = false;
  // The gateway reconnects to hdfc with backoff; the read is retried meanwhile.
  const balance = await alice.call("GetBalance", {}, { retry: true, attemptsMax: 10 });
  expect(balance).toMatchObject({ balance_minor: "500000", available_minor: "500000" });
}, 20_000);
