// Proves the offline queue end to end: with the gateway down `pay` exits 75 and `queue` lists the entry; after the client exits and the gateway returns, `sync` sends it once, money moves once and the outcome is shown.
import { expect, setDefaultTimeout, test } from "bun:test";
import { cli, cliBalanceMinor, memoryLogger, payCallsFor, queueEntries } from "./support/cli";
import { systemWithCliUsers } from "./support/sample-users";

setDefaultTimeout(30_000);
const memory = memoryLogger();
const setup = systemWithCliUsers(["alice", "bob"], { log: memory.log });
const { totalMinor } = setup;

test("pay with the gateway down exits 75 and queues; sync after the gateway returns sends it once", async () => {
  const { system, alice, bob } = setup;
  await system.stopGateway();
  const paid = await cli(alice, "pay", "--to", "bob", "--amount", "25.50", "--note", "rent");
  expect(paid.exitCode).toBe(75);
  expect(paid.stderr).toContain("queued");

  const queued = await queueEntries(alice);
  expect(queued.length).toBe(1);
  expect(queued[0]).toMatchObject({ to: "bob", amount_minor: "2550", state: "queued" });
  const key = queued[0]!.idempotency_key;
  expect(queued[0]!.attempts).toBeGreaterThanOrEqual(1);

  // The paying process has exited; the entry lives only in alice's home.
  await system.startGateway();
  expect(system.totalMinor()).toBe(totalMinor);
  const synced = await cli(alice, "sync");
  expect(synced.exitCode).toBe(0);
  expect(synced.stdout).toContain(key);
  expect(synced.stdout).toMatch(/INR 25\.50 to bob succeeded/);

  expect(payCallsFor(memory.lines, key).length).toBe(1);
  expect((await system.gateway.store.paymentByKey("alice", key))?.decision).toBe("COMMIT");
  expect(await cliBalanceMinor(alice)).toBe(500_000n - 2_550n);
  expect(await cliBalanceMinor(bob)).toBe(120_000n + 2_550n);
  expect(system.totalMinor()).toBe(totalMinor);

  // Nothing left to send: a second sync moves no money.
  expect(await queueEntries(alice)).toEqual([]);
  const again = await cli(alice, "sync");
  expect(again.exitCode).toBe(0);
  expect(again.stdout).toContain("nothing queued");
  expect(payCallsFor(memory.lines, key).length).toBe(1);
  expect(await cliBalanceMinor(alice)).toBe(500_000n - 2_550n);
  expect(system.totalMinor()).toBe(totalMinor);
});
