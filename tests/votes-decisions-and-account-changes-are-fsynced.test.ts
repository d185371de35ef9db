// Proves what must survive a power cut once answered is written with
// synchronous=FULL (fsynced before the answer): a bank's vote and its
// commit, the gateway's decision, and account changes (a registration, a
// session, a logout, an MFA secret), even though the gateway's other payment
// writes leave its connection at NORMAL.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import type { SqliteGatewayStore } from "../src/store/gateway-sqlite";
import type { Store } from "../src/store/store";
import * as OTPAuth from "otpauth";
import { eventually, pay, signUp, startSystem, type TestSystem } from "./support/system";

let system: TestSystem;
let alice: Awaited<ReturnType<typeof signUp>>;
beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc", "icici"] });
  alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  await signUp(system, { username: "bob", bank: "icici", account: "2001" });
});
afterAll(async () => {
  await system.stop();
});

/** The synchronous level (2 = FULL, 1 = NORMAL) each named store write ran under. */
function recordLevels<S extends Store>(store: S, methods: (keyof S)[]): Map<string, number[]> {
  const sqlite = (store as unknown as { opened: { sqlite: Database } }).opened.sqlite;
  const levels = new Map<string, number[]>();
  for (const name of methods) {
    const original = (store[name] as (...args: unknown[]) => unknown).bind(store);
    (store as any)[name] = (...args: unknown[]) => {
      const level = Number((sqlite.query("PRAGMA synchronous").get() as { synchronous: number | bigint }).synchronous);
      levels.set(name as string, [...(levels.get(name as string) ?? []), level]);
      return original(...args);
    };
  }
  return levels;
}

test("register, login, logout and MFA write under synchronous=FULL after payments left the connection at NORMAL", async () => {
  const store = (system.gateway.store as SqliteGatewayStore).rows;
  const levels = recordLevels(store, ["insertUser", "insertSession", "revokeSession", "setTotpPending", "confirmTotp", "setTotpSecret", "markPhaseTwoDone"]);
  expect((await pay(alice, "bob", 100n)).payment.status).toBe("SUCCEEDED");
  await eventually(() => levels.has("markPhaseTwoDone"));
  expect(levels.get("markPhaseTwoDone")).toEqual([1]); // the payment writes: NORMAL

  const carol = await signUp(system, { username: "carol", bank: "hdfc", account: "1002" });
  const mfa = await carol.call("EnableMfa", { password: "carol-password" }, { retry: false });
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(mfa.secret), digits: 6, period: 30, algorithm: "SHA1" });
  await carol.call("ConfirmMfa", { password: "carol-password", otp: totp.generate() }, { retry: false });
  await carol.call("DisableMfa", { password: "carol-password", otp: totp.generate({ timestamp: Date.now() + 30_000 }) }, { retry: false });
  await carol.call("Logout", {}, { retry: false });
  expect(levels.get("insertUser")).toEqual([2]);
  expect(levels.get("insertSession")).toEqual([2]);
  expect(levels.get("setTotpPending")).toEqual([2]);
  expect(levels.get("confirmTotp")).toEqual([2]);
  expect(levels.get("setTotpSecret")).toEqual([2]);
  expect(levels.get("revokeSession")).toEqual([2]);
});

test("a bank's vote and commit, and the gateway's decision, are written under synchronous=FULL", async () => {
  const decisions = recordLevels((system.gateway.store as SqliteGatewayStore).rows, ["decide"]);
  const votes = recordLevels(system.banks.get("hdfc")!.store, ["insertTransaction", "setTransactionState"]);
  const payeeVotes = recordLevels(system.banks.get("icici")!.store, ["insertTransaction", "setTransactionState"]);
  expect((await pay(alice, "bob", 200n)).payment.status).toBe("SUCCEEDED");
  await eventually(() => payeeVotes.has("setTransactionState"));
  expect(decisions.get("decide")).toEqual([2]);
  for (const levels of [votes, payeeVotes]) {
    expect(levels.get("insertTransaction")).toEqual([2]);
    expect(levels.get("setTransactionState")).toEqual([2]);
  }
});
