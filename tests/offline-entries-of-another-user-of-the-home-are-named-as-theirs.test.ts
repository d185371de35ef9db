// Proves one client home used by two people keeps each one's queued payments theirs and says so: `queue` marks another user's entry as sent once that user logs in here, `sync` in the other's session sends nothing of it and says who it waits for, and the owner's login pays it once; an outcome never told is not taken as told by the other user's `queue`, and the owner's next command (her login) tells it.
import { expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { cli, cliBalanceMinor, deadAddress, login, queueEntries } from "./support/cli";
import { systemWithCliUsers } from "./support/sample-users";

setDefaultTimeout(60_000);
const setup = systemWithCliUsers(["alice", "bob", "carol"]);

test("alice's queued payment, with bob logged in on her home: named as hers, left for her, then paid once", async () => {
  const { system, alice, bob, carol, totalMinor } = setup;
  // Read before queueing: alice's own next command (this balance) would send her entry once its retry is due.
  const [aliceBefore, carolBefore] = [await cliBalanceMinor(alice), await cliBalanceMinor(carol)];
  const offline = await cli({ ...alice, gateway: await deadAddress() }, "pay", "--to", "carol", "--amount", "3.30", "--key", "shared-home-1");
  expect(offline.exitCode).toBe(75);

  const bobHere = { ...bob, home: alice.home };
  await login(bobHere);
  const listed = await cli(bobHere, "queue");
  expect(listed.stdout).toContain("shared-home-1  3.30 to carol  queued");
  expect(listed.stdout).toContain("(alice's: sent once alice logs in here)");
  expect((await queueEntries(bobHere))[0]).toMatchObject({ idempotency_key: "shared-home-1", username: "alice" });

  const bobSync = await cli(bobHere, "sync");
  expect(bobSync.exitCode).toBe(0);
  expect(bobSync.stdout).toBe("nothing queued by bob\nwaiting for other users of this home to log in here: 1 of alice's\n");
  expect(await cliBalanceMinor(carol)).toBe(carolBefore);

  const aliceLogin = await cli(alice, "login", "--username", "alice");
  expect(aliceLogin.exitCode).toBe(0);
  // Sent by her login within its bound, or else by the sync after it: once either way.
  const aliceSync = await cli(alice, "sync");
  expect((aliceLogin.stderr + aliceSync.stdout).split("INR 3.30 to carol succeeded")).toHaveLength(2);
  expect(await cliBalanceMinor(alice)).toBe(aliceBefore - 330n);
  expect(await cliBalanceMinor(carol)).toBe(carolBefore + 330n);
  expect(system.totalMinor()).toBe(totalMinor);
});

test("alice's decline finished but never told: bob's queue on her home leaves it untold; her login tells it", async () => {
  const { system, alice, bob, totalMinor } = setup;
  await login(alice);
  // Read before queueing, as above.
  const [aliceBefore, bobBefore] = [await cliBalanceMinor(alice), await cliBalanceMinor(bob)];
  const offline = await cli({ ...alice, gateway: await deadAddress() }, "pay", "--to", "bob", "--amount", "9000.00", "--key", "too-much-1");
  expect(offline.exitCode).toBe(75);
  // A process sends alice's queue and ends before telling the outcome (a decline: alice holds less than 9,000.00).
  const child = Bun.spawn(["bun", join(import.meta.dir, "support", "sends-the-queue-and-ends-untold.fixture.ts"), alice.home, alice.certs, alice.gateway, "alice"], { stdout: "pipe", stderr: "inherit" });
  expect(JSON.parse(await new Response(child.stdout).text())).toEqual(["final"]);

  const bobHere = { ...bob, home: alice.home };
  await login(bobHere);
  expect((await cli(bobHere, "queue")).stdout).toContain("too-much-1  9000.00 to bob  failed");
  const loggedIn = await cli(alice, "login", "--username", "alice");
  expect(loggedIn.exitCode).toBe(0);
  expect(loggedIn.stderr).toContain("queued payment too-much-1: 9000.00 to bob failed: insufficient_funds");
  expect((await cli(alice, "sync")).stdout).toBe("nothing queued\n");
  expect([await cliBalanceMinor(alice), await cliBalanceMinor(bob)]).toEqual([aliceBefore, bobBefore]);
  expect(system.totalMinor()).toBe(totalMinor);
});
