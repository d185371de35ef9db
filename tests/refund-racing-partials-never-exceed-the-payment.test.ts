// Proves the reservation: 20 partial refunds of one payment sent at once,
// together worth more than it, never refund more than its amount; the ones
// that lose the race are refused (FAILED_PRECONDITION) having moved nothing,
// and both balances match the succeeded refunds to the minor unit.
import { afterAll, beforeAll, expect, test, setDefaultTimeout } from "bun:test";
import { balanceMinor, loadedTotalMinor, pay, refund, sampleAccounts, signUp, startSystem, type TestSystem } from "./support/system";

// A bound against hangs (the preload's default reaches only the first file of a run), not a speed check.
setDefaultTimeout(30_000);
let system: TestSystem;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(async () => {
  await system.stop();
});

test("20 concurrent partial refunds worth more than the payment: the refunded total never exceeds it", async () => {
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  const bob = await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  const paid = await pay(alice, "bob", 10_000n);
  expect(paid.payment.status).toBe("SUCCEEDED");
  const parts = Array.from({ length: 20 }, (_, i) => 700n + BigInt(i)); // 14,190 in all, against 10,000
  const outcomes = await Promise.all(parts.map((part) => refund(bob, paid.payment.id, part).then((reply) => reply.refund, (error: Error & { code: string }) => error)));

  const succeeded = outcomes.filter((o) => !(o instanceof Error) && o.status === "SUCCEEDED") as { amount_minor: string }[];
  const refused = outcomes.filter((o) => o instanceof Error) as (Error & { code: string })[];
  expect(succeeded.length + refused.length).toBe(20); // none declined: bob has the money
  expect(refused.length).toBeGreaterThan(0);
  for (const error of refused) expect(error.code).toBe("FAILED_PRECONDITION");
  const refundedMinor = succeeded.reduce((sum, r) => sum + BigInt(r.amount_minor), 0n);
  expect(refundedMinor).toBeLessThanOrEqual(10_000n);

  expect(await balanceMinor(alice)).toBe(500_000n - 10_000n + refundedMinor);
  expect(await balanceMinor(bob)).toBe(120_000n + 10_000n - refundedMinor);
  const shown = await bob.call("GetPayment", { id_or_key: paid.payment.id }, { retry: false });
  expect(BigInt(shown.refunded_minor)).toBe(refundedMinor);
  expect(BigInt(shown.refundable_minor)).toBe(10_000n - refundedMinor);
  expect(system.totalMinor()).toBe(loadedTotalMinor(sampleAccounts, ["hdfc", "icici", "sbi"]));
});
