// Proves `ministripe shell` driven through stdin/stdout: with the gateway stopped under it `balance` says it cannot reach the gateway in the CLI's words and a payment is queued, and when the gateway starts again the shell re-sends it by itself, prints the outcome, and the payee's shell (re-subscribed to WatchPayments) is notified; money moves once.
import { expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { cli, cliBalanceMinor, memoryLogger, payCallsFor, ShellProcess, type CliUser } from "./support/cli";
import { FaultProxy } from "./support/fault-proxy";
import { systemWithCliUsers } from "./support/sample-users";

setDefaultTimeout(30_000);
const memory = memoryLogger();
const setup = systemWithCliUsers(["alice", "bob"], { log: memory.log });
const { totalMinor } = setup;

test("the shell queues while the gateway is down, re-sends when it is back and prints each notification", async () => {
  const { system, alice, bob } = setup;
  const aliceShell = new ShellProcess(alice);
  const bobShell = new ShellProcess(bob);
  await aliceShell.waitFor(/^logged in as alice/);
  await bobShell.waitFor(/^logged in as bob/);
  aliceShell.send("balance");
  await aliceShell.waitFor(/^hdfc 1001: balance INR 5000\.00, available INR 5000\.00$/);

  await system.stopGateway();
  const down = await aliceShell.waitFor(/^\[notice\] gateway unreachable/);
  // The same plain words as the CLI, nothing of the library's.
  aliceShell.send("balance");
  await aliceShell.waitFor(/^ministripe balance: cannot reach the gateway at 127\.0\.0\.1:\d+ \(connection refused\)$/, down.index);
  aliceShell.send('pay --to bob --amount 12.34 --note "lunch money"');
  const queued = await aliceShell.waitFor(/; payment queued with key (\S+) and will be sent when the gateway is back$/, down.index);
  const key = /payment queued with key (\S+) /.exec(queued.line)![1]!;
  aliceShell.send("queue");
  await aliceShell.waitFor(new RegExp(`^${key}  12\\.34 to bob  queued`), queued.index);
  expect(system.totalMinor()).toBe(totalMinor);

  await system.startGateway();
  const back = await aliceShell.waitFor(/^\[notice\] gateway reachable again/, queued.index);
  await aliceShell.waitFor(new RegExp(`^\\[notice\\] queued payment ${key}: INR 12\\.34 to bob succeeded`), back.index);
  await bobShell.waitFor(/^\[notice\] received INR 12\.34 from alice \(payment /);
  expect(payCallsFor(memory.lines, key).length).toBe(1);

  // Bob's shell subscribed again after the restart: a new payment reaches it through the stream.
  const beforeLive = bobShell.output.length;
  aliceShell.send("pay --to bob --amount 1.00");
  await aliceShell.waitFor(/^paid INR 1\.00 to bob: payment /);
  await bobShell.waitFor(/^\[notice\] received INR 1\.00 from alice \(payment /, beforeLive);

  aliceShell.send("queue");
  aliceShell.send("exit");
  expect(await aliceShell.done).toBe(0);
  expect(aliceShell.output.at(-2)).toBe("the queue is empty");
  expect(aliceShell.output.at(-1)).toBe("bye");
  bobShell.endInput();
  expect(await bobShell.done).toBe(0);

  // Each notification exactly once.
  expect(bobShell.output.filter((line) => line.includes("received INR 12.34")).length).toBe(1);
  expect(aliceShell.output.filter((line) => line.includes(`queued payment ${key}`)).length).toBe(1);
  expect(await cliBalanceMinor(alice)).toBe(500_000n - 1_234n - 100n);
  expect(await cliBalanceMinor(bob)).toBe(120_000n + 1_234n + 100n);
  expect(system.totalMinor()).toBe(totalMinor);
});

test("a shell that could not reach the gateway at start still announces a payment received meanwhile", async () => {
  const { system, alice, bob } = setup;
  const link = await FaultProxy.start(system.gatewayAddress);
  link.cut();
  const bobShell = new ShellProcess({ ...bob, gateway: link.address });
  await bobShell.waitFor(/^\[notice\] gateway unreachable/);
  // Decided while bob's shell cannot list anything: its first catch-up must treat it as news.
  expect((await cli(alice, "pay", "--to", "bob", "--amount", "2.50")).exitCode).toBe(0);
  link.heal();
  await bobShell.waitFor(/^\[notice\] received INR 2\.50 from alice \(payment /);
  bobShell.endInput();
  expect(await bobShell.done).toBe(0);
  await link.stop();
});

test("the shell without a saved session says to log in first", async () => {
  const { system } = setup;
  const home = mkdtempSync(join(system.dir, "home-nobody-"));
  const nobody: CliUser = { username: "carol", password: "x", home, certs: join(system.certsDir, "client-carol"), gateway: system.gatewayAddress };
  const result = await cli(nobody, "shell");
  expect(result.exitCode).toBe(3);
  expect(result.stderr).toContain('run "ministripe login --username U" first');
});
