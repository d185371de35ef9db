// Proves a refund survives the gateway's crash with one final outcome and a
// reservation that agrees with it: SIGKILLed after both banks voted but
// before its decision reached the disk, the refund is presumed aborted at
// restart, every hold is voided and its reservation released (the whole
// payment is refundable again); SIGKILLed just after the decision, the
// refund succeeds after restart and stays reserved.
import { afterEach, expect, test } from "bun:test";
import type { GatewayClient } from "../src/client/gateway-client";
import type { FailpointName } from "../src/lib/failpoint";
import { auditUntilClean, balanceOf, paymentByKey, signUpProcess, startProcessSystem, twoBankTotalMinor, type ProcessSystem } from "./support/processes";

let system: ProcessSystem | undefined;
afterEach(async () => {
  await system?.stop();
  system = undefined;
});

interface Crashed {
  alice: GatewayClient;
  bob: GatewayClient;
  paymentId: string;
  refundKey: string;
  reply: unknown;
}

/** alice pays bob 250.00; then, with the gateway armed at `at`, bob refunds 100.00 and the gateway dies; it comes back unarmed. */
async function refundThroughCrash(at: FailpointName): Promise<Crashed> {
  system = await startProcessSystem();
  const alice = await signUpProcess(system, "alice", "hdfc", "1001");
  const bob = await signUpProcess(system, "bob", "icici", "2001");
  const paid = await alice.call("Pay", { idempotency_key: crypto.randomUUID(), to_username: "bob", amount_minor: "25000", note: "" }, { retry: false });
  expect(paid.payment!.status).toBe("SUCCEEDED");
  // Armed only now, so the payment itself went through.
  await system.cluster.kill("gateway", "SIGTERM");
  await system.cluster.restart("gateway", { MINISTRIPE_FAILPOINTS: at });
  const refundKey = crypto.randomUUID();
  const reply = await bob
    .call("Refund", { idempotency_key: refundKey, payment_id: paid.payment!.id, amount_minor: "10000", reason: "" }, { retry: true, deadlineMs: 8_000 })
    .catch((error: Error) => error);
  await system.cluster.kill("gateway");
  await system.cluster.restart("gateway");
  return { alice, bob, paymentId: paid.payment!.id, refundKey, reply };
}

test("killed after the refund's votes, before its decision: presumed abort voids the holds and releases the reservation", async () => {
  const crashed = await refundThroughCrash("gateway.votes.collected");
  expect(crashed.reply).toBeInstanceOf(Error);
  const report = await auditUntilClean(system!);
  expect(report.violations).toEqual([]);
  const refund = await paymentByKey(crashed.bob, crashed.refundKey);
  expect(refund.status).toBe("FAILED");
  expect(refund.failure_code).toBe("prepare_timeout");
  const original = await crashed.bob.call("GetPayment", { id_or_key: crashed.paymentId }, { retry: true });
  expect(original).toMatchObject({ refunded_minor: "0", refundable_minor: "25000" });
  expect(await balanceOf(crashed.alice)).toBe(500_000n - 25_000n);
  expect(await balanceOf(crashed.bob)).toBe(120_000n + 25_000n);
  // The released amount is refundable: all of it, now.
  const all = await crashed.bob.call("Refund", { idempotency_key: crypto.randomUUID(), payment_id: crashed.paymentId, all_remaining: true }, { retry: true });
  expect(all.refund).toMatchObject({ status: "SUCCEEDED", amount_minor: "25000" });
  expect((await balanceOf(crashed.alice)) + (await balanceOf(crashed.bob))).toBe(twoBankTotalMinor);
}, 90_000);

test("killed just after the refund's decision: it succeeds after restart and its amount stays reserved", async () => {
  const crashed = await refundThroughCrash("gateway.decision.recorded");
  const report = await auditUntilClean(system!);
  expect(report.violations).toEqual([]);
  const refund = await paymentByKey(crashed.bob, crashed.refundKey);
  expect(refund.status).toBe("SUCCEEDED");
  const original = await crashed.bob.call("GetPayment", { id_or_key: crashed.paymentId }, { retry: true });
  expect(original).toMatchObject({ refunded_minor: "10000", refundable_minor: "15000" });
  expect(await balanceOf(crashed.alice)).toBe(500_000n - 25_000n + 10_000n);
  expect(await balanceOf(crashed.bob)).toBe(120_000n + 25_000n - 10_000n);
  expect((await balanceOf(crashed.alice)) + (await balanceOf(crashed.bob))).toBe(twoBankTotalMinor);
}, 90_000);
