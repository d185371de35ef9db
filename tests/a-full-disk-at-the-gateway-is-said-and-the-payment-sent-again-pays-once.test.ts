// Proves a gateway whose SQLite database cannot take a write (its disk full:
// here SQLite's max_page_count at the pages it has, or the connection made
// read-only for one write) says so, never "internal error", and moves no
// money: a claim it could not record is UNAVAILABLE "could not record this:
// its disk is full", and the payment sent again with the same key once there
// is room is paid once; a decision it could not record is said as a payment
// taken but not yet decided, to be sent again for its outcome; a login or
// logout it could not record is UNAVAILABLE in the same words.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import type { SqliteGatewayRows, SqliteGatewayStore } from "../src/store/gateway-sqlite";
import { balanceMinor, pay, signUp, startSystem, type TestSystem } from "./support/system";
import type { GatewayClient } from "../src/client/gateway-client";

let system: TestSystem;
let alice: GatewayClient;
let bob: GatewayClient;

beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc", "icici"] });
  alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  bob = await signUp(system, { username: "bob", bank: "icici", account: "2001" });
});
afterAll(() => system?.stop());

function gatewayRows(): SqliteGatewayRows {
  return (system.gateway.store as SqliteGatewayStore).rows;
}

/** The gateway's own connection to its database. */
function gatewaySqlite(): Database {
  return (gatewayRows() as unknown as { opened: { sqlite: Database } }).opened.sqlite;
}

test("a claim the full disk refused: UNAVAILABLE saying so, nothing moved; with room again the same key pays once", async () => {
  const total = system.totalMinor();
  const sqlite = gatewaySqlite();
  const rows = gatewayRows();
  const claim = rows.claim.bind(rows);
  // The claim's own write meets a database that cannot grow.
  rows.claim = (...args: Parameters<typeof rows.claim>) => {
    const pages = Number((sqlite.query("PRAGMA page_count").get() as { page_count: number | bigint }).page_count);
    sqlite.exec(`PRAGMA max_page_count = ${pages}`);
    try {
      sqlite.exec("CREATE TABLE disk_filler (x BLOB)"); // a write that needs a page it cannot have: SQLITE_FULL, inside the claim's transaction
      return claim(...args);
    } finally {
      rows.claim = claim;
    }
  };
  const key = crypto.randomUUID();
  const error = await pay(alice, "bob", 100, key).then(() => undefined, (e: Error & { code: string }) => e);
  expect({ code: error?.code, message: error?.message }).toEqual({ code: "UNAVAILABLE", message: "the gateway could not record this: its disk is full; send it again with the same key later" });
  expect(system.totalMinor()).toBe(total);
  const [aliceBefore, bobBefore] = [await balanceMinor(alice), await balanceMinor(bob)];

  sqlite.exec("PRAGMA max_page_count = 1073741823");
  expect(await pay(alice, "bob", 100, key)).toMatchObject({ replayed: false, payment: { status: "SUCCEEDED" } });
  expect((await pay(alice, "bob", 100, key)).replayed).toBe(true);
  expect([await balanceMinor(alice), await balanceMinor(bob)]).toEqual([aliceBefore - 100n, bobBefore + 100n]);
  expect(system.totalMinor()).toBe(total);
});

test("a decision the database refused: said as a payment taken but not yet decided, to be sent again; nothing moved", async () => {
  const total = system.totalMinor();
  const sqlite = gatewaySqlite();
  const rows = gatewayRows();
  const decide = rows.decide.bind(rows);
  rows.decide = (...args: Parameters<typeof rows.decide>) => {
    sqlite.exec("PRAGMA query_only = ON");
    try {
      return decide(...args);
    } finally {
      sqlite.exec("PRAGMA query_only = OFF");
      rows.decide = decide;
    }
  };
  const error = await pay(alice, "bob", 100).then(() => undefined, (e: Error & { code: string }) => e);
  expect(error?.code).toBe("UNAVAILABLE");
  expect(error?.message).toStartWith("the payment was taken but not yet decided (the gateway could not record this: its database can no longer be written (read-only)");
  expect(system.totalMinor()).toBe(total);
});

test("a login and a logout the database refused: UNAVAILABLE saying so, never internal; the session stands until a logout is recorded", async () => {
  const sqlite = gatewaySqlite();
  const other = system.client("client-bob");
  sqlite.exec("PRAGMA query_only = ON");
  try {
    const login = await other.call("Login", { username: "bob", password: "bob-password" }, { retry: false }).then(() => undefined, (e: Error & { code: string }) => e);
    expect({ code: login?.code, message: login?.message }).toEqual({ code: "UNAVAILABLE", message: "the gateway could not record this: its database can no longer be written (read-only); try again later" });
    const logout = await bob.call("Logout", {}, { retry: false }).then(() => undefined, (e: Error & { code: string }) => e);
    expect(logout?.code).toBe("UNAVAILABLE");
  } finally {
    sqlite.exec("PRAGMA query_only = OFF");
  }
  expect((await bob.call("GetBalance", {}, { retry: false })).bank).toBe("icici");
  other.token = (await other.call("Login", { username: "bob", password: "bob-password" }, { retry: false })).token;
  expect((await other.call("GetBalance", {}, { retry: false })).bank).toBe("icici");
});
