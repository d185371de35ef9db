// Proves what a caller sent is never echoed raw: GetPayment's NOT_FOUND (through the gateway and through `ministripe payment`), the CLI's own refusals of an amount, a command, a flag or an address (one line, exit 2) and Health's unknown service show control characters escaped, never as they came; and ListPayments with an unknown before_id, or one of another user's payments, is NOT_FOUND, not the newest page.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import type { GatewayClient } from "../src/client/gateway-client";
import { connect, unaryCall } from "../src/rpc/channel";
import { loadCertFolder } from "../src/rpc/credentials";
import { cli, cliUser, runMain, type CliUser } from "./support/cli";
import { failsWith, pay, signUp, startSystem, type TestSystem } from "./support/system";

setDefaultTimeout(30_000);
let system: TestSystem;
let alice: GatewayClient;
let bob: GatewayClient;
let carol: CliUser;

beforeAll(async () => {
  system = await startSystem();
  alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  bob = await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  carol = await cliUser(system, { username: "carol", bank: "sbi", account: "3001" });
}, 30_000);
afterAll(async () => {
  await system.stop();
});

const hostile = "\u001b[31mred\u0007\u009b2J\u202eevil";
const controlOrBidi = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/u;

test("GetPayment's NOT_FOUND shows the id it was sent with control characters escaped", async () => {
  const error = await failsWith(alice.call("GetPayment", { id_or_key: hostile }, { retry: false }), "NOT_FOUND");
  expect(error.message).not.toMatch(controlOrBidi);
  expect(error.message).toContain("no payment");
  expect(error.message).toContain("\\u001b[31mred");
  expect(error.message).toContain("\\u202eevil");
});

test("`ministripe payment` with such an id prints one line without any control character", async () => {
  const result = await cli(carol, "payment", hostile);
  expect(result.exitCode).toBe(2);
  expect(result.stderr).toContain("no payment");
  expect(result.stderr.trimEnd()).not.toMatch(controlOrBidi);
  expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
});

test("the CLI's own refusals of an amount, a command, a flag or an address print one line without any control character, exit 2", async () => {
  const attempts = [
    ["pay", "--to", "bob", "--amount", `1${hostile}`],
    ["pay", "--to", "bob", "--amount", "1\n2"],
    [`fr${hostile}`],
    ["pay", `--t${hostile}`, "x"],
    ["balance", "--gateway", `127.0.0.1:5${hostile}`],
    ["refund", `x${hostile}`],
  ];
  for (const args of attempts) {
    const result = await runMain(args);
    expect({ args, exitCode: result.exitCode }).toEqual({ args, exitCode: 2 });
    expect(result.stderr.trimEnd()).not.toMatch(controlOrBidi);
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/\\u(001b|000a)/);
  }
});

test("Health's unknown service is NOT_FOUND without echoing control characters", async () => {
  const health = connect("Health", system.gatewayAddress, { certs: loadCertFolder(join(system.certsDir, "admin")), expect: { role: "gateway", name: "gateway" } });
  try {
    const error = await failsWith(unaryCall(health, "Check", { service: hostile }, { deadlineMs: 3_000 }), "NOT_FOUND");
    expect(error.message).not.toMatch(controlOrBidi);
  } finally {
    health.close();
  }
});

test("ListPayments with an unknown before_id, or one of another user's payments, is NOT_FOUND; a known one pages", async () => {
  const first = (await pay(alice, "bob", 100)).payment.id;
  const second = (await pay(alice, "bob", 200)).payment.id;
  const between = (await pay(bob, "carol", 300)).payment.id; // not alice's
  const page = await alice.call("ListPayments", { before_id: second, limit: 10 }, { retry: false });
  expect(page.payments.map((p) => p.id)).toEqual([first]);

  for (const beforeId of ["zzzzzzzz-no-such-payment", "0", between]) {
    const error = await failsWith(alice.call("ListPayments", { before_id: beforeId, limit: 10 }, { retry: false }), "NOT_FOUND");
    expect(error.message).toContain("no payment");
  }
  const admin = system.client("admin");
  await failsWith(admin.callAdmin("ListAllPayments", { before_id: "zzzzzzzz-no-such-payment" }, { retry: false }), "NOT_FOUND");
  const all = await admin.callAdmin("ListAllPayments", { before_id: between, limit: 10 }, { retry: false });
  expect(all.payments.map((p) => p.id)).toEqual([second, first]);
});
