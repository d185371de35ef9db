// Proves a declined payment sent again with its key is answered with the first outcome and says so: the decline stands although the balance now covers it, the line says it was the key's outcome then and that a new attempt needs a new key, nothing moves; a payment without --key then goes through.
import { expect, setDefaultTimeout, test } from "bun:test";
import { cli, cliBalanceMinor } from "./support/cli";
import { systemWithCliUsers } from "./support/sample-users";

setDefaultTimeout(60_000);
const setup = systemWithCliUsers(["alice", "bob"]);

test("a decline replayed by its key says it was that key's outcome; a new key pays", async () => {
  const { system, alice, bob, totalMinor } = setup;
  // bob holds 1,200.00: 1,500.00 is declined.
  const declined = await cli(bob, "pay", "--to", "alice", "--amount", "1500.00", "--key", "rent-nov");
  expect(declined.exitCode).toBe(1);
  expect(declined.stdout).toMatch(/^payment declined: insufficient_funds: .*\(payment [\w-]+\)\n$/);
  const paymentId = /\(payment ([\w-]+)\)/.exec(declined.stdout)![1]!;

  expect((await cli(alice, "pay", "--to", "bob", "--amount", "400.00")).exitCode).toBe(0);
  const [aliceBefore, bobBefore] = [await cliBalanceMinor(alice), await cliBalanceMinor(bob)];
  expect(bobBefore).toBe(160_000n);

  const replayed = await cli(bob, "pay", "--to", "alice", "--amount", "1500.00", "--key", "rent-nov");
  expect(replayed.exitCode).toBe(1);
  expect(replayed.stdout).toBe(`payment declined: insufficient_funds: the sender's available balance is too low (payment ${paymentId}) (recorded under this key already: that was its outcome then; a new attempt needs a new key)\n`);
  expect([await cliBalanceMinor(alice), await cliBalanceMinor(bob)]).toEqual([aliceBefore, bobBefore]);

  const anew = await cli(bob, "pay", "--to", "alice", "--amount", "1500.00");
  expect(anew.exitCode).toBe(0);
  expect(anew.stdout).not.toContain("recorded under this key already");
  expect([await cliBalanceMinor(alice), await cliBalanceMinor(bob)]).toEqual([aliceBefore + 150_000n, bobBefore - 150_000n]);
  expect(system.totalMinor()).toBe(totalMinor);
});
