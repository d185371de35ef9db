// Proves a gateway on PostgreSQL told to stop goes on showing signs of life while it finishes the payments in flight, however long past --takeover-after that takes: no other gateway adopts (and would presume aborted) a payment it is still finishing, and a payment whose votes come late in its stop succeeds, its money moved once.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { PostgresGatewayStore } from "../src/store/gateway-postgres";
import { sharedPostgres } from "./support/postgres";
import { balanceMinor, eventually, pay, signUp, startSystem, type TestSystem } from "./support/system";

setDefaultTimeout(60_000);
const takeoverAfterMs = 2_000;
let system: TestSystem;
let other: PostgresGatewayStore;

beforeAll(async () => {
  const url = await (await sharedPostgres()).createDatabase();
  system = await startSystem({ banks: ["hdfc", "icici"], proxied: ["icici"], prepareTimeoutMs: 8_000, database: url, takeoverAfterMs });
  // Another gateway's store on the same database, looking for silent gateways' payments to adopt.
  other = await PostgresGatewayStore.open({ url }, "g2");
  expect(await other.takeName(takeoverAfterMs)).toBe(true);
});
afterAll(async () => {
  await other?.close();
  await system?.stop();
});

test("a payment whose votes come after --takeover-after into the gateway's stop: nobody adopts it, and it succeeds", async () => {
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  const total = system.totalMinor();
  const aliceBeforeMinor = await balanceMinor(alice);
  system.proxies.get("icici")!.hold();
  const key = crypto.randomUUID();
  let answered = false;
  const paying = pay(alice, "bob", 300, key).finally(() => (answered = true));
  expect(await eventually(async () => (await system.gateway.store.paymentByKey("alice", key)) !== undefined)).toBe(true);
  const stopping = system.stopGateway();

  // The other gateway looks for orphans all along the stop; the votes come once --takeover-after has passed.
  const adopted: string[] = [];
  const startedAtMs = Date.now();
  let healed = false;
  while (!answered && Date.now() - startedAtMs < 20_000) {
    adopted.push(...(await other.adoptOrphans(takeoverAfterMs, 100)).map((row) => row.id));
    if (!healed && Date.now() - startedAtMs > takeoverAfterMs + 1_500) {
      system.proxies.get("icici")!.heal();
      healed = true;
    }
    await Bun.sleep(100);
  }
  const reply = await paying;
  expect(adopted).toEqual([]);
  expect(reply.payment).toMatchObject({ status: "SUCCEEDED" });
  await stopping;
  await system.startGateway();
  expect(await balanceMinor(alice)).toBe(aliceBeforeMinor - 300n);
  expect(system.totalMinor()).toBe(total);
});
