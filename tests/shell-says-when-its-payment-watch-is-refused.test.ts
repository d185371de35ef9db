// Proves a shell whose payment watch the gateway refuses (the user has as many open as it keeps) says so once, instead of silently showing no payments received, and shows them once a place frees.
import { expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { GatewayClient } from "../src/client/gateway-client";
import { limits } from "../src/lib/limits";
import { silentLogger } from "../src/lib/log";
import { loadCertFolder } from "../src/rpc/credentials";
import { ShellProcess } from "./support/cli";
import { systemWithCliUsers } from "./support/sample-users";
import { eventually, pay, signUp } from "./support/system";

setDefaultTimeout(90_000);
const setup = systemWithCliUsers(["alice"]);

test("every place taken: the shell says why it shows no payments received, and shows them once one frees", async () => {
  const { system, alice } = setup;
  const bob = await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  // Every place of alice's taken by another client of hers.
  const other = new GatewayClient(system.gatewayAddress, loadCertFolder(join(system.certsDir, "client-alice")), silentLogger);
  other.token = (await other.call("Login", { username: "alice", password: alice.password }, { retry: false })).token;
  const streams = Array.from({ length: limits.watchStreamsPerUserMax }, () => other.stream("WatchPayments", {}, 60_000, { onMessage: () => {}, onEnd: () => {} }));
  const shell = new ShellProcess(alice);
  try {
    await shell.waitFor(/^\[notice\] payments received are not shown in this shell for now \(alice has \d+ payment watches open already/);
    for (const stream of streams) stream.cancel();
    // The shell's watch is tried again by itself, at its backoff; a payment to alice is then shown.
    const { payment } = await pay(bob, "alice", 100);
    const shown = await eventually(() => shell.output.some((line) => line.includes(`received INR 1.00 from bob (payment ${payment.id})`)), 20_000);
    if (!shown) console.log(shell.output.join("\n"));
    expect(shown).toBe(true);
  } finally {
    shell.kill();
    other.close();
  }
});
