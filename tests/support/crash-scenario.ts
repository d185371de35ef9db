// One payment from alice (hdfc) to bob (icici) while a process is armed to
// SIGKILL itself at a failpoint; then the dead process is restarted and the
// system is left to recover. Each crash test asserts what must follow.
import type { FailpointName } from "../../src/lib/failpoint";
import type { AuditReport } from "../../src/gateway/audit";
import { auditUntilClean, balanceOf, paymentByKey, signUpProcess, startProcessSystem, twoBankTotalMinor, type ProcessSystem } from "./processes";

export interface CrashOutcome {
  system: ProcessSystem;
  /** The reply the payer saw, or the error when the reply was lost. */
  reply: { payment: { status: string; failure_code: string } | null } | Error;
  /** The payment's final state, asked for again after recovery with the same key. */
  payment: { id: string; status: string; failure_code: string; failure_message: string };
  report: AuditReport;
  aliceMinor: bigint;
  bobMinor: bigint;
  totalMinor: bigint;
}

export const amountMinor = 25_000n;

export async function crashDuringPayment(victims: string[], failpoint: FailpointName): Promise<CrashOutcome> {
  const env = Object.fromEntries(victims.map((name) => [name, { MINISTRIPE_FAILPOINTS: failpoint }]));
  const system = await startProcessSystem({ env });
  const alice = await signUpProcess(system, "alice", "hdfc", "1001");
  const bob = await signUpProcess(system, "bob", "icici", "2001");
  const key = crypto.randomUUID();
  const reply = await alice
    .call("Pay", { idempotency_key: key, to_username: "bob", amount_minor: amountMinor.toString(), note: "" }, { retry: false, deadlineMs: 8_000 })
    .catch((error: Error) => error);
  // Every victim is down at once (dead from its failpoint, or killed now), then all come back.
  for (const victim of victims) await system.cluster.kill(victim);
  for (const victim of victims) await system.cluster.restart(victim);
  const report = await auditUntilClean(system);
  const payment = await paymentByKey(alice, key);
  const aliceMinor = await balanceOf(alice);
  const bobMinor = await balanceOf(bob);
  return { system, reply, payment, report, aliceMinor, bobMinor, totalMinor: aliceMinor + bobMinor };
}

export { twoBankTotalMinor };
