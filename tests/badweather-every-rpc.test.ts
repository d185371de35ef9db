// Proves input limits at the edge: malformed bytes, oversized messages and out-of-range fields sent to every RPC of the gateway and the banks get only clean status codes (INVALID_ARGUMENT naming the field, RESOURCE_EXHAUSTED for size), the servers keep serving, and no balance, hold or payment changes.
import { afterAll, beforeAll, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { join } from "node:path";
import { securityLimits } from "../src/lib/limits";
import { connect } from "../src/rpc/channel";
import { unaryCall } from "./support/loose-call";
import { loadCertFolder } from "../src/rpc/credentials";
import type { Identity } from "../src/rpc/identity";
import { services, type ServiceName } from "../src/rpc/protos";
import { bearer, failsWith, rawUnary, signUp, startSystem, type TestSystem } from "./support/system";

let system: TestSystem;
let token: string;
const opened: grpc.Client[] = [];

beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc", "icici"] });
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  token = alice.token!;
});
afterAll(async () => {
  for (const client of opened) client.close();
  await system.stop();
});

/** Each service with where it runs and whose certificate may call it, so the refusal tested is the input check. */
function targets(): { service: ServiceName; client: grpc.Client; metadata: () => grpc.Metadata }[] {
  const gateway: Identity = { role: "gateway", name: "gateway" };
  const dial = (service: ServiceName, address: string, folder: string, expect: Identity) => {
    const client = connect(service, address, { certs: loadCertFolder(join(system.certsDir, folder)), expect });
    opened.push(client);
    return client;
  };
  return [
    { service: "Gateway", client: dial("Gateway", system.gatewayAddress, "client-alice", gateway), metadata: () => bearer(token) },
    { service: "Admin", client: dial("Admin", system.gatewayAddress, "admin", gateway), metadata: () => new grpc.Metadata() },
    { service: "Coordinator", client: dial("Coordinator", system.gatewayAddress, "bank-hdfc", gateway), metadata: () => new grpc.Metadata() },
    { service: "Bank", client: dial("Bank", system.bankAddresses.get("hdfc")!, "gateway", { role: "bank", name: "hdfc" }), metadata: () => new grpc.Metadata() },
    { service: "Health", client: dial("Health", system.gatewayAddress, "client-alice", gateway), metadata: () => new grpc.Metadata() },
  ];
}

async function snapshot() {
  return {
    totalMinor: system.totalMinor(),
    holds: [...system.banks.values()].map((bank) => bank.store.totals().openHolds),
    balances: [...system.banks.values()].map((bank) => bank.store.listAccounts().map((a: any) => String(a.balanceMinor))),
    payments: (await system.gateway.store.listAllPayments(undefined, 500)).length,
  };
}

// Field 99 with wire type 7, which does not exist: no message type can parse it.
const truncated = Buffer.from([0x9f, 0x06, 0x01]);
const oversized = Buffer.alloc(securityLimits.grpcRequestBytesMax + 1024, 0x61);
const streaming = new Set(["WatchPayments", "Watch"]);

function rawStream(client: grpc.Client, path: string, bytes: Buffer, metadata: grpc.Metadata): Promise<{ code: number; details: string }> {
  return new Promise((resolve) => {
    const call = client.makeServerStreamRequest(path, (b: Buffer) => b, (b: Buffer) => b, bytes, metadata, { deadline: Date.now() + 5_000 });
    call.on("data", () => call.cancel()); // a stream that started means the request was accepted
    call.on("error", (error: grpc.ServiceError) => resolve({ code: error.code, details: error.details }));
    call.on("end", () => resolve({ code: grpc.status.OK, details: "" }));
  });
}

test("malformed and oversized bytes to every RPC end cleanly and change nothing", async () => {
  const before = await snapshot();
  for (const { service, client, metadata } of targets()) {
    for (const [method, definition] of Object.entries(services[service].service)) {
      const send = (bytes: Buffer) => (streaming.has(method) ? rawStream(client, definition.path, bytes, metadata()) : rawUnary(client, definition.path, bytes, metadata()));
      const bad = await send(truncated);
      expect({ rpc: `${service}/${method}`, code: grpc.status[bad.code] }).toEqual({ rpc: `${service}/${method}`, code: "INVALID_ARGUMENT" });
      expect(bad.details).toContain("request");
      const big = await send(oversized);
      expect({ rpc: `${service}/${method}`, code: grpc.status[big.code] }).toEqual({ rpc: `${service}/${method}`, code: "RESOURCE_EXHAUSTED" });
    }
  }
  expect(await snapshot()).toEqual(before);
});

