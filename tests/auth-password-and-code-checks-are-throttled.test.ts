// Proves every password and one-time-code check counts against the login throttle: wrong current passwords sent to ChangePassword or EnableMfa with a valid session, and wrong one-time codes after the right password, end in RESOURCE_EXHAUSTED (even for the right password); and only a code of the current time is accepted, not one from 5 minutes before or after.
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import * as OTPAuth from "otpauth";
import type { GatewayClient } from "../src/client/gateway-client";
import { userPolicy } from "../src/gateway/login-throttle";
import { failsWith, signUp, startSystem, type TestSystem } from "./support/system";

let system: TestSystem;

beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc", "icici"] });
});
afterAll(async () => {
  await system.stop();
});
// The throttle is in memory and also counts per address (every test calls from 127.0.0.1): each test starts from zero.
beforeEach(async () => {
  await system.restartGateway();
});

const totpPeriodMs = 30_000;
const fiveMinutesMs = 5 * 60 * 1000;

function login(username: string, password: string, otp = "") {
  return system.client("client-mallory").call("Login", { username, password, otp }, { retry: false });
}

/** Turns MFA on for the client's user (enabled, then confirmed); returns the TOTP made from the secret the gateway shows. */
async function enableMfa(client: GatewayClient, password: string): Promise<OTPAuth.TOTP> {
  const mfa = await client.call("EnableMfa", { password }, { retry: false });
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(mfa.secret), digits: 6, period: totpPeriodMs / 1000, algorithm: "SHA1" });
  // Confirmed with the code of the step before now (accepted, one step of drift): the current step's code stays unused.
  // Taken at least 5 s before the step ends, so the step cannot turn before the gateway checks it.
  const intoStepMs = Date.now() % totpPeriodMs;
  if (intoStepMs > totpPeriodMs - 5_000) await Bun.sleep(totpPeriodMs - intoStepMs + 50);
  await client.call("ConfirmMfa", { password, otp: totp.generate({ timestamp: Date.now() - totpPeriodMs }) }, { retry: false });
  return totp;
}

/** A six-digit code valid at no time step within two of now, so clock skew cannot make it right. */
function wrongCode(totp: OTPAuth.TOTP): string {
  const nowMs = Date.now();
  const near = new Set([-2, -1, 0, 1, 2].map((step) => totp.generate({ timestamp: nowMs + step * totpPeriodMs })));
  for (let candidate = 0; candidate < near.size + 1; candidate++) {
    const code = String(candidate).padStart(6, "0");
    if (!near.has(code)) return code;
  }
  throw new Error("unreachable: five codes cannot cover six candidates");
}

/** Sent in parallel, like the login throttle's test: every admitted attempt counts before it is checked, so the delays overlap. */
async function lockOut(guess: (i: number) => Promise<unknown>): Promise<void> {
  await Promise.all(Array.from({ length: userPolicy.failuresBeforeLockout }, (_, i) => failsWith(guess(i), "UNAUTHENTICATED")));
}

test("wrong current passwords sent to ChangePassword with a valid session end in RESOURCE_EXHAUSTED, even for the right one", async () => {
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  await lockOut((i) => alice.call("ChangePassword", { old_password: `guess-${i}-password`, new_password: "stolen-session-password" }, { retry: false }));
  const error = await failsWith(alice.call("ChangePassword", { old_password: "alice-password", new_password: "stolen-session-password" }, { retry: false }), "RESOURCE_EXHAUSTED");
  expect(error.message).toContain("too many failed logins");
  // The same count as logins: the owner is locked out of logging in too.
  await failsWith(login("alice", "alice-password"), "RESOURCE_EXHAUSTED");
  // The password did not change: a change would have ended every session, this one included.
  expect((await alice.call("GetBalance", {}, { retry: false })).balance_minor).toBe("500000");
});

test("wrong passwords sent to EnableMfa with a valid session end in RESOURCE_EXHAUSTED, even for the right one", async () => {
  const bob = await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  await lockOut((i) => bob.call("EnableMfa", { password: `guess-${i}-password` }, { retry: false }));
  const error = await failsWith(bob.call("EnableMfa", { password: "bob-password" }, { retry: false }), "RESOURCE_EXHAUSTED");
  expect(error.message).toContain("too many failed logins");
  await failsWith(login("bob", "bob-password"), "RESOURCE_EXHAUSTED");
});

test("the right password with wrong one-time codes ends in RESOURCE_EXHAUSTED, even with the right code", async () => {
  const dev = await signUp(system, { username: "dev", bank: "hdfc", account: "1002" });
  const totp = await enableMfa(dev, "dev-password");
  const wrong = wrongCode(totp);
  await lockOut(() => login("dev", "dev-password", wrong));
  const error = await failsWith(login("dev", "dev-password", totp.generate()), "RESOURCE_EXHAUSTED");
  expect(error.message).toContain("too many failed logins");
});

test("a one-time code from 5 minutes ago or 5 minutes ahead is refused; the current one is accepted", async () => {
  const erin = await signUp(system, { username: "erin", bank: "icici", account: "2002" });
  const totp = await enableMfa(erin, "erin-password");
  const nowMs = Date.now();
  const old = totp.generate({ timestamp: nowMs - fiveMinutesMs });
  const ahead = totp.generate({ timestamp: nowMs + fiveMinutesMs });
  expect((await failsWith(login("erin", "erin-password", old), "UNAUTHENTICATED")).message).toContain("wrong one-time code");
  expect((await failsWith(login("erin", "erin-password", ahead), "UNAUTHENTICATED")).message).toContain("wrong one-time code");
  expect((await login("erin", "erin-password", totp.generate())).token).toBeTruthy();
});
