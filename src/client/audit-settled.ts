// The admin's audit as the audit command, demo and bench take it: looked at
// again for a while when it may be clean a moment later.
import { sleepMs } from "../lib/clock";
import { auditLimits } from "../lib/limits";
import type { AuditResponseReceived as AuditReport } from "../rpc/wire/messages";

/** Audits; while payments are still finishing or a bank is unreachable, looks again for a while before reporting a violation. */
export async function auditSettled(readAudit: () => Promise<AuditReport>): Promise<AuditReport> {
  const giveUpAtMs = Date.now() + auditLimits.settleWithinMs;
  let report = await readAudit();
  for (let attempt = 1; attempt < auditLimits.settleAttemptsMax && Date.now() < giveUpAtMs && !report.ok && stillSettling(report); attempt++) {
    await sleepMs(Math.min(500 * attempt, auditLimits.settleRetryMsMax));
    report = await readAudit();
  }
  return report;
}

/** A report that may be clean a moment later: phase two still under way, or a bank (just restarted, say) not answering. */
function stillSettling(report: AuditReport): boolean {
  return report.phase_two_unfinished > 0 || report.payments_pending > 0 || report.banks.some((bank) => !bank.reachable);
}
