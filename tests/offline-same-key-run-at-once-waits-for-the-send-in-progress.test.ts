// Proves that `pay --key K` run by several processes at once tells each the real outcome: with the gateway up, runs that find another process sending K wait for that send and report its payment as a replay (exit 0), never "queued" (75), and the queue is empty after; with the gateway unreachable every run says queued (75) and one entry waits, sent once later; an entry held by a process that was killed is taken over at once; money moves once, to the minor unit.
import { expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { limits } from "../src/lib/limits";
import { ClientStore } from "../src/store/client-store";
import type { PaymentRow } from "../src/store/gateway-store";
import { cli, cliBalanceMinor, deadAddress, queueEntries, spawnCli, until, type CliResult, type CliUser } from "./support/cli";
import { systemWithCliUsers, withClientLink } from "./support/sample-users";

setDefaultTimeout(120_000);
const setup = withClientLink(systemWithCliUsers(["alice", "bob"]), "alice");
const runs = 6;

async function balances(): Promise<{ alice: bigint; bob: bigint }> {
  return { alice: await cliBalanceMinor(setup.alice), bob: await cliBalanceMinor(setup.bob) };
}

async function finished(child: ReturnType<typeof spawnCli>): Promise<CliResult> {
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { exitCode, stdout, stderr };
}

/** Holds the gateway's execution of the payment with `key` until `release` is called; `arrived` resolves when it is held. */
function holdExecution(key: string): { arrived: Promise<void>; release(): void } {
  const coordinator = setup.system.gateway.coordinator;
  const execute = coordinator.execute.bind(coordinator);
  let arrive!: () => void;
  let release!: () => void;
  const arrived = new Promise<void>((resolve) => (arrive = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  coordinator.execute = async (row: PaymentRow) => {
    if (row.idempotencyKey === key) {
      arrive();
      await released;
    }
    return execute(row);
  };
  return { arrived, release: () => release() };
}

test("gateway up: runs that find the payment being sent wait for it and report it as a replay; paid once", async () => {
  const { system, alice, clientLink } = setup;
  const before = await balances();
  const key = "six-at-once";
  const pay = (user: CliUser) => spawnCli(user, ["pay", "--to", "bob", "--amount", "1.23", "--key", key]);
  const held = holdExecution(key);
  const first = pay(alice);
  await held.arrived;
  // The others start while the first one's payment is held at the gateway:
  // each finds the key's entry being sent (each dials the gateway first, as it
  // flushes the queue, so the proxy sees it arrive).
  const connectionsBefore = clientLink.connectionsAccepted;
  const others = Array.from({ length: runs - 1 }, () => pay(alice));
  await until("every other run to reach the gateway", () => clientLink.connectionsAccepted >= connectionsBefore + runs - 1);
  await Bun.sleep(500); // past their look at the queue: without waiting, they would exit 75 now
  held.release();
  const results = await Promise.all([first, ...others].map(finished));

  expect(results.map((r) => r.exitCode)).toEqual(Array(runs).fill(0));
  expect(results.map((r) => r.stderr)).toEqual(Array(runs).fill(""));
  // One payment, the same for all; the others report it as done earlier. (The
  // first run may report it so too, if the machine was slow enough that its
  // own call timed out while held and its retry replayed.)
  const paymentIds = new Set(results.map((r) => /: payment (\S+)\n$/.exec(r.stdout)?.[1]));
  expect(paymentIds.size).toBe(1);
  const paymentId = [...paymentIds][0]!;
  expect(results[0]!.stdout).toMatch(new RegExp(`^paid INR 1\\.23 to bob( \\(recorded under this key already; it moved money once\\))?: payment ${paymentId}\\n$`));
  for (const other of results.slice(1)) expect(other.stdout).toBe(`paid INR 1.23 to bob (recorded under this key already; it moved money once): payment ${paymentId}\n`);
  expect(await queueEntries(alice)).toEqual([]);
  expect(await balances()).toEqual({ alice: before.alice - 123n, bob: before.bob + 123n });
  expect(system.totalMinor()).toBe(setup.totalMinor);
});

test("gateway unreachable: every run says queued (75); the one entry is sent once when the gateway is back", async () => {
  const { system, alice } = setup;
  const before = await balances();
  const key = "six-offline";
  const online = alice.gateway;
  alice.gateway = await deadAddress();
  let results: CliResult[];
  try {
    const children = Array.from({ length: runs }, () => spawnCli(alice, ["pay", "--to", "bob", "--amount", "2.34", "--key", key]));
    results = await Promise.all(children.map(finished));
  } finally {
    alice.gateway = online;
  }
  expect(results.map((r) => r.exitCode)).toEqual(Array(runs).fill(75));
  for (const r of results) expect(r.stderr).toMatch(new RegExp(`cannot reach the gateway at .*; payment queued with key ${key} and will be sent when the gateway is back\\n$`));
  expect((await queueEntries(alice)).map((e) => [e.idempotency_key, e.amount_minor, e.state])).toEqual([[key, "234", "queued"]]);

  const synced = await cli(alice, "sync");
  expect(synced.exitCode).toBe(0);
  expect(synced.stdout).toContain(`queued payment ${key}: INR 2.34 to bob succeeded`);
  expect(await queueEntries(alice)).toEqual([]);
  expect(await balances()).toEqual({ alice: before.alice - 234n, bob: before.bob + 234n });
  expect(system.totalMinor()).toBe(setup.totalMinor);
});

test("an entry held by a process killed mid-send is taken over at once, not waited for: paid once", async () => {
  const { system, alice } = setup;
  const before = await balances();
  const key = "held-by-the-dead";
  const gone = Bun.spawn(["true"]);
  await gone.exited;
  const store = new ClientStore(join(alice.home, "outbox.db"));
  try {
    // Queued offline, then `pay --key` run again and killed mid-send: claimed
    // for queueClaimMs more, and not yet due (the queue's own resend leaves it).
    const dead = `${gone.pid}-killed`;
    store.add({ idempotencyKey: key, username: "alice", toUsername: "bob", amountMinor: 345n, note: "", refundOf: null }, dead, Date.now(), limits.queueClaimMs);
    store.retryLater(key, dead, "cannot reach the gateway", Date.now() + 10 * 60_000);
    expect(store.claim(key, dead, Date.now(), limits.queueClaimMs)).toBe(true);
  } finally {
    store.close();
  }
  const again = await cli(alice, "pay", "--to", "bob", "--amount", "3.45", "--key", key);
  expect({ exitCode: again.exitCode, stderr: again.stderr }).toEqual({ exitCode: 0, stderr: "" });
  expect(again.stdout).toMatch(/^paid INR 3\.45 to bob: payment \S+\n$/);
  expect(await queueEntries(alice)).toEqual([]);
  expect(await balances()).toEqual({ alice: before.alice - 345n, bob: before.bob + 345n });
  expect(system.totalMinor()).toBe(setup.totalMinor);
});
