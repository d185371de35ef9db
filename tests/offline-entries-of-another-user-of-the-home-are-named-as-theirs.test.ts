// Proves one client home used by two people keeps each one's queued payments theirs and says so: `queue` marks another user's entry as sent once that user logs in here, `sync` in the other's session sends nothing of it and says who it waits for, and the owner's next sync pays it once.
import { expect, setDefaultTimeout, test } from "bun:test";
import { cli, cliBalanceMinor, deadAddress, login, queueEntries } from "./support/cli";
import { systemWithCliUsers } from "./support/sample-users";

setDefaultTimeout(60_000);
const setup = systemWithCliUsers(["alice", "bob", "carol"]);

test("alice's queued payment, with bob logged in on her home: named as hers, left for her, then paid once", async () => {
  const { system, alice, bob, carol, totalMinor } = setup;
  const offline = await cli({ ...alice, gateway: await deadAddress() }, "pay", "--to", "carol", "--amount", "3.30", "--key", "shared-home-1");
  expect(offline.exitCode).toBe(75);
  const [aliceBefore, carolBefore] = [await cliBalanceMinor(alice), await cliBalanceMinor(carol)];

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

  await login(alice);
  const aliceSync = await cli(alice, "sync");
  expect(aliceSync.exitCode).toBe(0);
  expect(aliceSync.stdout).toContain("INR 3.30 to carol succeeded");
  expect(await cliBalanceMinor(alice)).toBe(aliceBefore - 330n);
  expect(await cliBalanceMinor(carol)).toBe(carolBefore + 330n);
  expect(system.totalMinor()).toBe(totalMinor);
});
