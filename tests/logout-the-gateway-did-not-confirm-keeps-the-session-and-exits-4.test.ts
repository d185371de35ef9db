// Proves that `logout` says "logged out" (exit 0) only when the session ended: with the gateway unreachable it exits 4 in one line saying the session stays valid there until when and to run logout again, and keeps the session file, whose token does still work; run again with the gateway back, it ends the session for good; --forget drops the token here only, saying so; a session expired by this machine's clock is simply forgotten; over another client certificate than the session's it exits 3 saying so and keeps the session, which stays valid over its own.
import { expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cli, deadAddress, login } from "./support/cli";
import { systemWithCliUsers } from "./support/sample-users";

setDefaultTimeout(60_000);
const setup = systemWithCliUsers(["alice", "bob"]);

test("gateway unreachable: exit 4, one line, session kept and still valid; logout again with the gateway back ends it", async () => {
  const { alice } = setup;
  const sessionPath = join(alice.home, "session.json");
  const session = readFileSync(sessionPath, "utf8");
  const dead = await deadAddress();

  const unconfirmed = await cli({ ...alice, gateway: dead }, "logout");
  expect({ exitCode: unconfirmed.exitCode, stdout: unconfirmed.stdout }).toEqual({ exitCode: 4, stdout: "" });
  const lines = unconfirmed.stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain("the session was not ended");
  expect(lines[0]).toContain(`cannot reach the gateway at ${dead}`);
  expect(lines[0]).toMatch(/stays valid at the gateway until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d /);
  expect(lines[0]).toContain('run "ministripe logout" again');
  expect(readFileSync(sessionPath, "utf8")).toBe(session);
  // What the line says is so: the token still opens the account.
  expect((await cli(alice, "balance")).exitCode).toBe(0);

  const confirmed = await cli(alice, "logout");
  expect({ exitCode: confirmed.exitCode, stdout: confirmed.stdout.trim(), stderr: confirmed.stderr }).toEqual({ exitCode: 0, stdout: "logged out", stderr: "" });
  expect(existsSync(sessionPath)).toBe(false);
  writeFileSync(sessionPath, session, { mode: 0o600 });
  expect((await cli(alice, "balance")).exitCode).toBe(3);
  // Ended already at the gateway: logout finishes the job here too.
  expect((await cli(alice, "logout")).exitCode).toBe(0);
  expect(existsSync(sessionPath)).toBe(false);
});

test("--forget with the gateway unreachable drops the token here only, and says it stays valid there", async () => {
  const { bob } = setup;
  const sessionPath = join(bob.home, "session.json");
  const session = readFileSync(sessionPath, "utf8");
  const forgot = await cli({ ...bob, gateway: await deadAddress() }, "logout", "--forget");
  expect(forgot.exitCode).toBe(0);
  expect(forgot.stdout.trimEnd().split("\n")).toHaveLength(1);
  expect(forgot.stdout).toMatch(/^forgot the session here, but the gateway did not end it \(cannot reach the gateway at .*\): it stays valid there until \d{4}-/);
  expect(existsSync(sessionPath)).toBe(false);
  writeFileSync(sessionPath, session, { mode: 0o600 });
  expect((await cli(bob, "balance")).exitCode).toBe(0);
  expect((await cli(bob, "logout", "--forget")).stdout.trim()).toBe("logged out");
});

test("a session expired by this machine's clock is forgotten even when the gateway cannot be told", async () => {
  const { alice } = setup;
  await login(alice);
  const sessionPath = join(alice.home, "session.json");
  writeFileSync(sessionPath, JSON.stringify({ ...JSON.parse(readFileSync(sessionPath, "utf8")), expiresAtMs: Date.now() - 1_000 }), { mode: 0o600 });
  const result = await cli({ ...alice, gateway: await deadAddress() }, "logout");
  expect({ exitCode: result.exitCode, stdout: result.stdout.trim(), stderr: result.stderr }).toEqual({ exitCode: 0, stdout: "logged out", stderr: "" });
  expect(existsSync(sessionPath)).toBe(false);
});

test("over another client certificate (the home's was replaced): not ended, exit 3 saying why, the session kept and still valid over its own", async () => {
  const { alice, bob } = setup;
  await login(alice);
  const sessionPath = join(alice.home, "session.json");
  const session = readFileSync(sessionPath, "utf8");

  const refused = await cli({ ...alice, certs: bob.certs }, "logout");
  expect({ exitCode: refused.exitCode, stdout: refused.stdout }).toEqual({ exitCode: 3, stdout: "" });
  const lines = refused.stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain("the session was not ended: it was opened over another client certificate");
  expect(lines[0]).not.toContain("run \"ministripe logout\" again");
  expect(lines[0]).toMatch(/stays valid at the gateway until \d{4}-/);
  expect(readFileSync(sessionPath, "utf8")).toBe(session);
  // What the line says is so: over its own certificate the token still opens the account, and ends there.
  expect((await cli(alice, "balance")).exitCode).toBe(0);
  expect((await cli(alice, "logout")).exitCode).toBe(0);
  writeFileSync(sessionPath, session, { mode: 0o600 });
  expect((await cli(alice, "balance")).exitCode).toBe(3);
});
