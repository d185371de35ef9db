// Proves a gateway told to stop (SIGTERM) while a payment waits for a bank
// that does not vote answers that payment (FAILED, prepare_timeout, nothing
// moved) before it goes, rather than cutting its call off after 2 s and
// leaving the client to queue it: its shutdown waits out the prepare timeout.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { eventually, pay, signUp, startSystem, type TestSystem } from "./support/system";

setDefaultTimeout(30_000);
let system: TestSystem;

beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc", "icici"], proxied: ["icici"], prepareTimeoutMs: 3_000 });
});
afterAll(() => system?.stop());

test("a payment waiting for votes when the gateway stops is answered as a timeout, and moves nothing", async () => {
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  const total = system.totalMinor();
  system.proxies.get("icici")!.hold();
  const key = crypto.randomUUID();
  const paying = pay(alice, "bob", 300, key);
  // Claimed: the call is at the gateway, waiting for icici's vote.
  expect(await eventually(async () => (await system.gateway.store.paymentByKey("alice", key)) !== undefined)).toBe(true);
  const stopping = system.stopGateway();
  const reply = await paying;
  expect(reply.payment).toMatchObject({ status: "FAILED", failure_code: "prepare_timeout" });
  await stopping;
  system.proxies.get("icici")!.heal();
  await system.startGateway();
  expect(system.totalMinor()).toBe(total);
});
