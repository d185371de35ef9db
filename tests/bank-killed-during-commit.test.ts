// Proves that a payee bank killed while committing still ends up applying the
// commit exactly once: before the commit is written (the gateway re-sends it)
// and after it is written (the re-sent commit is acknowledged, not re-applied).
import { afterEach, expect, test } from "bun:test";
import { amountMinor, crashDuringPayment, twoBankTotalMinor, type CrashOutcome } from "./support/crash-scenario";
import { ledgerRows } from "./support/processes";

let outcome: CrashOutcome | undefined;
afterEach(async () => {
  await outcome?.system.stop();
  outcome = undefined;
});

for (const failpoint of ["bank.commit.before", "bank.commit.after"] as const) {
  test(`payee bank killed at ${failpoint}: the commit is applied exactly once after restart`, async () => {
    outcome = await crashDuringPayment(["bank-icici"], failpoint);
    expect(outcome.payment.status).toBe("SUCCEEDED");
    expect(outcome.aliceMinor).toBe(500_000n - amountMinor);
    expect(outcome.bobMinor).toBe(120_000n + amountMinor);
    expect(outcome.totalMinor).toBe(twoBankTotalMinor);
    expect(outcome.report.violations).toEqual([]);
    expect(outcome.report.phase_two_unfinished).toBe(0);
    expect(ledgerRows(outcome.system, "icici", outcome.payment.id)).toEqual([{ account: "2001", delta_minor: amountMinor }]);
    expect(ledgerRows(outcome.system, "hdfc", outcome.payment.id)).toEqual([{ account: "1001", delta_minor: -amountMinor }]);
  }, 60_000);
}
