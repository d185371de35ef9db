// Proves that the queue survives the client being killed (SIGKILL) in the middle of sending: the entry is on disk before the first send, and the next `sync` takes over the dead process's claim at once and sends it, charging the payer once.
import { expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { ClientStore } from "../src/store/client-store";
import { cli, cliBalanceMinor, memoryLogger, payCallsFor, queueEntries, spawnCli, until } from "./support/cli";
import { systemWithCliUsers, withClientLink } from "./support/sample-users";

setDefaultTimeout(30_000);
const memory = memoryLogger();
const setup = withClientLink(systemWithCliUsers(["alice", "bob"], { log: memory.log }), "alice");
const { totalMinor } = setup;

test("a pay process killed while sending leaves its entry queued, and the next sync sends it at once", async () => {
  const { system, alice, bob, clientLink } = setup;
  // Nothing comes back from the gateway: the pay process hangs in its first send.
  clientLink.dropReplies();
  const key = `killed-${crypto.randomUUID()}`;
  const paying = spawnCli(alice, ["pay", "--to", "bob", "--amount", "7.25", "--key", key]);
  const outbox = new ClientStore(join(alice.home, "outbox.db"));
  try {
    const held = await until("the entry to be stored and claimed", () => outbox.get(key)?.claimedBy);
    expect(held.startsWith(`${paying.pid}-`)).toBe(true);
  } finally {
    outbox.close();
  }
  await until("the client to open a connection", () => clientLink.connectionsAccepted > 0);
  paying.kill(9);
  expect(await paying.exited).not.toBe(0);

  const listed = await queueEntries(alice);
  expect(listed.map((e) => [e.idempotency_key, e.state, e.amount_minor])).toEqual([[key, "queued", "725"]]);

  clientLink.heal();
  // The dead process's claim would last a minute; sync must not wait for it.
  const synced = await cli(alice, "sync");
  expect(synced.exitCode).toBe(0);
  expect(synced.stdout).toContain(`queued payment ${key}: INR 7.25 to bob succeeded`);
  expect(payCallsFor(memory.lines, key).filter((line) => line.code === "OK").length).toBe(1);
  expect(await queueEntries(alice)).toEqual([]);
  expect(await cliBalanceMinor(alice)).toBe(500_000n - 725n);
  expect(await cliBalanceMinor(bob)).toBe(120_000n + 725n);
  expect(system.totalMinor()).toBe(totalMinor);
});
