// Proves that with dead gateways listed before a live one (--gateway DEAD,...,LIVE) `sync` sends every queued payment once and exits 0, and the shell re-sends a queued payment, tells its outcome, and the payee's shell hears of it: the queue and the payment watch fail over.
import { expect, setDefaultTimeout, test } from "bun:test";
import { cli, cliBalanceMinor, deadAddress, memoryLogger, payCallsFor, queueEntries, ShellProcess, type CliUser } from "./support/cli";
import { systemWithCliUsers } from "./support/sample-users";

setDefaultTimeout(60_000);
const memory = memoryLogger();
const setup = systemWithCliUsers(["alice", "bob"], { log: memory.log });
const { totalMinor } = setup;

/** The user's commands dial `deadCount` dead addresses, then the live gateway; a client starts at a random one of them. */
async function behindDeadGateways(user: CliUser, liveAddress: string, deadCount: number): Promise<CliUser> {
  const dead = await Promise.all(Array.from({ length: deadCount }, () => deadAddress()));
  return { ...user, gateway: [...dead, liveAddress].join(",") };
}

/** Queues payments of 1.0i to bob while every gateway is away; returns their keys. */
async function queueOffline(alice: CliUser, count: number, firstCents: number): Promise<string[]> {
  const offline = { ...alice, gateway: await deadAddress() };
  const before = new Set((await queueEntries(alice)).map((e) => e.idempotency_key));
  const paid = await Promise.all(Array.from({ length: count }, (_, i) => cli(offline, "pay", "--to", "bob", "--amount", `1.${String(firstCents + i).padStart(2, "0")}`)));
  expect(paid.map((r) => r.exitCode)).toEqual(Array(count).fill(75));
  return (await queueEntries(alice)).map((e) => e.idempotency_key).filter((key) => !before.has(key));
}

test("sync with a dead gateway listed first sends every queued payment once and exits 0", async () => {
  const { system, alice, bob } = setup;
  const keys = await queueOffline(alice, 4, 0);
  expect(keys.length).toBe(4);

  const synced = await cli(await behindDeadGateways(alice, system.gatewayAddress, 1), "sync");
  expect(synced.stderr).toBe("");
  expect(synced.exitCode).toBe(0);
  for (const key of keys) {
    expect(synced.stdout).toMatch(new RegExp(`queued payment ${key}: INR 1\\.0\\d to bob succeeded`));
    expect(payCallsFor(memory.lines, key).length).toBe(1);
  }
  expect(await queueEntries(alice)).toEqual([]);
  const sentMinor = 100n + 101n + 102n + 103n;
  expect(await cliBalanceMinor(alice)).toBe(500_000n - sentMinor);
  expect(await cliBalanceMinor(bob)).toBe(120_000n + sentMinor);
  expect(system.totalMinor()).toBe(totalMinor);
});

test("the shell behind dead gateways re-sends a queued payment and tells it, and the payee's shell is notified", async () => {
  const { system, alice, bob } = setup;
  const aliceBefore = await cliBalanceMinor(alice);
  const bobBefore = await cliBalanceMinor(bob);
  // Four dead gateways and one live: a client that only ever looks at the gateway it started at misses the live one four times in five.
  const bobShell = new ShellProcess(await behindDeadGateways(bob, system.gatewayAddress, 4));
  await bobShell.waitFor(/^logged in as bob/);
  const [key] = await queueOffline(alice, 1, 50);
  expect(key).toBeDefined();

  const aliceShell = new ShellProcess(await behindDeadGateways(alice, system.gatewayAddress, 4));
  await aliceShell.waitFor(new RegExp(`^\\[notice\\] queued payment ${key}: INR 1\\.50 to bob succeeded`));
  await bobShell.waitFor(/^\[notice\] received INR 1\.50 from alice \(payment /);
  aliceShell.send("queue");
  aliceShell.send("exit");
  expect(await aliceShell.done).toBe(0);
  expect(aliceShell.output.at(-2)).toBe("the queue is empty");
  bobShell.endInput();
  expect(await bobShell.done).toBe(0);

  expect(aliceShell.output.filter((line) => line.includes(`queued payment ${key}`)).length).toBe(1);
  expect(bobShell.output.filter((line) => line.includes("received INR 1.50")).length).toBe(1);
  expect(payCallsFor(memory.lines, key!).length).toBe(1);
  expect(await cliBalanceMinor(alice)).toBe(aliceBefore - 150n);
  expect(await cliBalanceMinor(bob)).toBe(bobBefore + 150n);
  expect(system.totalMinor()).toBe(totalMinor);
});
