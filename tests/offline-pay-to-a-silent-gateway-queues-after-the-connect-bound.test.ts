// Proves that `pay` to a gateway whose packets are lost (a host gone, not a port refused) queues after each try's connect bound, not after each try's whole 10 s deadline, and that the queued payment is sent once when the gateway is back.
import { expect, setDefaultTimeout, test } from "bun:test";
import { limits } from "../src/lib/limits";
import { cli, cliArgs, cliBalanceMinor, memoryLogger, payCallsFor, queueEntries } from "./support/cli";
import { systemWithCliUsers, withClientLink } from "./support/sample-users";

setDefaultTimeout(90_000);
const memory = memoryLogger();
const setup = withClientLink(systemWithCliUsers(["alice", "bob"], { log: memory.log }), "alice");

test("pay through a link that loses every byte exits 75 saying it could not connect, and sync later pays once", async () => {
  const { system, alice, clientLink, totalMinor } = setup;
  clientLink.lose();
  // Spawned by hand: the old behaviour (4 tries x 10 s) outlasts the usual CLI bound, and must show here as its message, not as a kill.
  const child = Bun.spawn(cliArgs(alice, ["pay", "--to", "bob", "--amount", "12.34"]), { env: { ...process.env, MINISTRIPE_HOME: alice.home }, stdout: "pipe", stderr: "pipe" });
  const killer = setTimeout(() => child.kill(9), 80_000);
  const [stderr, exitCode] = await Promise.all([new Response(child.stderr).text(), child.exited]);
  clearTimeout(killer);

  expect(exitCode).toBe(75);
  expect(stderr).toContain(`could not connect within ${limits.clientConnectDeadlineMs / 1000}s at each of ${limits.clientAttemptsMax} tries`);
  expect(stderr).not.toContain("no answer within");
  expect(clientLink.bytesLost).toBeGreaterThan(0);
  const [queued] = await queueEntries(alice);
  expect(queued).toMatchObject({ to: "bob", amount_minor: "1234", state: "queued" });
  expect(system.totalMinor()).toBe(totalMinor);

  clientLink.heal();
  const synced = await cli(alice, "sync");
  expect(synced.exitCode).toBe(0);
  expect(synced.stdout).toMatch(/INR 12\.34 to bob succeeded/);
  expect(payCallsFor(memory.lines, queued!.idempotency_key).length).toBe(1);
  expect(await cliBalanceMinor(alice)).toBe(500_000n - 1_234n);
  expect(system.totalMinor()).toBe(totalMinor);
});
