// Proves the client's connect bound (a try with no connection within 3 s ends "could not connect") never ends a call that went out: a call sent on a fresh connection, whose server then closes that connection gracefully (GOAWAY) while it answers slowly, gets the server's answer, not "could not connect" at the bound.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initCertificates } from "../src/rpc/certificates";
import { connect, unaryCall } from "../src/rpc/channel";
import { loadCertFolder } from "../src/rpc/credentials";
import { services } from "../src/rpc/protos";

setDefaultTimeout(30_000);
const dir = mkdtempSync(join(tmpdir(), "ministripe-goaway-"));
const server = new grpc.Server();
let port = 0;
let received = 0;
const answerAfterMs = 1_500;
const connectWithinMs = 500;

beforeAll(async () => {
  await initCertificates({ dir, hosts: ["localhost", "127.0.0.1"], banks: [], clients: ["alice"] });
  const certs = loadCertFolder(join(dir, "gateway"));
  server.addService(services.Gateway.service, {
    GetBalance: (_call: unknown, done: (error: null, reply: object) => void) => {
      received += 1;
      // Sent and received: the server now closes the connection for new calls (GOAWAY) and answers this one late.
      server.tryShutdown(() => undefined);
      setTimeout(() => done(null, { balance_minor: "1", available_minor: "1", currency: "INR" }), answerAfterMs);
    },
  });
  port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createSsl(certs.ca, [{ cert_chain: certs.cert, private_key: certs.key }], true), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
});
afterAll(() => {
  server.forceShutdown();
  rmSync(dir, { recursive: true, force: true });
});

test("a call the server received is answered, though its connection closed before the connect bound passed", async () => {
  const client = connect("Gateway", `127.0.0.1:${port}`, { certs: loadCertFolder(join(dir, "client-alice")), expect: { role: "gateway", name: "gateway" } });
  try {
    const reply = await unaryCall(client, "GetBalance", {}, { deadlineMs: 10_000, connectWithinMs });
    expect(reply.balance_minor).toBe("1");
    expect(received).toBe(1);
  } finally {
    client.close();
  }
});
