// Proves the first authorization layer: the certificate decides who may call which service (no certificate, another CA's, a client at a bank or the Coordinator, a customer at Admin are all refused), and a caller accepts only the peer it meant to reach.
import { afterAll, beforeAll, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gatewayAccess } from "../src/gateway/access";
import { initCertificates } from "../src/rpc/certificates";
import { connect } from "../src/rpc/channel";
import { unaryCall } from "./support/loose-call";
import { loadCertFolder } from "../src/rpc/credentials";
import type { Identity } from "../src/rpc/identity";
import { peerRoleInterceptor } from "../src/rpc/interceptors/peer-role";
import { services, type ServiceName } from "../src/rpc/protos";
import { createServer, listen, stopServer } from "../src/rpc/server";
import { failsWith, signUp, startSystem, type TestSystem } from "./support/system";

let system: TestSystem;
let otherCaDir: string;
const opened: grpc.Client[] = [];
const gateway: Identity = { role: "gateway", name: "gateway" };
const hdfc: Identity = { role: "bank", name: "hdfc" };

beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc", "icici"] });
  otherCaDir = mkdtempSync(join(tmpdir(), "ministripe-other-ca-"));
  await initCertificates({ dir: otherCaDir, hosts: ["localhost", "127.0.0.1"], banks: ["hdfc"], clients: ["alice"] });
});
afterAll(async () => {
  for (const client of opened) client.close();
  await system.stop();
  rmSync(otherCaDir, { recursive: true, force: true });
});

function dial(service: ServiceName, address: string, certFolder: string, expect: Identity, certsDir = system.certsDir): grpc.Client {
  const client = connect(service, address, { certs: loadCertFolder(join(certsDir, certFolder)), expect });
  opened.push(client);
  return client;
}

const quick = { deadlineMs: 3_000 };

test("a caller without a client certificate is refused during the handshake", async () => {
  const ca = loadCertFolder(join(system.certsDir, "client-alice")).ca;
  const client = new services.Gateway(system.gatewayAddress, grpc.credentials.createSsl(ca), { "grpc.ssl_target_name_override": "gateway" });
  opened.push(client);
  await failsWith(unaryCall(client, "Login", { username: "alice", password: "whatever-password" }, quick), "UNAVAILABLE");
});

test("a certificate from another CA is refused by the gateway and by a bank", async () => {
  const atGateway = dial("Gateway", system.gatewayAddress, "client-alice", gateway, otherCaDir);
  await failsWith(unaryCall(atGateway, "Login", { username: "alice", password: "whatever-password" }, quick), "UNAVAILABLE");
  const atBank = dial("Bank", system.bankAddresses.get("hdfc")!, "gateway", hdfc, otherCaDir);
  await failsWith(unaryCall(atBank, "GetBalance", { account: "1001" }, quick), "UNAVAILABLE");
});

test("a client certificate calling a bank directly is refused on every Bank method", async () => {
  const client = dial("Bank", system.bankAddresses.get("hdfc")!, "client-alice", hdfc);
  for (const method of Object.keys(services.Bank.service)) {
    const error = await failsWith(unaryCall(client, method, {}, quick), "PERMISSION_DENIED");
    expect(error.message).toContain("client certificate");
  }
  // The admin's certificate and another bank's certificate may not call a bank either.
  await failsWith(unaryCall(dial("Bank", system.bankAddresses.get("hdfc")!, "admin", hdfc), "Audit", {}, quick), "PERMISSION_DENIED");
  await failsWith(unaryCall(dial("Bank", system.bankAddresses.get("hdfc")!, "bank-icici", hdfc), "GetBalance", { account: "1001" }, quick), "PERMISSION_DENIED");
  // The gateway's certificate may: the refusals above are the role check, not a broken channel.
  const reply = await unaryCall<unknown, { balance_minor: string }>(dial("Bank", system.bankAddresses.get("hdfc")!, "gateway", hdfc), "GetBalance", { account: "1001" }, quick);
  expect(reply.balance_minor).toBe("500000");
});

test("only a bank's certificate may call the Coordinator", async () => {
  for (const folder of ["client-alice", "admin", "gateway"]) {
    await failsWith(unaryCall(dial("Coordinator", system.gatewayAddress, folder, gateway), "GetDecision", { txids: ["t1"] }, quick), "PERMISSION_DENIED");
  }
  const reply = await unaryCall<unknown, { decisions: unknown[] }>(dial("Coordinator", system.gatewayAddress, "bank-hdfc", gateway), "GetDecision", { txids: [] }, quick);
  expect(reply.decisions).toEqual([]);
});

test("a customer calling Admin methods is refused even with a valid session; the admin certificate is enough", async () => {
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  await failsWith(alice.callAdmin("Audit", {}, { retry: false }), "PERMISSION_DENIED");
  await failsWith(alice.callAdmin("ListAllPayments", { limit: 10 }, { retry: false }), "PERMISSION_DENIED");
  const admin = system.client("admin");
  const audit = await admin.callAdmin("Audit", {}, { retry: false });
  expect(audit.ok).toBe(true);
  // Banks and the gateway's own certificate have no business on the user-facing service.
  await failsWith(unaryCall(dial("Gateway", system.gatewayAddress, "bank-hdfc", gateway), "Login", { username: "alice", password: "alice-password" }, quick), "PERMISSION_DENIED");
});

test("a caller accepts only the peer it meant to reach: bank icici's address is refused when hdfc is expected", async () => {
  const wrongPeer = dial("Bank", system.bankAddresses.get("icici")!, "gateway", hdfc);
  await failsWith(unaryCall(wrongPeer, "GetBalance", { account: "2001" }, quick), "UNAVAILABLE");
  const clientAtBank = dial("Gateway", system.bankAddresses.get("hdfc")!, "client-alice", gateway);
  await failsWith(unaryCall(clientAtBank, "Login", { username: "alice", password: "alice-password" }, quick), "UNAVAILABLE");
});

test("a method a server's access table does not name is refused, even to a role the table names elsewhere", async () => {
  const answered = (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(null, { transactions: [] });
  const server = createServer({
    certs: loadCertFolder(join(system.certsDir, "bank-hdfc")),
    interceptors: [peerRoleInterceptor({ "Bank/ListCommitted": ["gateway"] })],
    implementations: { Bank: { ListCommitted: answered, Audit: answered } },
    health: () => undefined,
  });
  const port = await listen(server, loadCertFolder(join(system.certsDir, "bank-hdfc")), "127.0.0.1", 0);
  try {
    const bank = dial("Bank", `127.0.0.1:${port}`, "gateway", hdfc);
    expect(await unaryCall(bank, "ListCommitted", { after_txid: "", limit: 1 }, quick)).toEqual({ txids: [], transactions: [] });
    await failsWith(unaryCall(bank, "Audit", {}, quick), "PERMISSION_DENIED");
  } finally {
    await stopServer(server, 0);
  }
});

test("the gateway's access table names every method it serves, so none is open by omission", () => {
  for (const service of ["Gateway", "Admin", "Coordinator", "Health"] as const) {
    for (const method of Object.keys(services[service].service)) {
      expect(gatewayAccess[`${service}/${method}`]).toBeDefined();
    }
  }
  expect(gatewayAccess["Admin/Audit"]!.roles).toEqual(["admin"]);
  expect(gatewayAccess["Coordinator/GetDecision"]!.roles).toEqual(["bank"]);
});
