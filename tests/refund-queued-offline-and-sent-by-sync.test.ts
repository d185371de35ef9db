// Proves a refund rides the offline queue like a payment: with the gateway
// down `refund --amount` exits 75 and `queue` lists it, tied to its payment;
// the same key without --amount keeps the amount fixed when it was queued,
// while a new refund without --amount is not queued (exit 4: what remains is
// the gateway's to say); after the gateway returns, `sync` sends it once,
// money moves back once, and `payment` and `payments` show the refund.
import { expect, setDefaultTimeout, test } from "bun:test";
import { cli, cliBalanceMinor, cliPay, memoryLogger, queueEntries, refundCallsFor } from "./support/cli";
import { systemWithCliUsers } from "./support/sample-users";

setDefaultTimeout(60_000);
const memory = memoryLogger();
const setup = systemWithCliUsers(["alice", "bob"], { log: memory.log });
const { totalMinor } = setup;

test("refund with the gateway down exits 75 and queues; sync after the gateway returns sends it once", async () => {
  const { system, alice, bob } = setup;
  const paymentId = await cliPay(alice, "bob", "50.00");
  await system.stopGateway();
  const key = "refund-broken-lamp";
  const queued = await cli(bob, "refund", paymentId, "--amount", "20.00", "--reason", "broken lamp", "--key", key);
  expect(queued.exitCode).toBe(75);
  expect(queued.stderr).toContain(`refund queued with key ${key}`);
  const again = await cli(bob, "refund", paymentId, "--reason", "broken lamp", "--key", key); // its amount is the one queued
  expect(again.exitCode).toBe(75);
  const unsized = await cli(bob, "refund", paymentId);
  expect(unsized.exitCode).toBe(4);
  expect(unsized.stderr).toContain("nothing was queued");
  expect(await queueEntries(bob)).toEqual([expect.objectContaining({ idempotency_key: key, amount_minor: "2000", refund_of: paymentId, state: "queued" })]);
  const listed = await cli(bob, "queue");
  expect(listed.stdout).toContain(`${key}  refund of ${paymentId}: 20.00  queued`);

  await system.startGateway();
  const synced = await cli(bob, "sync");
  expect(synced.exitCode).toBe(0);
  expect(synced.stdout).toContain(`queued refund ${key} (of payment ${paymentId}): INR 20.00 to alice succeeded`);
  expect(refundCallsFor(memory.lines, key)).toHaveLength(1);
  expect(await cliBalanceMinor(alice)).toBe(500_000n - 5_000n + 2_000n);
  expect(await cliBalanceMinor(bob)).toBe(120_000n + 5_000n - 2_000n);
  expect(system.totalMinor()).toBe(totalMinor);

  // Sent once: sync again and the same command again move nothing.
  expect((await cli(bob, "sync")).stdout).toContain("nothing queued");
  const replay = await cli(bob, "refund", paymentId, "--amount", "20.00", "--reason", "broken lamp", "--key", key);
  expect(replay.exitCode).toBe(0);
  expect(replay.stdout).toContain("recorded under this key already");
  expect(await cliBalanceMinor(alice)).toBe(500_000n - 5_000n + 2_000n);

  const shown = await cli(alice, "payment", paymentId);
  expect(shown.stdout).toContain("refunded INR 20.00 of INR 50.00; INR 30.00 remains refundable");
  expect(shown.stdout).toMatch(/refund \S+  INR 20\.00  SUCCEEDED  .*"broken lamp"/);
  const history = await cli(alice, "payments");
  expect(history.stdout).toMatch(new RegExp(`bob -> alice  INR 20\\.00  SUCCEEDED  \\S+  refund of ${paymentId}  "broken lamp"`));
  expect(history.stdout).toMatch(new RegExp(`alice -> bob  INR 50\\.00  SUCCEEDED  ${paymentId}  refunded INR 20\\.00`));
});
