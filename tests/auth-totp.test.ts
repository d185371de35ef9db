// Proves the TOTP second factor: it comes on only once a code from its new secret confirms it (a secret mistyped into an app locks no one out); then login needs a current one-time code (none or a wrong one is UNAUTHENTICATED) and a code computed from the shown secret by a standard TOTP implementation works; once it is on, its secret is replaced, and it is turned off, only with a current code as well as the password.
import { afterAll, beforeAll, expect, test } from "bun:test";
import * as OTPAuth from "otpauth";
import { failsWith, signUp, startSystem, type TestSystem } from "./support/system";

let system: TestSystem;

beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc", "icici"] });
});
afterAll(async () => {
  await system.stop();
});

/** What an authenticator app computes from the shown secret (RFC 6238's defaults). */
function authenticatorOf(secret: string): OTPAuth.TOTP {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30, algorithm: "SHA1" });
}

/** A 6-digit code that is not `valid` (half the code space away). */
function otherCodeThan(valid: string): string {
  return String((Number(valid) + 500_000) % 1_000_000).padStart(6, "0");
}

/**
 * A code of the time step before now: still accepted (one step of drift),
 * and it leaves the current step's code unused for the test's next check
 * (a code is good once, and confirming uses one). Taken at least 5 s before
 * the step ends, so the step cannot turn before the gateway checks it.
 */
async function previousCode(totp: OTPAuth.TOTP): Promise<string> {
  const intoStepMs = Date.now() % 30_000;
  if (intoStepMs > 25_000) await Bun.sleep(30_000 - intoStepMs + 50);
  return totp.generate({ timestamp: Date.now() - 30_000 });
}

function login(username: string, password: string, otp = "") {
  return system.client("client-alice").call("Login", { username, password, otp }, { retry: false });
}

test("MFA comes on only when a code from its new secret confirms it; then login needs a valid one-time code", async () => {
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  await failsWith(alice.call("EnableMfa", { password: "not-alice-password" }, { retry: false }), "UNAUTHENTICATED");
  expect((await login("alice", "alice-password")).token).toBeTruthy(); // not on yet

  const mfa = await alice.call("EnableMfa", { password: "alice-password" }, { retry: false });
  const fromUri = OTPAuth.URI.parse(mfa.otpauth_uri) as OTPAuth.TOTP;
  expect(fromUri.secret.base32).toBe(mfa.secret);
  const totp = authenticatorOf(mfa.secret);

  // Not on until confirmed: a wrong code, or the wrong password, confirms nothing.
  expect((await login("alice", "alice-password")).token).toBeTruthy();
  await failsWith(alice.call("ConfirmMfa", { password: "alice-password", otp: otherCodeThan(totp.generate()) }, { retry: false }), "UNAUTHENTICATED");
  await failsWith(alice.call("ConfirmMfa", { password: "not-alice-password", otp: totp.generate() }, { retry: false }), "UNAUTHENTICATED");
  expect((await login("alice", "alice-password")).token).toBeTruthy();
  await alice.call("ConfirmMfa", { password: "alice-password", otp: await previousCode(totp) }, { retry: false });
  // Confirmed once: nothing waits any more.
  expect((await failsWith(alice.call("ConfirmMfa", { password: "alice-password", otp: totp.generate() }, { retry: false }), "FAILED_PRECONDITION")).message).toContain("mfa enable");

  expect((await failsWith(login("alice", "alice-password"), "UNAUTHENTICATED")).message).toContain("one-time code");
  const valid = totp.generate();
  const wrong = otherCodeThan(valid);
  await failsWith(login("alice", "alice-password", wrong), "UNAUTHENTICATED");
  await failsWith(login("alice", "alice-password", "not-a-code"), "UNAUTHENTICATED");
  // The right code with a wrong password is still refused.
  await failsWith(login("alice", "wrong-password", valid), "UNAUTHENTICATED");
  const code = totp.generate();
  const session = await login("alice", "alice-password", code);
  alice.token = session.token;
  // A code is good once: replaying the one just used (still inside its window) is refused.
  expect((await failsWith(login("alice", "alice-password", code), "UNAUTHENTICATED")).message).toContain("used already");
  const balance = await alice.call("GetBalance", {}, { retry: false });
  expect(balance.balance_minor).toBe("500000");
});

test("once MFA is on, a password and a session alone cannot replace its secret: a current code is needed too", async () => {
  const bob = await signUp(system, { username: "bob", bank: "hdfc", account: "1002" });
  const first = await bob.call("EnableMfa", { password: "bob-password", otp: "" }, { retry: false });
  const totp = authenticatorOf(first.secret);
  await bob.call("ConfirmMfa", { password: "bob-password", otp: await previousCode(totp) }, { retry: false });
  const valid = totp.generate();
  const wrong = otherCodeThan(valid);
  expect((await failsWith(bob.call("EnableMfa", { password: "bob-password", otp: "" }, { retry: false }), "UNAUTHENTICATED")).message).toContain("one-time code is required");
  await failsWith(bob.call("EnableMfa", { password: "bob-password", otp: wrong }, { retry: false }), "UNAUTHENTICATED");
  // The first secret still holds: its current code logs in.
  expect((await login("bob", "bob-password", valid)).token).toBeTruthy();

  // The code just used to log in is spent; the next window's code of the first secret is current too.
  const replaced = await bob.call("EnableMfa", { password: "bob-password", otp: totp.generate({ timestamp: Date.now() + 30_000 }) }, { retry: false });
  expect(replaced.secret).not.toBe(first.secret);
  // The new secret waits for its confirmation: meanwhile its codes open nothing (the old one stays in force).
  const next = authenticatorOf(replaced.secret);
  expect((await failsWith(login("bob", "bob-password", next.generate()), "UNAUTHENTICATED")).message).toBe("wrong one-time code");
  await bob.call("ConfirmMfa", { password: "bob-password", otp: await previousCode(next) }, { retry: false });
  await failsWith(login("bob", "bob-password", totp.generate({ timestamp: Date.now() + 30_000 })), "UNAUTHENTICATED");
  expect((await login("bob", "bob-password", next.generate())).token).toBeTruthy();
});

test("turning MFA off needs the password and a current code (a session alone cannot); then login needs none", async () => {
  const carol = await signUp(system, { username: "carol", bank: "icici", account: "2001" });
  const mfa = await carol.call("EnableMfa", { password: "carol-password", otp: "" }, { retry: false });
  const totp = authenticatorOf(mfa.secret);
  await carol.call("ConfirmMfa", { password: "carol-password", otp: await previousCode(totp) }, { retry: false });
  const valid = totp.generate();
  const wrong = otherCodeThan(valid);
  expect((await failsWith(carol.call("DisableMfa", { password: "carol-password", otp: "" }, { retry: false }), "UNAUTHENTICATED")).message).toContain("one-time code is required");
  await failsWith(carol.call("DisableMfa", { password: "carol-password", otp: wrong }, { retry: false }), "UNAUTHENTICATED");
  await failsWith(carol.call("DisableMfa", { password: "not-carol-password", otp: valid }, { retry: false }), "UNAUTHENTICATED");
  // Still on: login needs the code.
  await failsWith(login("carol", "carol-password"), "UNAUTHENTICATED");

  await carol.call("DisableMfa", { password: "carol-password", otp: valid }, { retry: false });
  expect((await login("carol", "carol-password")).token).toBeTruthy();
  expect((await failsWith(carol.call("DisableMfa", { password: "carol-password", otp: totp.generate({ timestamp: Date.now() + 30_000 }) }, { retry: false }), "FAILED_PRECONDITION")).message).toBe("the second factor is not on");
});
