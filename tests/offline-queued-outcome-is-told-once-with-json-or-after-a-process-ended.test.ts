// Proves that the outcome of a queued payment is told exactly once: a flush before a `--json` command puts it in that command's JSON (`queue_outcomes`), and an outcome finished but never told (the process ended before printing it) is listed by `queue` and told by the next command, after which it is gone from the queue; money moves once.
import { expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { cli, cliBalanceMinor, deadAddress, memoryLogger, payCallsFor, queueEntries, type CliUser } from "./support/cli";
import { systemWithCliUsers } from "./support/sample-users";

setDefaultTimeout(60_000);
const memory = memoryLogger();
const setup = systemWithCliUsers(["alice", "bob"], { log: memory.log });
const { totalMinor } = setup;

/** Pays bob while every gateway is away; returns the key, once the entry is due for its next send. */
async function payOffline(alice: CliUser, amount: string): Promise<string> {
  const before = new Set((await queueEntries(alice)).map((e) => e.idempotency_key));
  const paid = await cli({ ...alice, gateway: await deadAddress() }, "pay", "--to", "bob", "--amount", amount);
  expect(paid.exitCode).toBe(75);
  const queued = await queueEntries(alice);
  const entry = queued.find((e) => !before.has(e.idempotency_key))!;
  const dueAtMs = Math.max(...queued.map((e) => Date.parse((e as unknown as { next_attempt_at: string }).next_attempt_at)));
  if (dueAtMs > Date.now()) await Bun.sleep(dueAtMs - Date.now() + 50);
  return entry.idempotency_key;
}

/** Runs a client process that sends the user's queue and ends without telling anything; returns the outcomes' kinds. */
async function sendAndEndUntold(user: CliUser): Promise<string[]> {
  const child = Bun.spawn(["bun", join(import.meta.dir, "support", "sends-the-queue-and-ends-untold.fixture.ts"), user.home, user.certs, user.gateway, user.username], { stdout: "pipe", stderr: "inherit" });
  const [stdout, exitCode] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  expect(exitCode).toBe(0);
  return JSON.parse(stdout);
}

test("balance --json after a queued payment was sent carries its outcome once; queue then has nothing left", async () => {
  const { system, alice, bob } = setup;
  const aliceBefore = await cliBalanceMinor(alice);
  const bobBefore = await cliBalanceMinor(bob);
  const key = await payOffline(alice, "3.21");

  const balance = await cli(alice, "balance", "--json");
  expect(balance.exitCode).toBe(0);
  const json = JSON.parse(balance.stdout);
  expect(BigInt(json.balance_minor)).toBe(aliceBefore - 321n);
  expect(json.queue_outcomes).toHaveLength(1);
  expect(json.queue_outcomes[0]).toMatchObject({ kind: "final", idempotency_key: key, payment: { status: "SUCCEEDED", amount_minor: "321", payee: "bob" } });
  expect(json.queue_outcomes[0].message).toContain(`queued payment ${key}: INR 3.21 to bob succeeded`);

  // Told: neither the queue nor the next command tells it again.
  expect(await queueEntries(alice)).toEqual([]);
  const again = JSON.parse((await cli(alice, "balance", "--json")).stdout);
  expect(again.queue_outcomes).toBeUndefined();
  expect(payCallsFor(memory.lines, key).length).toBe(1);
  expect(await cliBalanceMinor(bob)).toBe(bobBefore + 321n);
  expect(system.totalMinor()).toBe(totalMinor);
});

test("an outcome finished but never told is listed by queue, told by the next command once, then gone", async () => {
  const { system, alice, bob } = setup;
  const aliceBefore = await cliBalanceMinor(alice);
  const bobBefore = await cliBalanceMinor(bob);
  const shown = await payOffline(alice, "4.00");
  const told = await payOffline(alice, "5.00");

  // A process sends both and ends before printing anything (as one killed there would).
  expect(await sendAndEndUntold(alice)).toEqual(["final", "final"]);

  // `queue` lists both with their outcome; listing tells them.
  const queue = await cli(alice, "queue");
  expect(queue.exitCode).toBe(0);
  expect(queue.stdout).toMatch(new RegExp(`^${shown}  4\\.00 to bob  succeeded  payment \\S+`, "m"));
  expect(queue.stdout).toMatch(new RegExp(`^${told}  5\\.00 to bob  succeeded  payment \\S+`, "m"));
  expect((await cli(alice, "queue")).stdout).toBe("the queue is empty\n");

  // Another one finished untold: the next command (here `payments --json`) tells it, once.
  const third = await payOffline(alice, "6.00");
  expect(await sendAndEndUntold(alice)).toEqual(["final"]);
  const payments = await cli(alice, "payments", "--json");
  expect(payments.exitCode).toBe(0);
  const json = JSON.parse(payments.stdout);
  expect(json.queue_outcomes).toHaveLength(1);
  expect(json.queue_outcomes[0]).toMatchObject({ kind: "final", idempotency_key: third, state: "succeeded" });
  expect(json.queue_outcomes[0].message).toContain(`queued payment ${third}: 6.00 to bob succeeded`);
  const text = await cli(alice, "payments");
  expect(text.stderr).not.toContain(third);
  expect(await queueEntries(alice)).toEqual([]);

  for (const key of [shown, told, third]) expect(payCallsFor(memory.lines, key).length).toBe(1);
  expect(await cliBalanceMinor(alice)).toBe(aliceBefore - 400n - 500n - 600n);
  expect(await cliBalanceMinor(bob)).toBe(bobBefore + 400n + 500n + 600n);
  expect(system.totalMinor()).toBe(totalMinor);
});
