// Proves that a COMMIT decision on disk survives the gateway's death: after a
// restart the gateway re-sends phase two until both banks have applied it,
// also when a bank was down at the same time.
import { afterEach, expect, test } from "bun:test";
import { amountMinor, crashDuringPayment, twoBankTotalMinor, type CrashOutcome } from "./support/crash-scenario";
import { ledgerRows } from "./support/processes";

let outcome: CrashOutcome | undefined;
afterEach(async () => {
  await outcome?.system.stop();
  outcome = undefined;
});

const cases = [
  { name: "gateway alone", victims: ["gateway"] },
  { name: "gateway and the payee bank, both restarted", victims: ["gateway", "bank-icici"] },
];

for (const c of cases) {
  test(`killed after the decision, before phase two (${c.name}): the payment completes exactly once`, async () => {
    outcome = await crashDuringPayment(c.victims, "gateway.decision.recorded");
    expect(outcome.reply).toBeInstanceOf(Error);
    expect(outcome.payment.status).toBe("SUCCEEDED");
    expect(outcome.aliceMinor).toBe(500_000n - amountMinor);
    expect(outcome.bobMinor).toBe(120_000n + amountMinor);
    expect(outcome.totalMinor).toBe(twoBankTotalMinor);
    expect(outcome.report.violations).toEqual([]);
    expect(outcome.report.phase_two_unfinished).toBe(0);
    expect(ledgerRows(outcome.system, "icici", outcome.payment.id)).toHaveLength(1);
    expect(ledgerRows(outcome.system, "hdfc", outcome.payment.id)).toHaveLength(1);
  }, 60_000);
}
