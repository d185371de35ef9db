// Proves refunds reach exactly a payment's amount and no further: a full
// refund moves it all back; three partial refunds use up another payment to
// the minor unit and one more cent is refused (FAILED_PRECONDITION saying
// nothing remains); balances and the system's total match to the minor unit.
import { expect, test, setDefaultTimeout } from "bun:test";
import { balanceMinor, failsWith, loadedTotalMinor, pay, refund, sampleAccounts } from "./support/system";
import { systemWithSignedUpUsers } from "./support/sample-users";

// A bound against hangs (the preload's default reaches only the first file of a run), not a speed check.
setDefaultTimeout(30_000);
const setup = systemWithSignedUpUsers(["alice", "bob"]);

const total = loadedTotalMinor(sampleAccounts, ["hdfc", "icici", "sbi"]);

test("a full refund moves the whole payment back, payee to payer", async () => {
  const { system, alice, bob } = setup;
  const paid = await pay(alice, "bob", 10_000n);
  expect(paid.payment.status).toBe("SUCCEEDED");
  const reply = await refund(bob, paid.payment.id, "all", undefined, "returned");
  expect(reply.refund.status).toBe("SUCCEEDED");
  expect(reply.refund).toMatchObject({ payer: "bob", payee: "alice", amount_minor: "10000", refund_of: paid.payment.id, note: "returned" });
  expect(reply.original).toMatchObject({ refunded_minor: "10000", refundable_minor: "0" });
  expect(await balanceMinor(alice)).toBe(500_000n);
  expect(await balanceMinor(bob)).toBe(120_000n);
  expect(system.totalMinor()).toBe(total);
  await failsWith(refund(bob, paid.payment.id, 1n), "FAILED_PRECONDITION");
});

test("three partial refunds reach exactly the amount; one more cent is refused and changes nothing", async () => {
  const { system, alice, bob } = setup;
  const paid = await pay(alice, "bob", 9_000n);
  for (const part of [3_000n, 2_999n, 3_001n]) expect((await refund(bob, paid.payment.id, part)).refund.status).toBe("SUCCEEDED");
  const before = { alice: await balanceMinor(alice), bob: await balanceMinor(bob) };
  expect(before).toEqual({ alice: 500_000n, bob: 120_000n });
  const error = await failsWith(refund(bob, paid.payment.id, 1n), "FAILED_PRECONDITION");
  expect(error.message).toContain("nothing remains refundable");
  expect({ alice: await balanceMinor(alice), bob: await balanceMinor(bob) }).toEqual(before);

  const shown = await bob.call("GetPayment", { id_or_key: paid.payment.id }, { retry: false });
  expect(shown.refunded_minor).toBe("9000");
  expect(shown.refundable_minor).toBe("0");
  expect(shown.refunds.map((r) => r.amount_minor).sort()).toEqual(["2999", "3000", "3001"]);
  expect(system.totalMinor()).toBe(total);
});

test("a partial refund leaves the rest refundable, and says how much remains when asked for more", async () => {
  const { system, alice, bob } = setup;
  const paid = await pay(alice, "bob", 5_000n);
  await refund(bob, paid.payment.id, 1_250n);
  const error = await failsWith(refund(bob, paid.payment.id, 4_000n), "FAILED_PRECONDITION");
  expect(error.message).toContain("only INR 37.50 of payment");
  const rest = await refund(bob, paid.payment.id, "all");
  expect(rest.refund.amount_minor).toBe("3750");
  expect(await balanceMinor(alice)).toBe(500_000n);
  expect(system.totalMinor()).toBe(total);
});