const fieldCases: [ServiceName, string, Record<string, unknown>, string][] = [
  ["Gateway", "Register", { username: "Bad User!", password: "long-enough-password", bank: "hdfc", account: "1002" }, "username"],
  ["Gateway", "Register", { username: "x".repeat(10_000), password: "long-enough-password", bank: "hdfc", account: "1002" }, "username"],
  ["Gateway", "Register", { username: "newbie", password: "short", bank: "hdfc", account: "1002" }, "password"],
  ["Gateway", "Register", { username: "newbie", password: "long-enough-password", bank: "HDFC!", account: "1002" }, "bank"],
  ["Gateway", "Register", { username: "newbie", password: "long-enough-password", bank: "hdfc", account: "10 02" }, "account"],
  ["Gateway", "Register", { username: "newbie", password: "long-enough-password", bank: "hdfc", account: "1002", account_pin: "12ab" }, "PIN"],
  ["Gateway", "Register", { username: "newbie", password: "long-enough-password", bank: "hdfc", account: "1002", account_pin: "1".repeat(10_000) }, "account_pin"],
  ["Gateway", "Login", { username: "", password: "x" }, "username"],
  ["Gateway", "Login", { username: "alice", password: "p".repeat(300) }, "password"],
  ["Gateway", "Login", { username: "alice", password: "alice-password", otp: "1".repeat(50) }, "otp"],
  ["Gateway", "ChangePassword", { old_password: "alice-password", new_password: "x" }, "new_password"],
  ["Gateway", "ChangePassword", { old_password: "o".repeat(1000), new_password: "long-enough-password" }, "old_password"],
  ["Gateway", "EnableMfa", { password: "p".repeat(1000) }, "password"],
  ["Gateway", "ConfirmMfa", { password: "alice-password", otp: "1".repeat(50) }, "otp"],
  ["Gateway", "Pay", { idempotency_key: "k1", to_username: "bob", amount_minor: "0" }, "amount_minor"],
  ["Gateway", "Pay", { idempotency_key: "k2", to_username: "bob", amount_minor: "-500" }, "amount_minor"],
  ["Gateway", "Pay", { idempotency_key: "k3", to_username: "bob", amount_minor: "9223372036854775807" }, "amount_minor"],
  ["Gateway", "Pay", { idempotency_key: "", to_username: "bob", amount_minor: "100" }, "idempotency_key"],
  ["Gateway", "Pay", { idempotency_key: "k".repeat(256), to_username: "bob", amount_minor: "100" }, "idempotency_key"],
  ["Gateway", "Pay", { idempotency_key: "has\ttab", to_username: "bob", amount_minor: "100" }, "idempotency_key"],
  ["Gateway", "Pay", { idempotency_key: "k4", to_username: "Bob!", amount_minor: "100" }, "to_username"],
  ["Gateway", "Pay", { idempotency_key: "k5", to_username: "bob", amount_minor: "100", note: "n".repeat(201) }, "note"],
  ["Gateway", "Pay", { idempotency_key: "k6", to_username: "bob", amount_minor: "100", note: "\u001b[31mred" }, "note"],
  ["Gateway", "Refund", { idempotency_key: "r1", payment_id: "p1", amount_minor: "0" }, "amount_minor"],
  ["Gateway", "Refund", { idempotency_key: "r2", payment_id: "p1", amount_minor: "-500" }, "amount_minor"],
  ["Gateway", "Refund", { idempotency_key: "r3", payment_id: "p1", amount_minor: "9223372036854775807" }, "amount_minor"],
  ["Gateway", "Refund", { idempotency_key: "r4", payment_id: "p1", amount_minor: "100", all_remaining: true }, "amount_minor"],
  ["Gateway", "Refund", { idempotency_key: "", payment_id: "p1", amount_minor: "100" }, "idempotency_key"],
  ["Gateway", "Refund", { idempotency_key: "has\ttab", payment_id: "p1", amount_minor: "100" }, "idempotency_key"],
  ["Gateway", "Refund", { idempotency_key: "r5", payment_id: "", amount_minor: "100" }, "payment_id"],
  ["Gateway", "Refund", { idempotency_key: "r6", payment_id: "p".repeat(100), amount_minor: "100" }, "payment_id"],
  ["Gateway", "Refund", { idempotency_key: "r7", payment_id: "not an id!", amount_minor: "100" }, "payment_id"],
  ["Gateway", "Refund", { idempotency_key: "r8", payment_id: "p1", amount_minor: "100", reason: "r".repeat(201) }, "reason"],
  ["Gateway", "Refund", { idempotency_key: "r9", payment_id: "p1", amount_minor: "100", reason: "\u001b[31mred" }, "reason"],
  ["Gateway", "GetPayment", { id_or_key: "" }, "id_or_key"],
  ["Gateway", "GetPayment", { id_or_key: "i".repeat(300) }, "id_or_key"],
  ["Gateway", "ListPayments", { limit: -1 }, "limit"],
  ["Gateway", "ListPayments", { limit: 1_000_000 }, "limit"],
  ["Gateway", "ListPayments", { before_id: "b".repeat(100) }, "before_id"],
  ["Admin", "ListAllPayments", { limit: -1 }, "limit"],
  ["Admin", "FindPayments", { query: "" }, "query"],
  ["Admin", "FindPayments", { query: "q".repeat(300) }, "query"],
  ["Admin", "FindPayments", { query: "alice", limit: 1_000_000 }, "limit"],
  ["Coordinator", "GetDecision", { txids: ["not a txid!"] }, "txids"],
  ["Coordinator", "GetDecision", { txids: Array.from({ length: 10_000 }, (_, i) => `t${i}`) }, "txids"],
  ["Bank", "VerifyAccount", { account: "!!" }, "account"],
  ["Bank", "VerifyAccount", { account: "1001", pin: "12ab" }, "pin"],
  ["Bank", "GetBalance", { account: "" }, "account"],
  ["Bank", "Prepare", { items: [] }, "items"],
  ["Bank", "Prepare", { items: [{ txid: "bad txid!", legs: [{ account: "1001", delta_minor: "-1" }] }] }, "txid"],
  ["Bank", "Prepare", { items: [{ txid: "t1", legs: [{ account: "1001", delta_minor: "-1" }, { account: "1002", delta_minor: "1" }, { account: "1003", delta_minor: "1" }] }] }, "legs"],
  ["Bank", "Commit", { txs: [] }, "txs"],
  ["Bank", "Abort", { txs: [{ txid: "" }] }, "txid"],
  ["Bank", "ListCommitted", { after_txid: "bad txid!" }, "txid"],
  ["Bank", "Exchange", {}, "exchange"],
  ["Bank", "Exchange", { commit: Array.from({ length: 513 }, (_, i) => ({ txid: `t${i}` })) }, "commit"],
  ["Bank", "Exchange", { prepare: [{ txid: "t2", legs: [{ account: "1001", delta_minor: "-1" }] }], abort: [{ txid: "bad txid!" }] }, "txid"],
];

