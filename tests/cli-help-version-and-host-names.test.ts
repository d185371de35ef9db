// Proves every command answers --help (exit 0), --version prints the
// version, an unknown command or flag is a usage error (exit 2), an
// unexpected failure on the user's machine says what failed in one line, and a
// client reaches the gateway by host name as well as by IP address.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import pkg from "../package.json";
import { cli, cliUser, type CliUser } from "./support/cli";
import { startSystem, type TestSystem } from "./support/system";

const main = join(import.meta.dir, "..", "src", "main.ts");
const commands = ["certs", "bank", "gateway", "dev", "demo", "audit", "bench", "register", "login", "logout", "passwd", "mfa", "balance", "pay", "payments", "payment", "queue", "sync", "shell"];

async function run(...args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const child = Bun.spawn(["bun", main, ...args], { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { exitCode, stdout, stderr };
}

test("every command answers --help", async () => {
  const results = await Promise.all(commands.map((command) => run(command, "--help")));
  results.forEach((result, i) => {
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toStartWith(`usage: ministripe ${commands[i]}`);
  });
  expect((await run("--help")).stdout).toContain("pay ");
}, 60_000);

test("--version, an unknown command, an unknown flag", async () => {
  expect((await run("--version")).stdout.trim()).toBe(`ministripe ${pkg.version}`);
  expect((await run("frobnicate")).exitCode).toBe(2);
  const badFlag = await run("pay", "--amonut", "5");
  expect(badFlag.exitCode).toBe(2);
  expect(badFlag.stderr.trim().split("\n")).toHaveLength(1);
});

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(async () => {
  await system.stop();
});

test("the gateway is reached by host name (localhost) as well as by IP address", async () => {
  const alice: CliUser = await cliUser(system, { username: "alice", bank: "hdfc", account: "1001" });
  const byName = await cli({ ...alice, gateway: system.gatewayAddress.replace("127.0.0.1", "localhost") }, "balance", "--json");
  expect(byName.exitCode).toBe(0);
  expect(JSON.parse(byName.stdout)).toMatchObject({ bank: "hdfc", balance_minor: "500000" });
});

test("a database that cannot be opened (the outbox is a folder) is one line naming it and its cause, exit 2: a setup to correct", async () => {
  const home = mkdtempSync(join(system.dir, "home-")); // removed with the system
  mkdirSync(join(home, "outbox.db"), { recursive: true });
  const result = await run("queue", "--home", home, "--certs", join(system.certsDir, "client-alice"));
  expect(result.exitCode).toBe(2);
  expect(result.stderr.trim()).toBe(`ministripe queue: cannot open the database ${join(home, "outbox.db")} (unable to open database file): check that folder and its rights`);
});
