// Proves the offline queue end to end: with the gateway down `pay` exits 75 and `queue` lists the entry; after the client exits and the gateway returns, `sync` sends it once, money moves once and the outcome is shown.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { cli, cliBalanceMinor, cliUser, memoryLogger, payCallsFor, queueEntries, type CliUser } from "./support/cli";
import { loadedTotalMinor, sampleAccounts, startSystem, type TestSystem } from "./support/system";

setDefaultTimeout(30_000);
let system: TestSystem;
let alice: CliUser;
let bob: CliUser;
const memory = memoryLogger();
const totalMinor = loadedTotalMinor(sampleAccounts, ["hdfc", "icici", "sbi"]);

beforeAll(async () => {
  system = await startSystem({ log: memory.log });
  [alice, bob] = await Promise.all([cliUser(system, { username: "alice", bank: "hdfc", account: "1001" }), cliUser(system, { username: "bob", bank: "icici", account: "2001" })]);
});
afterAll(async () => {
  await system.stop();
});

test("pay with the gateway down exits 75 and queues; sync after the gateway returns sends it once", async () => {
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
