// Proves a refund the payee's bank declines (insufficient funds) is a FAILED
// refund, not an error, that moves nothing and gives its reservation back: a
// later, smaller refund of the same payment succeeds.
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

test("a declined refund releases its reservation; a later smaller refund succeeds", async () => {
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  const bob = await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  await signUp(system, { username: "carol", bank: "sbi", account: "3001" });
  const paid = await pay(alice, "bob", 100_000n);
  expect((await pay(bob, "carol", 200_000n)).payment.status).toBe("SUCCEEDED"); // bob keeps 200.00

  const declined = await refund(bob, paid.payment.id, "all");
  expect(declined.refund.status).toBe("FAILED");
  expect(declined.refund.failure_code).toBe("insufficient_funds");
  expect(declined.original).toMatchObject({ refunded_minor: "0", refundable_minor: "100000" });
  expect(await balanceMinor(bob)).toBe(20_000n);

  const smaller = await refund(bob, paid.payment.id, 15_000n);
  expect(smaller.refund.status).toBe("SUCCEEDED");
  expect(smaller.original).toMatchObject({ refunded_minor: "15000", refundable_minor: "85000" });
  expect(await balanceMinor(bob)).toBe(5_000n);
  expect(await balanceMinor(alice)).toBe(500_000n - 100_000n + 15_000n);
  expect(system.totalMinor()).toBe(loadedTotalMinor(sampleAccounts, ["hdfc", "icici", "sbi"]));
});
