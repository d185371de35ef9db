// Proves the logging interceptors: a payment's log lines at the client, the gateway and both banks share one request id (made by the client), show the amount and the attempt number, and no password, account PIN (right or wrong), token, MFA secret or key material appears in any line of any log.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBank, type RunningBank } from "../src/bank/bank";
import { GatewayClient } from "../src/client/gateway-client";
import { startGateway, type RunningGateway } from "../src/gateway/gateway";
import { createLogger, readableLine } from "../src/lib/log";
import { initCertificates } from "../src/rpc/certificates";
import { unaryCall } from "./support/loose-call";
import { loadCertFolder } from "../src/rpc/credentials";
import { memoryLog, sampleAccounts } from "./support/system";

const logs = { client: memoryLog("client", "alice"), gateway: memoryLog("gateway", "gateway"), hdfc: memoryLog("bank", "hdfc"), icici: memoryLog("bank", "icici") };
let dir: string;
let banks: RunningBank[] = [];
let gateway: RunningGateway;
let client: GatewayClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ministripe-logging-"));
  const certs = join(dir, "certs");
  await initCertificates({ dir: certs, hosts: ["localhost", "127.0.0.1"], banks: ["hdfc", "icici"], clients: ["alice"] });
  // PINs long and unusual enough that finding one in a log can only mean it leaked.
  writeFileSync(join(dir, "accounts.yaml"), sampleAccounts.replace('pin: "1111"', `pin: "${pins.alice}"`).replace('pin: "2222"', `pin: "${pins.bob}"`));
  const addresses = new Map<string, string>();
  for (const name of ["hdfc", "icici"] as const) {
    const bank = await startBank({ name, host: "127.0.0.1", port: 0, dataDir: join(dir, "data"), accountsFile: join(dir, "accounts.yaml"), certs: loadCertFolder(join(certs, `bank-${name}`)), inDoubtAfterMs: 10_000, log: logs[name].log });
    banks.push(bank);
    addresses.set(name, `127.0.0.1:${bank.port}`);
  }
  gateway = await startGateway({ host: "127.0.0.1", port: 0, dataDir: join(dir, "data"), banks: addresses, certs: loadCertFolder(join(certs, "gateway")), prepareTimeoutMs: 2_000, sessionTtlMs: 3_600_000, inDoubtAfterMs: 10_000, keyRetentionMs: 86_400_000, currency: "INR", log: logs.gateway.log });
  client = new GatewayClient(`127.0.0.1:${gateway.port}`, loadCertFolder(join(certs, "client-alice")), logs.client.log);
});
afterAll(async () => {
  client.close();
  await gateway.stop();
  for (const bank of banks) await bank.stop();
  rmSync(dir, { recursive: true, force: true });
});

const secrets: string[] = [];
const pins = { alice: "905172648301", bob: "905172648302", wrong: "905172648399" };

