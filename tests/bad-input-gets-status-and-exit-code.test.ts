// Proves each bad input of the walking skeleton gets SPEC's status code and
// exit code with a one-line message, and changes nothing: zero, negative and
// over-precise amounts, a note with a text-direction override or a line
// separator, an unknown payee, an unknown bank or account at
// registration, a taken username, a wrong password, a missing token.
import { expect, setDefaultTimeout, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { cli, type CliUser } from "./support/cli";
import { accountPinOf, failsWith, loadedTotalMinor, sampleAccounts } from "./support/system";
import { systemWithCliUsers } from "./support/sample-users";

// Here, not only in the preload: bun applies a preload's default timeout to the first test file of a run only.
setDefaultTimeout(30_000);

const setup = systemWithCliUsers(["alice", "bob"]);
const total = loadedTotalMinor(sampleAccounts, ["hdfc", "icici", "sbi"]);

function expectOneLine(stderr: string, pattern: RegExp): void {
  expect(stderr.trim().split("\n")).toHaveLength(1);
  expect(stderr).toMatch(pattern);
}

test("amounts that are zero, negative, over-precise or not numbers: exit 2, nothing moves", async () => {
  const { system, alice } = setup;
  for (const amount of ["0", "0.00", "-5", "100.555", "ten", "1e3", "99999999999.00"]) {
    const result = await cli(alice, "pay", "--to", "bob", `--amount=${amount}`);
    expect(result.exitCode).toBe(2);
    expectOneLine(result.stderr, /amount/);
  }
  const counts = await system.gateway.store.counts();
  expect(counts.succeeded + counts.failed).toBe(0);
  expect(system.totalMinor()).toBe(total);
});

test("a note that would read otherwise on the payee's side (a direction override, a line separator): exit 2, nothing moves", async () => {
  const { system, alice } = setup;
  for (const note of ["rent \u202e00.001 RNI\u202c", "first\u2028second"]) {
    const result = await cli(alice, "pay", "--to", "bob", "--amount", "1.00", "--note", note);
    expect(result.exitCode).toBe(2);
    expectOneLine(result.stderr, /--note|note: no invisible or text-direction characters/);
  }
  const counts = await system.gateway.store.counts();
  expect(counts.succeeded + counts.failed).toBe(0);
  expect(system.totalMinor()).toBe(total);
});

test("an unknown payee: NOT_FOUND, exit 2, nothing stored", async () => {
  const { system, alice } = setup;
  const result = await cli(alice, "pay", "--to", "nobody", "--amount", "1.00");
  expect(result.exitCode).toBe(2);
  expectOneLine(result.stderr, /no user "nobody"/);
  const client = system.client();
  client.token = (await client.call("Login", { username: "alice", password: "alice-password" }, { retry: false })).token;
  await failsWith(client.call("Pay", { idempotency_key: "k1", to_username: "nobody", amount_minor: "100" }, { retry: false }), "NOT_FOUND");
  await failsWith(client.call("Pay", { idempotency_key: "k1", to_username: "bob", amount_minor: "0" }, { retry: false }), "INVALID_ARGUMENT");
  await failsWith(client.call("Pay", { idempotency_key: "k1", to_username: "bob", amount_minor: "-100" }, { retry: false }), "INVALID_ARGUMENT");
  expect(system.totalMinor()).toBe(total);
});

test("registration with an unknown bank, an unknown account, a taken username or a taken account: exit 2", async () => {
  const { system, alice } = setup;
  const carol: CliUser = { ...alice, username: "carol", password: "carol-password", home: join(system.dir, "home-carol-bad") };
  const cases: [string[], RegExp, string][] = [
    [["--username", "carol", "--bank", "nosuchbank", "--account", "3001"], /unknown bank/, "NOT_FOUND"],
    [["--username", "carol", "--bank", "sbi", "--account", "9999"], /no account 9999/, "NOT_FOUND"],
    [["--username", "alice", "--bank", "sbi", "--account", "3001"], /taken/, "ALREADY_EXISTS"],
    [["--username", "carol", "--bank", "hdfc", "--account", "1001"], /already registered/, "ALREADY_EXISTS"],
  ];
  const client = system.client();
  for (const [args, message, code] of cases) {
    const result = await cli(carol, "register", ...args);
    expect(result.exitCode).toBe(2);
    expectOneLine(result.stderr, message);
    const [, username, , bank, , account] = args;
    await failsWith(client.call("Register", { username, password: "carol-password", bank, account, account_pin: accountPinOf(system, bank!, account!) }, { retry: false }), code);
  }
  expect(await system.gateway.store.getUser("carol")).toBeUndefined();
});

test("a wrong password: UNAUTHENTICATED, exit 3", async () => {
  const { alice } = setup;
  const result = await cli({ ...alice, password: "not-her-password" }, "login", "--username", "alice");
  expect(result.exitCode).toBe(3);
  expectOneLine(result.stderr, /wrong username or password/);
});

test("a missing or bad token: UNAUTHENTICATED, exit 3", async () => {
  const { system, alice } = setup;
  const nobody: CliUser = { ...alice, home: join(system.dir, "home-nobody") };
  const missing = await cli(nobody, "balance");
  expect(missing.exitCode).toBe(3);
  expectOneLine(missing.stderr, /not logged in/);
  writeFileSync(join(nobody.home, "session.json"), JSON.stringify({ username: "alice", token: "forged-token", expiresAtMs: Date.now() + 60_000, gateway: alice.gateway }));
  const forged = await cli(nobody, "balance");
  expect(forged.exitCode).toBe(3);
  expectOneLine(forged.stderr, /session/);
  await failsWith(system.client().call("GetBalance", {}, { retry: false }), "UNAUTHENTICATED");
  expect(system.totalMinor()).toBe(total);
});
