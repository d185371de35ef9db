// Proves that the queue survives the client being killed (SIGKILL) in the middle of sending: the entry is on disk before the first send, and the next `sync` takes over the dead process's claim at once and sends it, charging the payer once; an entry whose send may have paid is never dropped as unsent, even when the next send meets certificates that do not fit.
import { expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { ClientStore } from "../src/store/client-store";
import { GatewayClient } from "../src/client/gateway-client";
import { Outbox } from "../src/client/outbox";
import { silentLogger } from "../src/lib/log";
import { loadCertFolder } from "../src/rpc/credentials";
import { cli, cliBalanceMinor, memoryLogger, payCallsFor, queueEntries, spawnCli, until } from "./support/cli";
import { systemWithCliUsers, withClientLink } from "./support/sample-users";
import { afterVoting } from "./support/system";

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

test("a pay process killed after its payment reached the gateway: certificates that do not fit at the next send keep the entry, which later tells the first outcome", async () => {
  const { system, alice, bob } = setup;
  const aliceBeforeMinor = await cliBalanceMinor(alice);
  const bobBeforeMinor = await cliBalanceMinor(bob);
  const key = `sent-then-killed-${crypto.randomUUID()}`;
  let paying: ReturnType<typeof spawnCli> | undefined;
  // The process dies once bob's bank has voted on its payment: the gateway has it, the process never learns its outcome.
  afterVoting(system, "icici", () => paying?.kill(9));
  paying = spawnCli(alice, ["pay", "--to", "bob", "--amount", "3.10", "--key", key]);
  expect(await paying.exited).not.toBe(0);
  paying = undefined;
  expect((await queueEntries(alice)).map((e) => [e.idempotency_key, e.state, e.attempts])).toEqual([[key, "queued", 0]]);

  // The same payment sent again, by a process whose first call meets a server whose certificate does not fit (here a bank): the first send's outcome is still unknown, so the entry stays with its key.
  const outbox = new ClientStore(join(alice.home, "outbox.db"));
  try {
    const mismatched = new Outbox(outbox, new GatewayClient(system.bankAddresses.get("hdfc")!, loadCertFolder(alice.certs), silentLogger));
    const again = await mismatched.pay({ username: "alice", toUsername: "bob", amountMinor: 310n, note: "", key });
    expect(again).toMatchObject({ kind: "queued", key, gatewayAway: false });
    expect(outbox.get(key)?.state).toBe("queued");
  } finally {
    outbox.close();
  }
  const told = await cli({ ...alice, gateway: system.bankAddresses.get("hdfc")! }, "pay", "--to", "bob", "--amount", "3.10", "--key", key);
  expect(told.exitCode).toBe(75);
  expect(told.stderr).toEndWith(`securely: the server there is bank-hdfc, by its certificate; payment queued with key ${key} and will be sent again with the same key by the next command, sync or the shell\n`);

  const synced = await cli(alice, "sync");
  expect(synced.exitCode).toBe(0);
  expect(synced.stdout).toContain(`queued payment ${key}: INR 3.10 to bob succeeded`);
  expect(await cliBalanceMinor(alice)).toBe(aliceBeforeMinor - 310n);
  expect(await cliBalanceMinor(bob)).toBe(bobBeforeMinor + 310n);
  expect(system.totalMinor()).toBe(totalMinor);
});
