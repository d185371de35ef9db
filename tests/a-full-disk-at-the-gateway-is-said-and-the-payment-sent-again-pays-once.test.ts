// Proves a gateway whose SQLite database cannot grow (its disk full: here
// SQLite's max_page_count at the pages it has) answers a payment UNAVAILABLE
// saying its disk is full and that nothing was kept (not "internal error"),
// moves no money, and once there is room the payment sent again with the
// same key is paid once.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import type { SqliteGatewayStore } from "../src/store/gateway-sqlite";
import { balanceMinor, pay, signUp, startSystem, type TestSystem } from "./support/system";

let system: TestSystem;

beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc", "icici"] });
});
afterAll(() => system?.stop());

/** The gateway's own connection to its database. */
function gatewaySqlite(): Database {
  return ((system.gateway.store as SqliteGatewayStore).rows as unknown as { opened: { sqlite: Database } }).opened.sqlite;
}

test("disk full: UNAVAILABLE saying so, nothing moved; with room again the same key pays once", async () => {
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  const bob = await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  const total = system.totalMinor();
  const sqlite = gatewaySqlite();
  const pages = Number((sqlite.query("PRAGMA page_count").get() as { page_count: number | bigint }).page_count);
  sqlite.exec(`PRAGMA max_page_count = ${pages}`);
  // The pages it has may hold a payment or two more: paid until it is full.
  let failed: { key: string; error: Error & { code: string } } | undefined;
  for (let i = 0; i < 200 && !failed; i++) {
    const key = crypto.randomUUID();
    await pay(alice, "bob", 100, key).catch((error: Error & { code: string }) => (failed = { key, error }));
  }
  expect(failed?.error.code).toBe("UNAVAILABLE");
  expect(failed?.error.message).toBe("the gateway could not record this: its disk is full; nothing of it was kept, so send it again with the same key later");
  expect(system.totalMinor()).toBe(total);
  const [aliceBefore, bobBefore] = [await balanceMinor(alice), await balanceMinor(bob)];

  sqlite.exec("PRAGMA max_page_count = 1073741823");
  const paid = await pay(alice, "bob", 100, failed!.key);
  expect(paid).toMatchObject({ replayed: false, payment: { status: "SUCCEEDED" } });
  expect((await pay(alice, "bob", 100, failed!.key)).replayed).toBe(true);
  expect([await balanceMinor(alice), await balanceMinor(bob)]).toEqual([aliceBefore - 100n, bobBefore + 100n]);
  expect(system.totalMinor()).toBe(total);
});
