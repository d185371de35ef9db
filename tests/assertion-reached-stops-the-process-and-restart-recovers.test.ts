// Proves that a failed assertion in a running bank or gateway PROCESS stops it
// (exit 70, the reason in its log) instead of being answered as INTERNAL, and
// that the process restarted from its durable state finishes the payment as
// the protocol says: the payee bank's commit is re-sent and applied once; a
// gateway stopped before its decision presumes abort. Money is conserved.
import { afterEach, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fatalExitCode } from "../src/lib/fatal";
import type { FailpointName } from "../src/lib/failpoint";
import { auditUntilClean, balanceOf, ledgerRows, paymentByKey, signUpProcess, startProcessSystem, twoBankTotalMinor, type ProcessSystem } from "./support/processes";

const amountMinor = 25_000n;
let system: ProcessSystem | undefined;
afterEach(async () => {
  await system?.stop();
  system = undefined;
});

/** One payment alice -> bob while `victim` is armed to fail an assertion at `failpoint`; then it is restarted. */
async function assertionDuringPayment(victim: string, failpoint: FailpointName) {
  system = await startProcessSystem({ env: { [victim]: { MINISTRIPE_FAILPOINTS: `${failpoint}=assert` } } });
  const alice = await signUpProcess(system, "alice", "hdfc", "1001");
  const bob = await signUpProcess(system, "bob", "icici", "2001");
  const key = crypto.randomUUID();
  await alice.call("Pay", { idempotency_key: key, to_username: "bob", amount_minor: amountMinor.toString(), note: "" }, { retry: false, deadlineMs: 8_000 }).catch((error: Error) => error);
  const child = system.cluster.processes.get(victim)!;
  const exit = await Promise.race([child.exited, Bun.sleep(10_000).then(() => "still running")]);
  const log = readFileSync(join(system.cluster.logsDir, `${victim}.log`), "utf8");
  const stderr = readFileSync(join(system.cluster.logsDir, `${victim}.stderr`), "utf8");
  // Restarted without the failpoint: recovery from what is on disk.
  await system.cluster.restart(victim);
  const report = await auditUntilClean(system);
  const payment = await paymentByKey(alice, key);
  const aliceMinor = await balanceOf(alice);
  const bobMinor = await balanceOf(bob);
  return { exit, log, stderr, report, payment, aliceMinor, bobMinor };
}

test("an assertion in the payee bank's commit stops the bank; restarted, it applies the re-sent commit once", async () => {
  const outcome = await assertionDuringPayment("bank-icici", "bank.commit.before");
  expect(outcome.exit).toBe(fatalExitCode);
  const fatalLine = outcome.log.split("\n").filter(Boolean).map((line) => JSON.parse(line)).find((line) => line.event === "process.assertion_failed");
  expect(fatalLine).toMatchObject({ level: "fatal", err: { message: "assertion failed: failpoint bank.commit.before armed to fail an assertion" } });
  expect(outcome.stderr).toContain(`assertion failed: failpoint bank.commit.before armed to fail an assertion; stopping (exit ${fatalExitCode})`);
  expect(outcome.payment.status).toBe("SUCCEEDED");
  expect(outcome.aliceMinor).toBe(500_000n - amountMinor);
  expect(outcome.bobMinor).toBe(120_000n + amountMinor);
  expect(outcome.aliceMinor + outcome.bobMinor).toBe(twoBankTotalMinor);
  expect(outcome.report.violations).toEqual([]);
  expect(ledgerRows(system!, "icici", outcome.payment.id)).toEqual([{ account: "2001", delta_minor: amountMinor }]);
}, 60_000);

test("an assertion in the gateway before its decision stops the gateway; restarted, it presumes abort and releases every hold", async () => {
  const outcome = await assertionDuringPayment("gateway", "gateway.votes.collected");
  expect(outcome.exit).toBe(fatalExitCode);
  expect(outcome.log).toContain('"event":"process.assertion_failed"');
  expect(outcome.stderr).toContain("assertion failed: failpoint gateway.votes.collected armed to fail an assertion");
  expect(outcome.payment.status).toBe("FAILED");
  expect(outcome.aliceMinor).toBe(500_000n);
  expect(outcome.bobMinor).toBe(120_000n);
  expect(outcome.report.violations).toEqual([]);
  expect(outcome.report.banks.every((bank) => bank.open_holds === 0 && bank.in_doubt === 0)).toBe(true);
}, 60_000);
