// Proves the offline queue's bounds are kept and said: `sync` sends one pass (syncEntriesMax), exits 75 saying how many more remain, and the next sync sends the rest, each once; with limits.queueEntriesMax entries queued, `pay` and `refund` refuse a new one in one line (exit 4), nothing queued or sent, money unchanged; `queue` says how many it does not show.
import { expect, setDefaultTimeout, test } from "bun:test";
import { ClientHome } from "../src/client/home";
import { limits, offlineLimits } from "../src/lib/limits";
import { ClientStore } from "../src/store/client-store";
import { cli, cliBalanceMinor, deadAddress, memoryLogger, payCallsFor, type CliUser } from "./support/cli";
import { systemWithCliUsers } from "./support/sample-users";

setDefaultTimeout(120_000);
const memory = memoryLogger();
const setup = systemWithCliUsers(["alice", "bob"], { log: memory.log });
const { totalMinor } = setup;

/** Puts `count` payments of 0.01 to bob in the user's queue (as `pay` offline would), due at `dueAtMs`; returns their keys. */
function queuePayments(user: CliUser, prefix: string, count: number, dueAtMs: number): string[] {
  const store = new ClientStore(new ClientHome(user.home).outboxPath);
  try {
    const keys = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
    store.transaction(() => {
      for (const key of keys) expect(store.add({ idempotencyKey: key, username: user.username, toUsername: "bob", amountMinor: 1n, note: "" }, "earlier", dueAtMs, 0, Number.MAX_SAFE_INTEGER)).toBe("added");
    });
    return keys;
  } finally {
    store.close();
  }
}

function queuedCount(user: CliUser): number {
  const store = new ClientStore(new ClientHome(user.home).outboxPath);
  try {
    return store.countQueued(undefined);
  } finally {
    store.close();
  }
}

test("sync sends one pass, exits 75 saying how many more remain; the next sync sends the rest, each once", async () => {
  const { system, alice, bob } = setup;
  const aliceBefore = await cliBalanceMinor(alice);
  const bobBefore = await cliBalanceMinor(bob);
  const count = offlineLimits.syncEntriesMax + 2;
  const keys = queuePayments(alice, "k-pass", count, Date.now());

  const first = await cli(alice, "sync");
  expect(first.exitCode).toBe(75);
  expect(first.stdout).toContain(`\n2 more still queued: run "ministripe sync" again\n`);
  expect(first.stdout.split("succeeded").length - 1).toBe(offlineLimits.syncEntriesMax);

  const second = await cli(alice, "sync", "--json");
  expect(second.exitCode).toBe(0);
  const json = JSON.parse(second.stdout);
  expect(json.outcomes).toHaveLength(2);
  expect(json.more_queued).toBe(0);
  expect(queuedCount(alice)).toBe(0);

  for (const key of keys) expect(payCallsFor(memory.lines, key).length).toBe(1);
  expect(await cliBalanceMinor(alice)).toBe(aliceBefore - BigInt(count));
  expect(await cliBalanceMinor(bob)).toBe(bobBefore + BigInt(count));
  expect(system.totalMinor()).toBe(totalMinor);
});

test("a full queue refuses a new payment or refund in one line, exit 4, nothing queued or sent; queue says how many it does not show", async () => {
  const { system, alice, bob } = setup;
  const aliceBefore = await cliBalanceMinor(alice);
  const bobBefore = await cliBalanceMinor(bob);
  // Not due for an hour: no flush sends them.
  queuePayments(alice, "k-full", limits.queueEntriesMax, Date.now() + 3_600_000);
  expect(queuedCount(alice)).toBe(limits.queueEntriesMax);

  const offline = { ...alice, gateway: await deadAddress() };
  for (const user of [offline, alice]) {
    const paid = await cli(user, "pay", "--to", "bob", "--amount", "1.00", "--key", "k-over-the-bound");
    expect(paid.exitCode).toBe(4);
    expect(paid.stderr.trim().split("\n")).toHaveLength(1);
    expect(paid.stderr).toContain(`the offline queue is full (${limits.queueEntriesMax} payments and refunds wait to be sent); this payment was not queued or sent`);
  }
  const refunded = await cli(offline, "refund", "01a22953-44b8-7315-93f7-26386c62bba9", "--amount", "1.00", "--key", "k-refund-over-the-bound");
  expect(refunded.exitCode).toBe(4);
  expect(refunded.stderr).toContain("this refund was not queued or sent");
  expect(queuedCount(alice)).toBe(limits.queueEntriesMax);
  expect(payCallsFor(memory.lines, "k-over-the-bound").length).toBe(0);

  const queue = await cli(alice, "queue");
  expect(queue.exitCode).toBe(0);
  const lines = queue.stdout.trim().split("\n");
  expect(lines).toHaveLength(offlineLimits.queueListedEntriesMax + 1);
  expect(lines.at(-1)).toBe(`... and ${limits.queueEntriesMax - offlineLimits.queueListedEntriesMax} more not shown (the oldest ${offlineLimits.queueListedEntriesMax} are listed)`);
  const json = JSON.parse((await cli(alice, "queue", "--json")).stdout);
  expect(json.entries).toHaveLength(offlineLimits.queueListedEntriesMax);
  expect(json.not_shown).toBe(limits.queueEntriesMax - offlineLimits.queueListedEntriesMax);

  expect(await cliBalanceMinor(alice)).toBe(aliceBefore);
  expect(await cliBalanceMinor(bob)).toBe(bobBefore);
  expect(system.totalMinor()).toBe(totalMinor);
});
