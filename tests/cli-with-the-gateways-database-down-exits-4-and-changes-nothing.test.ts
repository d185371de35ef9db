// Proves, through the CLI against a gateway whose PostgreSQL server is stopped, that login, passwd, logout, balance, payments and payment each exit 4 with one line saying the gateway's database cannot be reached (not that the gateway cannot be) (never "internal error"; the gateway answers no call INTERNAL), and change nothing: the saved session stays, still valid once the database is back, the old password still logs in, and logout then ends the session.
import { expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cli, cliWithEnv, type CliResult, type CliUser } from "./support/cli";
import { systemOnItsOwnPostgres } from "./support/processes";

setDefaultTimeout(180_000);
const cluster = systemOnItsOwnPostgres();

function expectUnreachableDatabase(what: string, result: CliResult): void {
  const lines = result.stderr.trimEnd().split("\n");
  expect({ what, exitCode: result.exitCode, lines: lines.length }).toEqual({ what, exitCode: 4, lines: 1 });
  expect(lines[0]).toContain("the gateway's database cannot be reached; try again shortly");
  // The gateway was reached and said so: not "cannot reach the gateway".
  expect(lines[0]).not.toContain("cannot reach the gateway");
  expect(lines[0]).not.toMatch(/internal/i);
}

test("database stopped: login, passwd, logout and reads exit 4 in one line and change nothing; back up, the same session works and logout ends it", async () => {
  const { pg, system } = await cluster.start();
  const alice: CliUser = {
    username: "alice",
    password: "alice-password",
    home: mkdtempSync(join(system.dir, "home-alice-")),
    certs: join(system.cluster.certsDir, "client-alice"),
    gateway: system.cluster.gatewayAddress,
    accountsPath: join(system.dir, "accounts.yaml"),
  };
  expect((await cli(alice, "register", "--username", "alice", "--bank", "hdfc", "--account", "1001")).exitCode).toBe(0);
  expect((await cli(alice, "login", "--username", "alice")).exitCode).toBe(0);
  const sessionPath = join(alice.home, "session.json");
  const session = readFileSync(sessionPath, "utf8");

  await pg.stop();
  expectUnreachableDatabase("login", await cli(alice, "login", "--username", "alice"));
  expectUnreachableDatabase("passwd", await cliWithEnv(alice, { MINISTRIPE_NEW_PASSWORD: "a-new-password" }, "passwd"));
  expectUnreachableDatabase("balance", await cli(alice, "balance"));
  expectUnreachableDatabase("payments", await cli(alice, "payments"));
  expectUnreachableDatabase("payment", await cli(alice, "payment", "01JAAAAAAAAAAAAAAAAAAAAAAA"));
  const logout = await cli(alice, "logout");
  expectUnreachableDatabase("logout", logout);
  expect(logout.stderr).toContain("the session was not ended");
  expect(logout.stdout).not.toContain("logged out");
  // Nothing changed here: the session kept, so logout can be run again.
  expect(readFileSync(sessionPath, "utf8")).toBe(session);

  await pg.start();
  // Nothing changed at the gateway: the session is still valid, the old password still the password.
  expect((await cli(alice, "balance")).exitCode).toBe(0);
  const again = await cli(alice, "logout");
  expect({ exitCode: again.exitCode, stdout: again.stdout.trim(), stderr: again.stderr }).toEqual({ exitCode: 0, stdout: "logged out", stderr: "" });
  // Ended at the gateway: the token put back opens nothing.
  writeFileSync(sessionPath, session, { mode: 0o600 });
  expect((await cli(alice, "balance")).exitCode).toBe(3);
  const login = await cli(alice, "login", "--username", "alice");
  expect({ exitCode: login.exitCode, stderr: login.stderr }).toEqual({ exitCode: 0, stderr: "" });
  expect((await cli(alice, "balance")).exitCode).toBe(0);

  // The gateway answered no call INTERNAL while the database was down.
  const gatewayLogs = readdirSync(system.cluster.logsDir).filter((name) => name.startsWith("gateway"));
  expect(gatewayLogs.length).toBeGreaterThan(0);
  for (const name of gatewayLogs) expect(readFileSync(join(system.cluster.logsDir, name), "utf8")).not.toContain('"INTERNAL"');
});