test("out-of-range fields on every RPC that has fields are INVALID_ARGUMENT naming the field, and change nothing", async () => {
  const before = await snapshot();
  const byService = new Map(targets().map((target) => [target.service, target]));
  for (const [service, method, request, field] of fieldCases) {
    const target = byService.get(service)!;
    const error = await failsWith(unaryCall(target.client, method, request, { deadlineMs: 10_000, token: service === "Gateway" ? token : undefined }), "INVALID_ARGUMENT").catch((e) => {
      throw new Error(`${service}/${method} ${JSON.stringify(request).slice(0, 80)}: ${(e as Error).message}`);
    });
    expect(`${service}/${method}: ${error.message}`).toContain(`${service}/${method}: ${field}`);
  }
  expect(await snapshot()).toEqual(before);
});

test("after all of it, the gateway and the banks still serve", async () => {
  const health = targets().find((target) => target.service === "Health")!.client;
  const reply = await unaryCall<unknown, { status: string }>(health, "Check", { service: "" }, { deadlineMs: 5_000 });
  expect(reply.status).toBe("SERVING");
  const bank = targets().find((target) => target.service === "Bank")!.client;
  const balance = await unaryCall<unknown, { balance_minor: string }>(bank, "GetBalance", { account: "1001" }, { deadlineMs: 5_000 });
  expect(balance.balance_minor).toBe("500000");
});
