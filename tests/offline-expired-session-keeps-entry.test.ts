// Proves that an expired session never loses a queued payment: `sync` and `pay` keep the entries and ask to log in again (`sync` exits 3; `pay` exits 75, queued, so a script does not pay twice), and `login` itself sends each once (the next client command, SPEC), telling each outcome.
import { expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cli, cliBalanceMinor, deadAddress, login, queueEntries } from "./support/cli";
import { systemWithCliUsers } from "./support/sample-users";

setDefaultTimeout(30_000);
// 10 s: long enough for login, sync and balance after the new login on a loaded machine (3 s was not).
const setup = systemWithCliUsers(["alice", "bob"], { sessionTtlMs: 10_000 });
const { totalMinor } = setup;

test("an expired session keeps queued payments and asks to log in again", async () => {
  const { system, alice, bob } = setup;
  const offline = await cli({ ...alice, gateway: await deadAddress() }, "pay", "--to", "bob", "--amount", "5.00");
  expect(offline.exitCode).toBe(75);

  const session = JSON.parse(readFileSync(join(alice.home, "session.json"), "utf8")) as { expiresAtMs: number };
  await Bun.sleep(Math.max(0, session.expiresAtMs - Date.now()) + 200);

  const synced = await cli(alice, "sync");
  expect(synced.exitCode).toBe(3);
  expect(synced.stdout).toContain('run "ministripe login"');
  // 75, queued: a script that saw 3 would log in and pay again, and both would go.
  const online = await cli(alice, "pay", "--to", "bob", "--amount", "6.00");
  expect(online.exitCode).toBe(75);
  expect(online.stderr).toContain("stays queued");
  expect(online.stderr).toContain("do not pay it again");
  expect((await queueEntries(alice)).map((e) => [e.amount_minor, e.state])).toEqual([["500", "queued"], ["600", "queued"]]);
  expect(system.totalMinor()).toBe(totalMinor);

  const loggedIn = await cli(alice, "login", "--username", "alice");
  expect(loggedIn.exitCode).toBe(0);
  // Sent by the login within its bound (a second or so), or else by the sync after it: told once either way.
  const resent = await cli(alice, "sync");
  expect(resent.exitCode).toBe(0);
  const told = loggedIn.stderr + resent.stdout;
  for (const amount of ["5.00", "6.00"]) expect(told.split(`INR ${amount} to bob succeeded`)).toHaveLength(2);
  expect(await queueEntries(alice)).toEqual([]);
  expect(await cliBalanceMinor(alice)).toBe(500_000n - 1_100n);
  await login(bob);
  expect(await cliBalanceMinor(bob)).toBe(120_000n + 1_100n);
  expect(system.totalMinor()).toBe(totalMinor);
});
