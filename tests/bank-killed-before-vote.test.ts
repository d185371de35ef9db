// Proves that a payer bank killed before it votes leaves nothing behind: the
// payment fails as bank_unavailable, the abort reaches the bank once it is back,
// and no money moves.
import { afterAll, expect, test } from "bun:test";
import { amountMinor, crashDuringPayment, twoBankTotalMinor, type CrashOutcome } from "./support/crash-scenario";

let outcome: CrashOutcome | undefined;
afterAll(async () => {
  await outcome?.system.stop();
});

test("bank killed before its vote: payment fails, abort is delivered after restart, nothing moves", async () => {
  outcome = await crashDuringPayment(["bank-hdfc"], "bank.prepare.before");
  expect(outcome.payment.status).toBe("FAILED");
  expect(outcome.payment.failure_code).toBe("bank_unavailable");
  // In the payer's words: which bank, not the transport's (a reset stream, a keepalive, ECONNREFUSED).
  expect(outcome.payment.failure_message).toMatch(/^a bank could not be reached: bank hdfc (did not answer|was not connected within the prepare timeout)$/);
  expect(outcome.aliceMinor).toBe(500_000n);
  expect(outcome.bobMinor).toBe(120_000n);
  expect(outcome.totalMinor).toBe(twoBankTotalMinor);
  expect(outcome.report.violations).toEqual([]);
  expect(outcome.report.phase_two_unfinished).toBe(0);
  expect(amountMinor).toBeGreaterThan(0n);
}, 60_000);
