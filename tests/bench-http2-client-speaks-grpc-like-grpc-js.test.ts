// Proves bench's lean gRPC client (src/rpc/http2-unary.ts) is a faithful caller:
// it pays through the real gateway over mutual TLS, and every failure maps to
// the same status code a grpc-js caller gets (so bench's error counts are right).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { loadCertFolder } from "../src/rpc/credentials";
import { Http2UnaryClient } from "../src/rpc/http2-unary";
import { freePort } from "../src/local-cluster/cluster";
import { balanceMinor, failsWith, loadedTotalMinor, sampleAccounts, signUp, startSystem, type TestSystem } from "./support/system";
import type { GatewayClient } from "../src/client/gateway-client";

let system: TestSystem;
let alice: GatewayClient;
let lean: Http2UnaryClient<"Gateway">;
const gateway = { role: "gateway" as const, name: "gateway" };

beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc", "icici"] });
  alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  lean = new Http2UnaryClient(system.gatewayAddress, loadCertFolder(join(system.certsDir, "client-alice")), gateway, "Gateway");
});
afterAll(async () => {
  lean.close();
  await system.stop();
});

test("a payment sent by the lean client moves the money once and answers like grpc-js", async () => {
  const before = await balanceMinor(alice);
  const request = { idempotency_key: crypto.randomUUID(), to_username: "bob", amount_minor: 1_234, note: "lean" };
  const reply = await lean.call("Pay", request, { deadlineMs: 10_000, token: alice.token });
  expect(reply.payment).toMatchObject({ status: "SUCCEEDED", amount_minor: "1234", payer: "alice" });
  expect(reply.replayed).toBe(false);
  const again = await lean.call("Pay", request, { deadlineMs: 10_000, token: alice.token });
  expect(again.replayed).toBe(true);
  expect(await balanceMinor(alice)).toBe(before - 1_234n);
  expect(system.totalMinor()).toBe(loadedTotalMinor(sampleAccounts, ["hdfc", "icici"]));
});

test("refusals carry the gateway's status code and message", async () => {
  const pay = (token: string | undefined, amountMinor: number) =>
    lean.call("Pay", { idempotency_key: crypto.randomUUID(), to_username: "bob", amount_minor: amountMinor, note: "" }, { deadlineMs: 10_000, token });
  const noSession = await failsWith(pay(undefined, 100), "UNAUTHENTICATED");
  expect(noSession.message).toContain("log in");
  await failsWith(pay("not-a-token", 100), "UNAUTHENTICATED");
  const zero = await failsWith(pay(alice.token, 0), "INVALID_ARGUMENT");
  expect(zero.message).toContain("amount");
  await failsWith(lean.call("GetPayment", { id_or_key: "no-such-payment" }, { deadlineMs: 10_000, token: alice.token }), "NOT_FOUND");
});

test("a gateway that is not there is UNAVAILABLE, and a call past its deadline is DEADLINE_EXCEEDED", async () => {
  const nowhere = new Http2UnaryClient(`127.0.0.1:${await freePort()}`, loadCertFolder(join(system.certsDir, "client-alice")), gateway, "Gateway");
  try {
    await failsWith(nowhere.call("GetBalance", {}, { deadlineMs: 5_000, token: alice.token }), "UNAVAILABLE");
  } finally {
    nowhere.close();
  }
  // A peer that accepts the connection and never answers: the call ends at its deadline.
  const silent = createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const stuck = new Http2UnaryClient(`127.0.0.1:${(silent.address() as AddressInfo).port}`, loadCertFolder(join(system.certsDir, "client-alice")), gateway, "Gateway");
  try {
    await failsWith(stuck.call("GetBalance", {}, { deadlineMs: 200, token: alice.token }), "DEADLINE_EXCEEDED");
  } finally {
    stuck.close();
    silent.close();
  }
});

test("it accepts only the peer it meant to reach: a bank's address is refused when the gateway is expected", async () => {
  const wrongPeer = new Http2UnaryClient(system.bankAddresses.get("hdfc")!, loadCertFolder(join(system.certsDir, "client-alice")), gateway, "Gateway");
  try {
    await failsWith(wrongPeer.call("GetBalance", {}, { deadlineMs: 5_000, token: alice.token }), "UNAVAILABLE");
  } finally {
    wrongPeer.close();
  }
});
