// Proves presumed abort: a gateway killed after both banks voted YES but
// before its decision reached the disk aborts the payment when it restarts,
// and both banks release their holds.
import { afterAll, expect, test } from "bun:test";
import { crashDuringPayment, twoBankTotalMinor, type CrashOutcome } from "./support/crash-scenario";
import { ledgerRows } from "./support/processes";

let outcome: CrashOutcome | undefined;
afterAll(async () => {
  await outcome?.system.stop();
});

test("gateway killed after the votes, before the decision: presumed abort releases every hold", async () => {
  outcome = await crashDuringPayment(["gateway"], "gateway.votes.collected");
  expect(outcome.reply).toBeInstanceOf(Error);
  expect(outcome.payment.status).toBe("FAILED");
  expect(outcome.payment.failure_code).toBe("prepare_timeout");
  expect(outcome.aliceMinor).toBe(500_000n);
  expect(outcome.bobMinor).toBe(120_000n);
  expect(outcome.totalMinor).toBe(twoBankTotalMinor);
  expect(outcome.report.violations).toEqual([]);
  expect(outcome.report.banks.every((bank) => bank.open_holds === 0 && bank.in_doubt === 0)).toBe(true);
  expect(ledgerRows(outcome.system, "hdfc", outcome.payment.id)).toEqual([]);
}, 60_000);
