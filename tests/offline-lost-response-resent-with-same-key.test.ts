// Proves that a payment whose response is lost as the gateway goes down (the gateway decided, the client never heard) stays queued, is re-sent by `sync` with the same idempotency key, and the payer is charged exactly once.
import { expect, setDefaultTimeout, test } from "bun:test";
import { cli, cliBalanceMinor, memoryLogger, payCallsFor, queueEntries, spawnCli, until } from "./support/cli";
import { systemWithCliUsers, withClientLink } from "./support/sample-users";

setDefaultTimeout(30_000);
const memory = memoryLogger();
const setup = withClientLink(systemWithCliUsers(["alice", "bob"], {
  log: memory.log,
  prepareTimeoutMs: 5_000,
  // The payer's bank is reached through a proxy that can slow it down.
  proxied: ["hdfc"],
}), "alice");
const { totalMinor } = setup;

test("the response lost as the gateway goes down: the entry is re-sent with the same key and the payer is charged once", async () => {
  const { system, alice, bob, clientLink } = setup;
  const key = `lost-reply-${crypto.randomUUID()}`;
  system.proxies.get("hdfc")!.delayMs = 300;
  const paying = spawnCli(alice, ["pay", "--to", "bob", "--amount", "40.00", "--key", key]);

  // The request reached the gateway: from now on its answer never gets back.
  await until("the gateway to claim the key", () => system.gateway.store.paymentByKey("alice", key));
  clientLink.dropReplies();
  await until("the gateway to decide", async () => (await system.gateway.store.paymentByKey("alice", key))?.decision);
  expect((await system.gateway.store.paymentByKey("alice", key))!.decision).toBe("COMMIT");
  // Then the gateway goes away: connections cut, new ones refused, the process restarted.
  clientLink.cut();
  system.proxies.get("hdfc")!.delayMs = 0;
  expect(await paying.exited).toBe(75);
  await system.restartGateway();

  const queued = await queueEntries(alice);
  expect(queued.map((e) => [e.idempotency_key, e.state])).toEqual([[key, "queued"]]);
  // The money already moved once, while the client believes nothing happened.
  expect(system.totalMinor()).toBe(totalMinor);

  clientLink.heal();
  const synced = await cli(alice, "sync");
  expect(synced.exitCode).toBe(0);
  expect(synced.stdout).toContain(`queued payment ${key}: INR 40.00 to bob succeeded (recorded under this key already; it moved money once)`);

  // The resend carried the same key (the gateway answered it as a replay, above) and was served.
  // The original call may have no log line: the cut can cancel it before its status is sent.
  expect(payCallsFor(memory.lines, key).at(-1)?.code).toBe("OK");
  expect(await queueEntries(alice)).toEqual([]);
  expect(await cliBalanceMinor(alice)).toBe(500_000n - 4_000n);
  expect(await cliBalanceMinor(bob)).toBe(120_000n + 4_000n);
  expect(system.totalMinor()).toBe(totalMinor);
});
