// Proves two gateways adopting a silent gateway's payments at once take each payment once: an adoption that waited for the other's lock on the row (READ COMMITTED) finds the row no longer the silent gateway's and leaves it, rather than adopting it a second time.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { SQL } from "bun";
import { PostgresGatewayStore } from "../src/store/gateway-postgres";
import { paymentRows, userRow } from "./support/gateway-rows";
import { sharedPostgres } from "./support/postgres";
import { eventually } from "./support/system";

setDefaultTimeout(60_000);

let silent: PostgresGatewayStore;
let late: PostgresGatewayStore;
let other: SQL;
const payment = paymentRows((n) => `orphan${String(n).padStart(4, "0")}`);

beforeAll(async () => {
  const url = await (await sharedPostgres()).createDatabase();
  silent = await PostgresGatewayStore.open({ url }, "g1");
  late = await PostgresGatewayStore.open({ url }, "g3");
  other = new SQL({ url, max: 2 });
  await silent.insertUser(userRow("alice", "hdfc", "1001"));
  await silent.insertUser(userRow("bob", "icici", "2001"));
});

afterAll(async () => {
  await other?.close();
  await silent?.close();
  await late?.close();
});

test("the row adopted by one gateway while the other's adoption waited for it: the waiting one leaves it", async () => {
  expect(await silent.takeName(1_000)).toBe(true);
  const orphan = (await silent.claim(payment())).row;
  await silent.releaseName(); // g1 silent from now on

  // Gateway g2's adoption of the row, its transaction open (its lock held).
  const g2 = await other.reserve();
  try {
    await g2`BEGIN`;
    const adoptedByG2 = await g2`UPDATE payments SET coordinator = 'g2' WHERE id = ${orphan.id} AND coordinator = 'g1' RETURNING id`;
    expect(adoptedByG2).toHaveLength(1);

    // g3's adoption reads the row as g1's (g2 has not committed) and waits for g2's lock.
    const adoptingByG3 = late.adoptOrphans(1_000, 100);
    const waiting = await eventually(async () => {
      const rows = await other`SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE payments%SET coordinator%'`;
      return rows[0].n === 1;
    }, 20_000);
    expect(waiting).toBe(true);
    await g2`COMMIT`;

    expect(await adoptingByG3).toEqual([]);
  } finally {
    g2.release();
  }
  const rows = await other`SELECT coordinator FROM payments WHERE id = ${orphan.id}`;
  expect(rows[0].coordinator).toBe("g2");
});
