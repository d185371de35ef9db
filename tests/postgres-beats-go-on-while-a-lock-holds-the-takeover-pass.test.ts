// Proves a gateway on PostgreSQL keeps showing signs of life while another session locks the payments table (an index build, a VACUUM FULL): its takeover pass, an UPDATE of payments, waits for the lock, but the beats go on without it, so no other gateway takes it for silent and adopts its payments; when the lock goes, payments flow again.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { SQL } from "bun";
import type { GatewayClient } from "../src/client/gateway-client";
import { sleepMs } from "../src/lib/clock";
import { sharedPostgres } from "./support/postgres";
import { signUp, startSystem, type TestSystem } from "./support/system";
import { sampleUsers } from "./support/sample-users";

setDefaultTimeout(60_000);

let system: TestSystem;
let databaseUrl: string;
let alice: GatewayClient;

beforeAll(async () => {
  databaseUrl = await (await sharedPostgres()).createDatabase();
  system = await startSystem({ database: databaseUrl });
  alice = await signUp(system, sampleUsers.alice);
  await signUp(system, sampleUsers.bob);
});
afterAll(async () => {
  await system?.stop();
});

test("the payments table locked for five beats: the gateway's sign of life stays fresh, then a payment goes through", async () => {
  const operator = new SQL(databaseUrl, { max: 1 });
  const watcher = new SQL(databaseUrl, { max: 1 });
  const beatAgeMs = async () => Number((await watcher`SELECT (EXTRACT(EPOCH FROM (now() - beat_at)) * 1000)::int AS age FROM gateways WHERE name = 'g1'`)[0].age);
  const ages: number[] = [];
  try {
    await operator.begin(async (tx) => {
      await tx`LOCK TABLE payments IN SHARE MODE`;
      // Beats come every second: five of them while the lock holds the takeover pass's UPDATE.
      for (let i = 0; i < 5; i++) {
        await sleepMs(1_000);
        ages.push(await beatAgeMs());
      }
    });
  } finally {
    await operator.close();
  }
  await watcher.close();
  // At most about one beat interval old each time (a beat that waited for the pass would be four and five seconds old by the end).
  expect(ages.filter((ageMs) => ageMs > 3_000)).toEqual([]);
  const reply = await alice.call("Pay", { idempotency_key: "after-the-lock", to_username: "bob", amount_minor: "500", note: "" }, { retry: false });
  expect(reply.payment?.status).toBe("SUCCEEDED");
});
