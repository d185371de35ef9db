// Proves the client keeps a key bound only to what the gateway recorded: a pay or refund the gateway refused (unknown payee, more than remains) frees its key in the local queue, so the corrected request with that key is sent and answered (paid, refunded, or a replay of what another machine paid with it), while a key the gateway recorded, or whose outcome is unknown (queued offline), still refuses other parameters locally and replays the same ones; a refusal kept by an earlier client binds nothing either; money moves once, to the minor unit.
import { expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { ClientStore, outcomeUnknown } from "../src/store/client-store";
import { cli, cliBalanceMinor, cliPay, deadAddress, login, queueEntries, type CliUser } from "./support/cli";
import { systemWithCliUsers } from "./support/sample-users";

setDefaultTimeout(120_000);
const setup = systemWithCliUsers(["alice", "bob"]);

/** Alice's and bob's balances, in minor units. */
async function balances(): Promise<{ alice: bigint; bob: bigint }> {
  return { alice: await cliBalanceMinor(setup.alice), bob: await cliBalanceMinor(setup.bob) };
}

/** The same user on another machine: another home (another local queue), logged in there. */
async function anotherMachine(user: CliUser): Promise<CliUser> {
  const other = { ...user, home: mkdtempSync(join(setup.system.dir, `home-${user.username}-2-`)) };
  await login(other);
  return other;
}

test("pay: a key the gateway refused is sent again once corrected; then it binds as any paid key", async () => {
  const { system, alice } = setup;
  const before = await balances();
  const refused = await cli(alice, "pay", "--to", "nobody", "--amount", "1.00", "--key", "pk1");
  expect({ exitCode: refused.exitCode, stderr: refused.stderr }).toEqual({ exitCode: 2, stderr: 'ministripe pay: no user "nobody"\n' });
  expect((await queueEntries(alice)).map((e) => e.idempotency_key)).not.toContain("pk1");

  const corrected = await cli(alice, "pay", "--to", "bob", "--amount", "1.25", "--key", "pk1");
  expect({ exitCode: corrected.exitCode, stderr: corrected.stderr }).toEqual({ exitCode: 0, stderr: "" });
  expect(corrected.stdout).toMatch(/^paid INR 1\.25 to bob: payment \S+\n$/);
  const paymentId = corrected.stdout.trim().split(" ").at(-1)!;
  const shown = await cli(alice, "payment", "pk1", "--json");
  expect(JSON.parse(shown.stdout)).toMatchObject({ id: paymentId, status: "SUCCEEDED", amount_minor: "125" });

  // Now the gateway recorded it: other parameters are refused here, the same ones replay.
  const other = await cli(alice, "pay", "--to", "bob", "--amount", "2.00", "--key", "pk1");
  expect(other.exitCode).toBe(2);
  expect(other.stderr).toContain("key pk1 was already used for another payment or refund");
  const again = await cli(alice, "pay", "--to", "bob", "--amount", "1.25", "--key", "pk1");
  expect(again.exitCode).toBe(0);
  expect(again.stdout).toBe(`paid INR 1.25 to bob (recorded under this key already; it moved money once): payment ${paymentId}\n`);

  expect(await balances()).toEqual({ alice: before.alice - 125n, bob: before.bob + 125n });
  expect(system.totalMinor()).toBe(setup.totalMinor);
});

test("pay: after a refusal here, the payment another machine made with the key comes back as a replay", async () => {
  const { system, alice } = setup;
  const laptop = await anotherMachine(alice);
  const before = await balances();
  const refused = await cli(alice, "pay", "--to", "nobody", "--amount", "3.00", "--key", "pk2");
  expect(refused.exitCode).toBe(2);
  const elsewhere = await cli(laptop, "pay", "--to", "bob", "--amount", "3.00", "--key", "pk2");
  expect(elsewhere.exitCode).toBe(0);
  const paymentId = elsewhere.stdout.trim().split(" ").at(-1)!;

  const here = await cli(alice, "pay", "--to", "bob", "--amount", "3.00", "--key", "pk2");
  expect({ exitCode: here.exitCode, stderr: here.stderr }).toEqual({ exitCode: 0, stderr: "" });
  expect(here.stdout).toBe(`paid INR 3.00 to bob (recorded under this key already; it moved money once): payment ${paymentId}\n`);
  expect(await balances()).toEqual({ alice: before.alice - 300n, bob: before.bob + 300n });
  expect(system.totalMinor()).toBe(setup.totalMinor);
});

test("refund: more than remains frees the key for the corrected amount; a full refund after a refused partial refunds all that remains", async () => {
  const { system, alice, bob } = setup;
  const paymentId = await cliPay(alice, "bob", "10.00");
  const before = await balances();

  const tooMuch = await cli(bob, "refund", paymentId, "--amount", "12.00", "--key", "q2");
  expect(tooMuch.exitCode).toBe(2);
  expect(tooMuch.stderr).toContain(`only INR 10.00 of payment ${paymentId} remains refundable`);
  const corrected = await cli(bob, "refund", paymentId, "--amount", "5.00", "--key", "q2");
  expect({ exitCode: corrected.exitCode, stderr: corrected.stderr }).toEqual({ exitCode: 0, stderr: "" });
  expect(corrected.stdout).toMatch(new RegExp(`^refunded INR 5\\.00 of payment ${paymentId} to alice: refund \\S+; INR 5\\.00 of it remains refundable\\n$`));

  expect((await cli(bob, "refund", paymentId, "--amount", "3.00", "--key", "r3")).exitCode).toBe(0);
  const overRest = await cli(bob, "refund", paymentId, "--amount", "3.00", "--key", "dz");
  expect(overRest.exitCode).toBe(2);
  expect(overRest.stderr).toContain(`only INR 2.00 of payment ${paymentId} remains refundable`);
  const rest = await cli(bob, "refund", paymentId, "--key", "dz");
  expect({ exitCode: rest.exitCode, stderr: rest.stderr }).toEqual({ exitCode: 0, stderr: "" });
  expect(rest.stdout).toMatch(new RegExp(`^refunded INR 2\\.00 of payment ${paymentId} to alice: refund \\S+; INR 0\\.00 of it remains refundable\\n$`));

  // Recorded keys bind: the same refund replays, another amount is refused here.
  const replay = await cli(bob, "refund", paymentId, "--amount", "5.00", "--key", "q2");
  expect(replay.exitCode).toBe(0);
  expect(replay.stdout).toContain("(recorded under this key already; it moved money once)");
  const otherAmount = await cli(bob, "refund", paymentId, "--amount", "4.00", "--key", "q2");
  expect(otherAmount.exitCode).toBe(2);
  expect(otherAmount.stderr).toContain("key q2 was already used for another payment or refund");

  expect(await balances()).toEqual({ alice: before.alice + 1_000n, bob: before.bob - 1_000n });
  expect(system.totalMinor()).toBe(setup.totalMinor);
});

test("a key whose outcome is unknown (queued offline) stays bound; once the gateway refuses it, it is free", async () => {
  const { system, alice } = setup;
  const online = alice.gateway;
  const before = await balances();
  alice.gateway = await deadAddress();
  try {
    const queued = await cli(alice, "pay", "--to", "nobody", "--amount", "4.00", "--key", "u1");
    expect(queued.exitCode).toBe(75);
    const other = await cli(alice, "pay", "--to", "bob", "--amount", "4.00", "--key", "u1");
    expect(other.exitCode).toBe(2);
    expect(other.stderr).toContain("key u1 was already used for another payment or refund");
    expect((await queueEntries(alice)).filter((e) => e.idempotency_key === "u1").map((e) => [e.to, e.amount_minor, e.state])).toEqual([["nobody", "400", "queued"]]);
  } finally {
    alice.gateway = online;
  }
  const synced = await cli(alice, "sync");
  expect(synced.exitCode).toBe(1);
  expect(synced.stdout).toContain('no user "nobody"');
  const corrected = await cli(alice, "pay", "--to", "bob", "--amount", "4.00", "--key", "u1");
  expect({ exitCode: corrected.exitCode, stderr: corrected.stderr }).toEqual({ exitCode: 0, stderr: "" });
  expect(corrected.stdout).toMatch(/^paid INR 4\.00 to bob: payment \S+\n$/);
  expect(await balances()).toEqual({ alice: before.alice - 400n, bob: before.bob + 400n });
  expect(system.totalMinor()).toBe(setup.totalMinor);
});

test("a home from an earlier client: a refusal it kept binds nothing; an entry it could not settle still binds", async () => {
  const { system, alice } = setup;
  const before = await balances();
  // What earlier clients wrote: a refused entry finished as failed with no payment; an old entry whose outcome was never learnt.
  const store = new ClientStore(join(alice.home, "outbox.db"));
  try {
    // Earlier clients also finished entries as failed after errors the payment may have run through (internal, cancelled, busy).
    for (const [key, failureCode] of [["old-refused", "not_found"], ["old-unknown", outcomeUnknown], ["old-internal", "internal"], ["old-busy", "resource_exhausted"]] as const) {
      store.add({ idempotencyKey: key, username: "alice", toUsername: "nobody", amountMinor: 500n, note: "", refundOf: null }, "earlier-client", Date.now(), 0);
      store.finish(key, { state: "failed", paymentId: null, failureCode, error: "earlier outcome", reported: true }, Date.now());
    }
  } finally {
    store.close();
  }
  const corrected = await cli(alice, "pay", "--to", "bob", "--amount", "5.00", "--key", "old-refused");
  expect({ exitCode: corrected.exitCode, stderr: corrected.stderr }).toEqual({ exitCode: 0, stderr: "" });
  expect(corrected.stdout).toMatch(/^paid INR 5\.00 to bob: payment \S+\n$/);
  for (const key of ["old-unknown", "old-internal", "old-busy"]) {
    const unsettled = await cli(alice, "pay", "--to", "bob", "--amount", "5.00", "--key", key);
    expect(unsettled.exitCode).toBe(2);
    expect(unsettled.stderr).toContain(`key ${key} was already used for another payment or refund`);
  }
  expect(await balances()).toEqual({ alice: before.alice - 500n, bob: before.bob + 500n });
  expect(system.totalMinor()).toBe(setup.totalMinor);
});
