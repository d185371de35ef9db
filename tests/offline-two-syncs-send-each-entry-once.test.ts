// Proves that two `sync` processes started at once on one client home send each queued payment exactly once (one Pay call per key at the gateway, no replays), thanks to the outbox's atomic claims.
import { expect, setDefaultTimeout, test } from "bun:test";
import { cli, cliBalanceMinor, deadAddress, memoryLogger, payCallsFor, queueEntries } from "./support/cli";
import { systemWithCliUsers } from "./support/sample-users";

setDefaultTimeout(30_000);
const memory = memoryLogger();
const setup = systemWithCliUsers(["alice", "bob"], {
  log: memory.log,
  prepareTimeoutMs: 5_000,
  // The payer's bank is reached through a proxy that can slow it down.
  proxied: ["hdfc"],
});
const { totalMinor } = setup;
const entries = 4;

test("two sync processes at once on one queue send each payment once", async () => {
  const { system, alice, bob } = setup;
  const offline = { ...alice, gateway: await deadAddress() };
  const paid = await Promise.all(Array.from({ length: entries }, (_, i) => cli(offline, "pay", "--to", "bob", "--amount", `1.0${i}`)));
  expect(paid.map((r) => r.exitCode)).toEqual(Array(entries).fill(75));
  const keys = (await queueEntries(alice)).map((e) => e.idempotency_key);
  expect(keys.length).toBe(entries);

  system.proxies.get("hdfc")!.delayMs = 150;
  const [first, second] = await Promise.all([cli(alice, "sync"), cli(alice, "sync")]);
  system.proxies.get("hdfc")!.delayMs = 0;
  expect([first.exitCode, second.exitCode]).toEqual([0, 0]);

  const reported = `${first.stdout}\n${second.stdout}`;
  for (const key of keys) {
    expect(payCallsFor(memory.lines, key).length).toBe(1);
    expect(reported.split(`queued payment ${key}:`).length - 1).toBe(1);
  }
  expect(reported).not.toContain("recorded under this key already");
  // Both processes really ran at the same time: each sent some of the entries.
  expect(first.stdout).toContain("succeeded");
  expect(second.stdout).toContain("succeeded");

  const sentMinor = 100n + 101n + 102n + 103n;
  expect(await queueEntries(alice)).toEqual([]);
  expect(await cliBalanceMinor(alice)).toBe(500_000n - sentMinor);
  expect(await cliBalanceMinor(bob)).toBe(120_000n + sentMinor);
  expect(system.totalMinor()).toBe(totalMinor);
});
