// Proves logging in again on a home ends, at the gateway, the session that home held (the home keeps one token, so the old one would stay valid, unused, until it expired): a copy of the old token opens nothing afterwards, while the new one works.
import { expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cli, login } from "./support/cli";
import { systemWithCliUsers } from "./support/sample-users";

setDefaultTimeout(60_000);
const setup = systemWithCliUsers(["alice"]);

test("the second login on a home ends the first one's session; the new one opens the account", async () => {
  const { alice } = setup;
  const sessionPath = join(alice.home, "session.json");
  const first = readFileSync(sessionPath, "utf8");
  await login(alice);
  const second = readFileSync(sessionPath, "utf8");
  expect(JSON.parse(second).token).not.toBe(JSON.parse(first).token);
  expect((await cli(alice, "balance")).exitCode).toBe(0);

  writeFileSync(sessionPath, first, { mode: 0o600 });
  const old = await cli(alice, "balance");
  expect(old.exitCode).toBe(3);
  expect(old.stderr).toContain("session was ended");
  writeFileSync(sessionPath, second, { mode: 0o600 });
  expect((await cli(alice, "balance")).exitCode).toBe(0);
});
