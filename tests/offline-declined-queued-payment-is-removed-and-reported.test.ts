// Proves that a queued payment the banks decline (insufficient funds) leaves the queue with its failure reported by `sync` (exit 1), is never sent again, and moves no money.
import { expect, setDefaultTimeout, test } from "bun:test";
import { cli, cliBalanceMinor, memoryLogger, payCallsFor, queueEntries } from "./support/cli";
import { systemWithCliUsers } from "./support/sample-users";

setDefaultTimeout(30_000);
const memory = memoryLogger();
const setup = systemWithCliUsers(["carol", "bob"], { log: memory.log });
const { totalMinor } = setup;

test("a queued payment that is declined is removed from the queue and its failure reported", async () => {
  const { system, carol, bob } = setup;
  await system.stopGateway();
  const paid = await cli(carol, "pay", "--to", "bob", "--amount", "3000.01");
  expect(paid.exitCode).toBe(75);
  const [entry] = await queueEntries(carol);
  expect(entry).toMatchObject({ to: "bob", amount_minor: "300001", state: "queued" });
  const key = entry!.idempotency_key;
  await system.startGateway();

  const synced = await cli(carol, "sync");
  expect(synced.exitCode).toBe(1);
  expect(synced.stdout).toContain(`queued payment ${key}: INR 3000.01 to bob failed: insufficient_funds`);
  expect(await queueEntries(carol)).toEqual([]);

  // Final: a later sync and any later command leave it alone.
  const again = await cli(carol, "sync");
  expect(again.exitCode).toBe(0);
  expect(again.stdout).toContain("nothing queued");
  expect(await cliBalanceMinor(carol)).toBe(300_000n);
  expect(await cliBalanceMinor(bob)).toBe(120_000n);
  expect(payCallsFor(memory.lines, key).length).toBe(1);
  expect((await system.gateway.store.paymentByKey("carol", key))?.failureCode).toBe("insufficient_funds");
  expect(system.banks.get("sbi")!.store.totals().openHolds).toBe(0);
  expect(system.totalMinor()).toBe(totalMinor);
});
