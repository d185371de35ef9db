// Proves the TOTP second factor: once a user enables it, login needs a current one-time code (none or a wrong one is UNAUTHENTICATED) and a code computed from the shown secret by a standard TOTP implementation works.
import { afterAll, beforeAll, expect, test } from "bun:test";
import * as OTPAuth from "otpauth";
import { failsWith, signUp, startSystem, type TestSystem } from "./support/system";

let system: TestSystem;

beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc"] });
});
afterAll(async () => {
  await system.stop();
});

function login(username: string, password: string, otp = "") {
  return system.client("client-alice").call("Login", { username, password, otp }, { retry: false });
}

test("once MFA is enabled, login needs a valid one-time code", async () => {
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  await failsWith(alice.call("EnableMfa", { password: "not-alice-password" }, { retry: false }), "UNAUTHENTICATED");
  expect((await login("alice", "alice-password")).token).toBeTruthy(); // not on yet

  const mfa = await alice.call("EnableMfa", { password: "alice-password" }, { retry: false });
  const fromUri = OTPAuth.URI.parse(mfa.otpauth_uri) as OTPAuth.TOTP;
  expect(fromUri.secret.base32).toBe(mfa.secret);

  expect((await failsWith(login("alice", "alice-password"), "UNAUTHENTICATED")).message).toContain("one-time code");
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(mfa.secret), digits: 6, period: 30, algorithm: "SHA1" });
  const valid = totp.generate();
  const wrong = String((Number(valid) + 500_000) % 1_000_000).padStart(6, "0");
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