test("one request id crosses the client, the gateway and both banks, with the amount and the attempt", async () => {
  for (const [username, account] of [["alice", "1001"], ["bob", "2001"]] as const) {
    const password = `${username}-very-secret-password`;
    secrets.push(password);
    const accountPin = pins[username];
    secrets.push(accountPin);
    if (username === "bob") {
      // A wrong PIN first: refused, and in no log either.
      await client.call("Register", { username, password, bank: "icici", account, account_pin: pins.wrong }, { retry: false }).catch(() => undefined);
      secrets.push(pins.wrong);
    }
    await client.call("Register", { username, password, bank: username === "alice" ? "hdfc" : "icici", account, account_pin: accountPin }, { retry: false });
  }
  const session = await client.call("Login", { username: "alice", password: secrets[0] }, { retry: false });
  client.token = session.token;
  secrets.push(session.token);
  const mfa = await client.call("EnableMfa", { password: secrets[0] }, { retry: false });
  secrets.push(mfa.secret);

  const requestId = "req-cross-banks-1";
  // Sent as a client retry would send it: second attempt of one request.
  const reply = await unaryCall<unknown, { payment: { id: string; status: string } }>(client.gateway, "Pay", { idempotency_key: "log-key-1", to_username: "bob", amount_minor: "10050", note: "" }, { deadlineMs: 10_000, requestId, attempt: 2, token: session.token });
  expect(reply.payment.status).toBe("SUCCEEDED");
  await Bun.sleep(200); // phase two may finish after the reply

  const clientLine = logs.client.lines().find((line) => line.request_id === requestId && line.method === "Pay")!;
  expect(clientLine).toMatchObject({ role: "client", event: "rpc.called", attempt: 2, amount_minor: "10050", idempotency_key: "log-key-1", code: "OK", txid: reply.payment.id });
  expect(typeof clientLine.duration_ms).toBe("number");

  const gatewayLine = logs.gateway.lines().find((line) => line.request_id === requestId && line.method === "Pay")!;
  expect(gatewayLine).toMatchObject({ role: "gateway", service: "Gateway", attempt: 2, amount_minor: "10050", idempotency_key: "log-key-1", code: "OK", user: "alice", cert: "client:alice", txid: reply.payment.id });
  expect(String(gatewayLine.peer)).toContain("127.0.0.1");

  for (const [bank, delta] of [["hdfc", "-10050"], ["icici", "10050"]] as const) {
    const lines = logs[bank].lines();
    const prepared = lines.find((line) => line.event === "payment.prepared" && line.request_id === requestId)!;
    expect(prepared).toMatchObject({ role: "bank", name: bank, txid: reply.payment.id });
    expect(JSON.stringify(prepared.legs)).toContain(delta);
    // Phase one reaches the bank in an Exchange call that names the payment's request id and amount...
    const prepareCall = lines.find((line) => line.method === "Exchange" && (line.prepares as number) > 0 && (line.request_ids as string[]).includes(requestId))!;
    expect(prepareCall).toMatchObject({ code: "OK", cert: "gateway:gateway", attempt: 1 });
    expect(prepareCall.amounts_minor as string[]).toContain(delta);
    expect(prepareCall.txids as string[]).toContain(reply.payment.id);
    // ...and phase two in a later one.
    const commitCall = lines.find((line) => line.method === "Exchange" && (line.commits as number) > 0 && (line.request_ids as string[]).includes(requestId))!;
    expect(commitCall).toMatchObject({ code: "OK", cert: "gateway:gateway" });
    expect(lines.some((line) => line.event === "hold.posted" && line.request_id === requestId)).toBe(true);
  }
});

test("no password, account PIN, token, MFA secret or key material appears in any log line", async () => {
  // A refused login with a password and a forged bearer header must not leak either.
  await client.call("Login", { username: "bob", password: "bob-wrong-secret-password" }, { retry: false }).catch(() => undefined);
  secrets.push("bob-wrong-secret-password");
  const keyPem = readFileSync(join(dir, "certs", "gateway", "key.pem"), "utf8");
  const keyBody = keyPem.split("\n")[1]!;
  const everything = Object.values(logs).map((log) => log.text()).join("\n");
  expect(everything.length).toBeGreaterThan(1000);
  for (const secret of [...secrets, keyBody, "Bearer "]) expect(everything).not.toContain(secret);
});

test("redaction is enforced by the logger for any field at any depth, and a terminal gets readable lines", () => {
  const chunks: string[] = [];
  const log = createLogger({ role: "test", name: "t", stream: { write: (chunk: string) => void chunks.push(chunk) } });
  const pem = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49\n-----END PRIVATE KEY-----";
  log.info({ a: { b: { c: { password: "p4ssw0rd-deep" } } }, headers: { Authorization: "Bearer tok3n-abc" }, note: "sent Bearer tok3n-xyz", err: new Error(`failed with ${pem}`), new_password: "n3w-pass" }, "x");
  const text = chunks.join("");
  for (const secret of ["p4ssw0rd-deep", "tok3n-abc", "tok3n-xyz", "MIGHAgEAMBMGByqGSM49", "n3w-pass"]) expect(text).not.toContain(secret);
  const readable = readableLine(JSON.stringify({ time: "2026-01-01T12:00:01.123Z", level: "info", role: "gateway", name: "gateway", msg: "Gateway.Pay", code: "OK", duration_ms: 3.1 }));
  expect(readable).toBe("12:00:01.123 INFO  gateway/gateway Gateway.Pay  code=OK duration_ms=3.1\n");
});
