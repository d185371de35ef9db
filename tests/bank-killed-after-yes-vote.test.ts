// Proves that a payer bank killed after its YES vote is on disk (the hold
// placed, the reply lost) keeps the hold across the crash and releases it
// once it learns the ABORT: no money moves and no hold is left.
import { afterAll, expect, test } from "bun:test";
import { crashDuringPayment, twoBankTotalMinor, type CrashOutcome } from "./support/crash-scenario";
import { ledgerRows } from "./support/processes";

let outcome: CrashOutcome | undefined;
afterAll(async () => {
  await outcome?.system.stop();
});

test("bank killed after voting yes: the hold survives the crash and is voided by the abort", async () => {
  outcome = await crashDuringPayment(["bank-hdfc"], "bank.prepare.after");
  expect(outcome.payment.status).toBe("FAILED");
  expect(outcome.payment.failure_code).toBe("bank_unavailable");
  // In the payer's words: which bank, not the transport's (a reset stream, a keepalive, ECONNREFUSED).
  expect(outcome.payment.failure_message).toMatch(/^a bank could not be reached: bank hdfc (did not answer|was not connected within the prepare timeout)$/);
  expect(outcome.aliceMinor).toBe(500_000n);
  expect(outcome.bobMinor).toBe(120_000n);
  expect(outcome.totalMinor).toBe(twoBankTotalMinor);
  expect(outcome.report.violations).toEqual([]);
  expect(outcome.report.banks.every((bank) => bank.open_holds === 0)).toBe(true);
  expect(ledgerRows(outcome.system, "hdfc", outcome.payment.id)).toEqual([]);
}, 60_000);
