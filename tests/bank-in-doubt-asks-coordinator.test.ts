// Proves participant recovery: a bank that voted YES and never hears the
// decision (every message from the gateway to it is dropped) asks the
// gateway's Coordinator once the transaction is older than its in-doubt
// interval, and applies the answer; the coordinator answers ABORT for
// anything it never decided (presumed abort).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { sleepMs } from "../src/lib/clock";
import { connect } from "../src/rpc/channel";
import { unaryCall } from "./support/loose-call";
import { loadCertFolder } from "../src/rpc/credentials";
import { afterVoting, loadedTotalMinor, pay, sampleAccounts, signUp, startSystem, type TestSystem } from "./support/system";

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem({ proxied: ["icici"], inDoubtAfterMs: 400 });
});
afterAll(async () => {
  await system.stop();
});

test("a bank cut off from the gateway after voting yes learns COMMIT by asking the coordinator", async () => {
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  const bob = await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  const proxy = system.proxies.get("icici")!;
  const icici = system.banks.get("icici")!;
  // The vote still gets out; nothing from the gateway gets in any more.
  afterVoting(system, "icici", () => {
    proxy.blackhole = true;
  });
  const reply = await pay(alice, "bob", 4_321n);
  expect(reply.payment.status).toBe("SUCCEEDED");
  for (let i = 0; i < 200 && icici.store.getTransaction(reply.payment.id)?.state !== "committed"; i++) await sleepMs(50);
  expect(proxy.blackhole).toBe(true);
  expect(icici.store.getTransaction(reply.payment.id)?.state).toBe("committed");
  expect(icici.store.getAccount("2001")!.balanceMinor).toBe(120_000n + 4_321n);
  expect(system.totalMinor()).toBe(loadedTotalMinor(sampleAccounts, ["hdfc", "icici", "sbi"]));
  proxy.blackhole = false;
  // The gateway reconnects to icici with backoff; the read is retried meanwhile.
  const balance = await bob.call("GetBalance", {}, { retry: true, attemptsMax: 10 });
  expect(BigInt(balance.balance_minor)).toBe(120_000n + 4_321n);
});

test("the coordinator answers ABORT for a transaction it never recorded, and only to banks", async () => {
  const asBank = connect("Coordinator", system.gatewayAddress, { certs: loadCertFolder(join(system.certsDir, "bank-hdfc")), expect: { role: "gateway", name: "gateway" } });
  const reply = await unaryCall<unknown, { decisions: { txid: string; outcome: string }[] }>(asBank, "GetDecision", { txids: ["never-recorded"] }, { deadlineMs: 5_000 });
  expect(reply.decisions).toEqual([{ txid: "never-recorded", outcome: "ABORT" }]);
  asBank.close();
});
