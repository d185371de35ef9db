// Proves account changes are written with synchronous=FULL (fsynced before
// they are answered) even though the payment writes leave the gateway's
// connection at NORMAL: a registration, a session, a logout and an MFA secret
// must survive a power cut once acknowledged.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import type { GatewayStore } from "../src/store/gateway-store";
import { pay, signUp, startSystem, type TestSystem } from "./support/system";

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc", "icici"] });
});
afterAll(async () => {
  await system.stop();
});

/** The synchronous level (2 = FULL, 1 = NORMAL) each named store write ran under. */
function recordLevels(store: GatewayStore, methods: (keyof GatewayStore)[]): Map<string, number[]> {
  const sqlite = (store as unknown as { opened: { sqlite: Database } }).opened.sqlite;
  const levels = new Map<string, number[]>();
  for (const name of methods) {
    const original = (store[name] as (...args: unknown[]) => unknown).bind(store);
    (store as any)[name] = (...args: unknown[]) => {
      const level = Number((sqlite.query("PRAGMA synchronous").get() as { synchronous: number | bigint }).synchronous);
      levels.set(name, [...(levels.get(name) ?? []), level]);
      return original(...args);
    };
  }
  return levels;
}

test("register, login, logout and MFA write under synchronous=FULL after payments left the connection at NORMAL", async () => {
  const store = system.gateway.store;
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  const levels = recordLevels(store, ["insertUser", "insertSession", "revokeSession", "setTotpSecret", "markPhaseTwoDone"]);
  expect((await pay(alice, "bob", 100n)).payment.status).toBe("SUCCEEDED");
  for (let i = 0; i < 100 && !levels.has("markPhaseTwoDone"); i++) await Bun.sleep(10);
  expect(levels.get("markPhaseTwoDone")).toEqual([1]); // the payment writes: NORMAL

  const carol = await signUp(system, { username: "carol", bank: "hdfc", account: "1002" });
  await carol.call("EnableMfa", { password: "carol-password" }, { retry: false });
  await carol.call("Logout", {}, { retry: false });
  expect(levels.get("insertUser")).toEqual([2]);
  expect(levels.get("insertSession")).toEqual([2]);
  expect(levels.get("setTotpSecret")).toEqual([2]);
  expect(levels.get("revokeSession")).toEqual([2]);
});
