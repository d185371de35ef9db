// Proves that a pass over the offline queue (a command's flush, sync, the shell's resend) stops at the first send whose reply never comes: the entries after it stay queued untouched (no attempt counted, never sent), the one sent stays bound to its key, and once replies flow again each payment is sent and paid exactly once.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { GatewayClient } from "../src/client/gateway-client";
import { Outbox } from "../src/client/outbox";
import { loadCertFolder } from "../src/rpc/credentials";
import { ClientStore } from "../src/store/client-store";
import { memoryLogger, payCallsFor } from "./support/cli";
import { FaultProxy } from "./support/fault-proxy";
import { balanceMinor, loadedTotalMinor, sampleAccounts, signUp, startSystem, type TestSystem } from "./support/system";

setDefaultTimeout(60_000);
const memory = memoryLogger();
let system: TestSystem;
let alice: GatewayClient;
let link: FaultProxy;
let store: ClientStore;
const totalMinor = loadedTotalMinor(sampleAccounts, ["hdfc", "icici", "sbi"]);

beforeAll(async () => {
  system = await startSystem({ log: memory.log });
  alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  link = await FaultProxy.start(system.gatewayAddress);
  store = new ClientStore(join(system.dir, "alice-outbox.db"));
});
afterAll(async () => {
  store.close();
  await link.stop();
  await system.stop();
});

test("replies lost: the pass sends one entry and stops; the rest stay untouched, and every payment is paid once later", async () => {
  const keys = ["k-lost-1", "k-lost-2", "k-lost-3"];
  const amountsMinor = [101n, 102n, 103n];
  // Queued offline earlier (one attempt each), due now, oldest first.
  const queuedAtMs = Date.now() - 60_000;
  keys.forEach((key, i) => {
    expect(store.add({ idempotencyKey: key, username: "alice", toUsername: "bob", amountMinor: amountsMinor[i]!, note: "" }, "earlier", queuedAtMs + i, 0)).toBe("added");
    store.retryLater(key, "earlier", "cannot reach the gateway", queuedAtMs + i);
  });
  const aliceBefore = await balanceMinor(alice);

  const viaLink = new GatewayClient(link.address, loadCertFolder(join(system.certsDir, "client-alice")), memory.log);
  viaLink.token = alice.token;
  expect(await viaLink.reachable(5_000)).toBe(true);
  // Requests still arrive; no answer comes back.
  link.dropReplies();
  const outcomes = await new Outbox(store, viaLink).sync("alice", 5_000);
  expect(outcomes.map((o) => [o.key, o.kind])).toEqual([["k-lost-1", "queued"]]);
  // The first may have run: it stays queued with its key, one more attempt counted.
  expect(store.get("k-lost-1")).toMatchObject({ state: "queued", attempts: 2 });
  for (const key of ["k-lost-2", "k-lost-3"]) {
    expect(store.get(key)).toMatchObject({ state: "queued", attempts: 1, claimedBy: null });
    expect(payCallsFor(memory.lines, key).length).toBe(0);
  }
  viaLink.close();

  link.heal();
  const later = await new Outbox(store, alice).sync("alice", 5_000, true);
  expect(later.map((o) => [o.key, o.kind]).sort()).toEqual(keys.map((key) => [key, "final"]));
  for (const key of keys) {
    expect(store.get(key)?.state).toBe("succeeded");
    expect((await system.gateway.store.paymentByKey("alice", key))?.decision).toBe("COMMIT");
  }
  // The first ran at most once whether its lost send reached the gateway or not.
  expect(await balanceMinor(alice)).toBe(aliceBefore - 101n - 102n - 103n);
  expect(system.totalMinor()).toBe(totalMinor);
});
