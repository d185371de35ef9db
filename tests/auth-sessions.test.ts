// Proves the session layer: no token, a forged token, an expired token and a revoked token (logout, passwd) are UNAUTHENTICATED and change nothing; tokens are stored only as hashes; a caller cannot forge the identity interceptors hand to handlers.
import { afterAll, beforeAll, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { hashToken } from "../src/gateway/users";
import { balanceMinor, failsWith, pay, signUp, startSystem, type TestSystem } from "./support/system";

let system: TestSystem;
let shortLived: TestSystem;
const sessionTtlMs = 1_500;

beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc", "icici"] });
  shortLived = await startSystem({ banks: ["hdfc", "icici"], sessionTtlMs });
});
afterAll(async () => {
  await system.stop();
  await shortLived.stop();
});

function rawGetBalance(client: { gateway: grpc.Client }, metadata: grpc.Metadata): Promise<{ code: number; balance?: string }> {
  return new Promise((resolve) => {
    (client.gateway as any).GetBalance({}, metadata, { deadline: Date.now() + 5_000 }, (error: grpc.ServiceError | null, reply: any) => {
      resolve(error ? { code: error.code } : { code: grpc.status.OK, balance: reply.balance_minor });
    });
  });
}

test("no token: every method but Register and Login is refused, and a Pay moves nothing", async () => {
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  const anonymous = system.client("client-alice");
  const before = system.totalMinor();
  for (const method of ["GetBalance", "Logout", "ListPayments", "GetPayment", "ChangePassword", "EnableMfa", "ConfirmMfa", "DisableMfa"] as const) {
    await failsWith(anonymous.call(method, { id_or_key: "x" }, { retry: false }), "UNAUTHENTICATED");
  }
  await failsWith(pay(anonymous, "bob", 100n), "UNAUTHENTICATED");
  expect(await balanceMinor(alice)).toBe(500_000n);
  expect(system.totalMinor()).toBe(before);
  expect((await system.gateway.store.listAllPayments(undefined, 100)).length).toBe(0);
});

test("a forged or malformed token is refused", async () => {
  const forger = system.client("client-alice");
  forger.token = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
  await failsWith(forger.call("GetBalance", {}, { retry: false }), "UNAUTHENTICATED");
  forger.token = "x".repeat(10_000);
  await failsWith(forger.call("GetBalance", {}, { retry: false }), "UNAUTHENTICATED");
  const garbage = new grpc.Metadata();
  garbage.set("authorization", "Basic YWxpY2U6cGFzc3dvcmQ=");
  expect((await rawGetBalance(forger, garbage)).code).toBe(grpc.status.UNAUTHENTICATED);
});

test("the identity interceptors hand to handlers cannot be set by a caller", async () => {
  const alice = await signUp(system, { username: "alice2", bank: "hdfc", account: "1002", password: "alice2-password" });
  const forged = new grpc.Metadata();
  forged.set("ministripe-internal-user", "bob");
  forged.set("ministripe-internal-peer-role", "admin");
  expect((await rawGetBalance(alice, forged)).code).toBe(grpc.status.UNAUTHENTICATED);
  // With a real token, the session's user wins over a forged internal header.
  forged.set("authorization", `Bearer ${alice.token}`);
  expect(await rawGetBalance(alice, forged)).toEqual({ code: grpc.status.OK, balance: "250000" });
});

test("tokens are stored only as SHA-256 hashes", async () => {
  const carol = await signUp(system, { username: "carol", bank: "icici", account: "2002" });
  const token = carol.token!;
  expect((await system.gateway.store.getSession(hashToken(token)))?.username).toBe("carol");
  expect(await system.gateway.store.getSession(token)).toBeUndefined();
  const databaseBytes = ["gateway.db", "gateway.db-wal"].map((file) => {
    try {
      return readFileSync(join(system.dir, "data", file)).toString("latin1");
    } catch {
      return "";
    }
  });
  expect(databaseBytes.join("")).not.toContain(token);
});

test("logout revokes that session only", async () => {
  const one = system.client("client-bob");
  const two = system.client("client-bob");
  for (const client of [one, two]) client.token = (await client.call("Login", { username: "bob", password: "bob-password" }, { retry: false })).token;
  await one.call("Logout", {}, { retry: false });
  await failsWith(one.call("GetBalance", {}, { retry: false }), "UNAUTHENTICATED");
  expect(await balanceMinor(two)).toBe(120_000n);
});

test("passwd revokes every session of the user; the old password stops working", async () => {
  const one = system.client("client-alice");
  const two = system.client("client-alice");
  for (const client of [one, two]) client.token = (await client.call("Login", { username: "alice", password: "alice-password" }, { retry: false })).token;
  await failsWith(one.call("ChangePassword", { old_password: "wrong-password", new_password: "alice-new-password" }, { retry: false }), "UNAUTHENTICATED");
  expect(await balanceMinor(two)).toBe(500_000n); // a wrong old password revoked nothing
  const reply = await one.call("ChangePassword", { old_password: "alice-password", new_password: "alice-new-password" }, { retry: false });
  expect(reply.sessions_revoked).toBeGreaterThanOrEqual(2);
  await failsWith(one.call("GetBalance", {}, { retry: false }), "UNAUTHENTICATED");
  await failsWith(two.call("GetBalance", {}, { retry: false }), "UNAUTHENTICATED");
  await failsWith(one.call("Login", { username: "alice", password: "alice-password" }, { retry: false }), "UNAUTHENTICATED");
  one.token = (await one.call("Login", { username: "alice", password: "alice-new-password" }, { retry: false })).token;
  expect(await balanceMinor(one)).toBe(500_000n);
});

test("an expired token is refused", async () => {
  const erin = await signUp(shortLived, { username: "erin", bank: "icici", account: "2002" });
  const session = (await shortLived.gateway.store.getSession(hashToken(erin.token!)))!;
  expect(session.expiresAtMs - session.createdAtMs).toBe(sessionTtlMs);
  await Bun.sleep(Math.max(0, session.expiresAtMs - Date.now()) + 100);
  const error = await failsWith(erin.call("GetBalance", {}, { retry: false }), "UNAUTHENTICATED");
  expect(error.message).toContain("expired");
});
