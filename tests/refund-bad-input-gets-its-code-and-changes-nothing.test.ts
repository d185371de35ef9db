// Proves each refund that must be refused gets SPEC's code and a message
// saying why and what remains refundable, and changes nothing: an unknown
// payment, a failed or still pending one, a refund of a refund, a caller who
// is not the payee (the payer included), more than remains.
import { afterAll, beforeAll, expect, test, setDefaultTimeout } from "bun:test";
import type { GatewayClient } from "../src/client/gateway-client";
import { sleepMs } from "../src/lib/clock";
import { failsWith, pay, refund, signUp, startSystem, type TestSystem } from "./support/system";

// A bound against hangs (the preload's default reaches only the first file of a run), not a speed check.
setDefaultTimeout(30_000);
let system: TestSystem;
let alice: GatewayClient;
let bob: GatewayClient;
let carol: GatewayClient;
beforeAll(async () => {
  system = await startSystem({ proxied: ["icici"], prepareTimeoutMs: 4_000 });
  alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  bob = await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  carol = await signUp(system, { username: "carol", bank: "sbi", account: "3001" });
});
afterAll(async () => {
  await system.stop();
});

async function snapshot() {
  const store = system.gateway.store;
  return { totalMinor: system.totalMinor(), payments: (await store.listAllPayments(undefined, 500)).map((p) => [p.id, p.decision, String(p.refundReservedMinor)]) };
}

test("refusals get their code and a reason, and change nothing", async () => {
  const paid = await pay(alice, "bob", 5_000n);
  const failed = await pay(alice, "bob", 100_000_000n); // more than alice has
  expect(failed.payment.status).toBe("FAILED");
  const partial = await refund(bob, paid.payment.id, 2_000n);
  const before = await snapshot();

  expect((await failsWith(refund(bob, "0000-no-such-payment", 100n), "NOT_FOUND")).message).toContain("no payment");
  expect((await failsWith(refund(bob, failed.payment.id, 100n), "FAILED_PRECONDITION")).message).toContain("failed and moved no money; nothing of it is refundable");
  expect((await failsWith(refund(alice, partial.refund.id, 100n), "FAILED_PRECONDITION")).message).toContain("is itself a refund");
  expect((await failsWith(refund(alice, paid.payment.id, 100n), "PERMISSION_DENIED")).message).toContain("only the payee");
  await failsWith(refund(carol, paid.payment.id, 100n), "PERMISSION_DENIED");
  expect((await failsWith(refund(bob, paid.payment.id, 3_001n), "FAILED_PRECONDITION")).message).toContain("only INR 30.00 of payment");
  expect(await snapshot()).toEqual(before);
});

test("a payment still pending cannot be refunded yet", async () => {
  system.proxies.get("icici")!.delayMs = 1_500;
  const key = crypto.randomUUID();
  const paying = pay(alice, "bob", 1_000n, key);
  let pending = await system.gateway.store.paymentByKey("alice", key);
  for (let i = 0; i < 100 && !pending; i++) {
    await sleepMs(10);
    pending = await system.gateway.store.paymentByKey("alice", key);
  }
  expect(pending?.decision).toBeNull();
  expect((await failsWith(refund(bob, pending!.id, 100n), "FAILED_PRECONDITION")).message).toContain("still pending");
  system.proxies.get("icici")!.delayMs = 0;
  expect((await paying).payment.status).toBe("SUCCEEDED");
  expect(await system.gateway.store.refundsOf(pending!.id, 10)).toEqual([]);
});
