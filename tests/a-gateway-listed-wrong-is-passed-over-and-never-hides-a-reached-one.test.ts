// Proves a client given several gateways, one of them listed wrong (an address
// whose certificate is not a gateway's), passes that one over: a call goes to
// a right one and is served; and a call that reached a right gateway (its
// answer late) and then met the wrong one ends with the right one's error,
// never as "certificates do not fit" (exit 3, its key freed), since the
// payment may have run: its key is kept, and it is decided once.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { GatewayClient } from "../src/client/gateway-client";
import { Outbox } from "../src/client/outbox";
import { loadCertFolder } from "../src/rpc/credentials";
import { ClientStore } from "../src/store/client-store";
import { balanceMinor, eventually, signUp, startSystem, type TestSystem } from "./support/system";
import { silentLogger } from "../src/lib/log";

setDefaultTimeout(60_000);
let system: TestSystem;

beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc", "icici"], proxied: ["icici"], prepareTimeoutMs: 15_000 });
});
afterAll(() => system?.stop());

function clientFor(addresses: string[], token: string, username: string): GatewayClient {
  const client = new GatewayClient(addresses.join(","), loadCertFolder(join(system.certsDir, `client-${username}`)), silentLogger);
  client.token = token;
  return client;
}

test("the wrong one listed first is passed over: the call is served by the right one", async () => {
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  const client = clientFor([system.bankAddresses.get("hdfc")!, system.gatewayAddress], alice.token!, "alice");
  try {
    for (let i = 0; i < 3; i++) expect((await client.call("GetBalance", {}, { retry: false, failover: true })).balance_minor).toBe("500000");
  } finally {
    client.close();
  }
});

test("a payment that reached the right gateway, then met the wrong one, keeps its key and is decided once", async () => {
  const alice = await signUp(system, { username: "carol", bank: "hdfc", account: "1002" });
  const total = system.totalMinor();
  const before = await balanceMinor(alice);
  const client = clientFor([system.gatewayAddress, system.bankAddresses.get("hdfc")!], alice.token!, "carol");
  const store = new ClientStore(join(system.dir, "carol-outbox.db"));
  const outbox = new Outbox(store, client);
  // Whichever gateway a client starts at: the right one first, here. Its answer comes after the client's 10 s (the prepare waits up to 15 s).
  (client as unknown as { next: number }).next = 0;
  system.proxies.get("icici")!.hold();
  try {
    const outcome = await outbox.pay({ username: "carol", toUsername: "bob", amountMinor: 100n, note: "", key: "reached-then-wrong" });
    // Not "refused" (its key freed, as if nothing had reached a gateway): queued, or final from a later try.
    expect(outcome.kind).not.toBe("refused");
    system.proxies.get("icici")!.heal();
    await outbox.sync("carol", 10_000);
    expect(await eventually(async () => (await system.gateway.store.paymentByKey("carol", "reached-then-wrong"))?.decision != null)).toBe(true);
    const decided = await system.gateway.store.paymentByKey("carol", "reached-then-wrong");
    expect(await balanceMinor(alice)).toBe(before - (decided!.decision === "COMMIT" ? 100n : 0n));
    expect(system.totalMinor()).toBe(total);
  } finally {
    system.proxies.get("icici")!.heal();
    client.close();
    store.close();
  }
});
