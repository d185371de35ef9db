// Proves that a gateway killed between claiming a key and deciding leaves
// exactly one final outcome for that key: after the restart every retry with
// the key returns the same (presumed-aborted) payment and no money moves.
import { afterAll, expect, test } from "bun:test";
import { auditUntilClean, balanceOf, signUpProcess, startProcessSystem, twoBankTotalMinor, type ProcessSystem } from "./support/processes";

let system: ProcessSystem | undefined;
afterAll(async () => {
  await system?.stop();
});

test("gateway killed after the claim, before the decision: the key has one final outcome", async () => {
  system = await startProcessSystem({ env: { gateway: { MINISTRIPE_FAILPOINTS: "gateway.votes.collected" } } });
  const alice = await signUpProcess(system, "alice", "hdfc", "1001");
  const bob = await signUpProcess(system, "bob", "icici", "2001");
  const request = { idempotency_key: crypto.randomUUID(), to_username: "bob", amount_minor: "40000", note: "" };
  const lost = await alice.call("Pay", request, { retry: false }).catch((error: Error) => error);
  expect(lost).toBeInstanceOf(Error);
  await system.cluster.kill("gateway");
  await system.cluster.restart("gateway");

  const first = await alice.call("Pay", request, { retry: true, attemptsMax: 10 });
  const second = await alice.call("Pay", request, { retry: true, attemptsMax: 10 });
  expect(first).toMatchObject({ replayed: true, payment: { status: "FAILED", failure_code: "prepare_timeout" } });
  expect(second.payment!.id).toBe(first.payment!.id);
  expect(second.replayed).toBe(true);

  const report = await auditUntilClean(system);
  expect(report.violations).toEqual([]);
  expect(report.payments_failed).toBe(1);
  expect(report.payments_succeeded).toBe(0);
  expect((await balanceOf(alice)) + (await balanceOf(bob))).toBe(twoBankTotalMinor);
  expect(await balanceOf(alice)).toBe(500_000n);
}, 60_000);
