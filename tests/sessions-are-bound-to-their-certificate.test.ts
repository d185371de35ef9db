// Proves a session is bound to the client certificate it was opened over (RFC 8705): alice's token over bob's certificate is UNAUTHENTICATED and reads nothing; with an admin, bank or gateway certificate every Gateway method is refused by the certificate's role (PERMISSION_DENIED) before any token is read; the session records the certificate's SHA-256 thumbprint.
import { afterAll, beforeAll, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { GatewayClient } from "../src/client/gateway-client";
import { hashToken } from "../src/gateway/users";
import { connect } from "../src/rpc/channel";
import { unaryCall } from "./support/loose-call";
import { loadCertFolder } from "../src/rpc/credentials";
import { services } from "../src/rpc/protos";
import { failsWith, signUp, startSystem, type TestSystem } from "./support/system";

let system: TestSystem;
let alice: GatewayClient;
const opened: grpc.Client[] = [];

beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc", "icici"] });
  alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" }); // over client-alice's certificate
  await signUp(system, { username: "bob", bank: "icici", account: "2001" }); // over client-bob's
}, 30_000);
afterAll(async () => {
  for (const client of opened) client.close();
  await system.stop();
});

function gatewayWith(certFolder: string): grpc.Client {
  const client = connect("Gateway", system.gatewayAddress, { certs: loadCertFolder(join(system.certsDir, certFolder)), expect: { role: "gateway", name: "gateway" } });
  opened.push(client);
  return client;
}

const call = (client: grpc.Client, method: string, token: string, request: unknown = {}) => unaryCall(client, method, request, { deadlineMs: 5_000, token });

test("the session records the SHA-256 thumbprint of the certificate it was issued over", async () => {
  const der = new X509Certificate(readFileSync(join(system.certsDir, "client-alice", "cert.pem"))).raw;
  const session = (await system.gateway.store.getSession(hashToken(alice.token!)))!;
  expect(session.certSha256).toBe(new Bun.CryptoHasher("sha256").update(der).digest("hex"));
});

test("alice's token over her own certificate works; over bob's certificate it is UNAUTHENTICATED and reads nothing", async () => {
  const own = await call(gatewayWith("client-alice"), "GetBalance", alice.token!);
  expect(own).toMatchObject({ account: "1001" });
  const bobs = gatewayWith("client-bob");
  for (const method of ["GetBalance", "ListPayments", "GetPayment", "Pay", "Logout"]) {
    const request = method === "Pay" ? { idempotency_key: "stolen-1", to_username: "bob", amount_minor: "100" } : method === "GetPayment" ? { id_or_key: "stolen-1" } : {};
    const error = await failsWith(call(bobs, method, alice.token!, request), "UNAUTHENTICATED");
    expect(error.message).toContain("another client certificate");
  }
  // Nothing was paid, and the refused Logout did not end alice's session.
  expect(await call(gatewayWith("client-alice"), "ListPayments", alice.token!)).toEqual({ payments: [] });
});

test("with an admin, bank or gateway certificate every Gateway method is refused by role, before any token is read", async () => {
  for (const certFolder of ["admin", "bank-hdfc", "gateway"]) {
    const client = gatewayWith(certFolder);
    for (const method of Object.keys(services.Gateway.service).filter((m) => m !== "WatchPayments")) {
      for (const token of [alice.token!, "not-a-token"]) {
        const error = await failsWith(call(client, method, token), "PERMISSION_DENIED");
        expect(error.message).toContain(`${certFolder === "admin" ? "an admin" : certFolder === "gateway" ? "a gateway" : "a bank"} certificate may not call Gateway.${method}`);
      }
    }
  }
});
