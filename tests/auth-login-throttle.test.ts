// Proves the login throttle: failures per username and per peer address are slowed down and then refused with RESOURCE_EXHAUSTED (even with the right password, even when sent in parallel), and the lockout ends after its time.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { delayFor, LoginThrottle, peerPolicy, userPolicy } from "../src/gateway/login-throttle";
import { failsWith, signUp, startSystem, type TestSystem } from "./support/system";

let system: TestSystem;

beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc", "icici"] });
  await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  await signUp(system, { username: "bob", bank: "icici", account: "2001" });
});
afterAll(async () => {
  await system.stop();
});

function login(username: string, password: string) {
  return system.client("client-mallory").call<{ token: string }>("Login", { username, password }, { retry: false });
}

test("the throttle delays after a few failures, doubles the delay, then locks out until the lockout ends", () => {
  let nowMs = 1_000_000;
  const throttle = new LoginThrottle(() => nowMs);
  const delays: number[] = [];
  for (let i = 0; i < userPolicy.failuresBeforeLockout; i++) delays.push(throttle.attempt("alice", "10.0.0.1").delayMs);
  expect(delays.slice(0, userPolicy.failuresBeforeDelay)).toEqual(Array(userPolicy.failuresBeforeDelay).fill(0));
  expect(delays[userPolicy.failuresBeforeDelay]).toBe(userPolicy.delayMsBase);
  expect(delays[userPolicy.failuresBeforeDelay + 1]).toBe(userPolicy.delayMsBase * 2);
  expect(Math.max(...delays)).toBe(userPolicy.delayMsMax);
  expect(() => throttle.attempt("alice", "10.0.0.2")).toThrow("too many failed logins");
  expect(throttle.attempt("bob", "10.0.0.2").delayMs).toBe(0); // other users are not affected
  nowMs += userPolicy.lockoutMs + 1;
  expect(throttle.attempt("alice", "10.0.0.3").delayMs).toBe(0);
});

test("a success clears the username's failures but not the peer's failures against others", () => {
  let nowMs = 0;
  const throttle = new LoginThrottle(() => nowMs);
  for (let i = 0; i < peerPolicy.failuresBeforeLockout - 1; i++) throttle.attempt(`victim${i}`, "10.0.0.9");
  throttle.attempt("mallory", "10.0.0.9").succeeded(); // the attacker's own account
  throttle.attempt("victim-last", "10.0.0.9");
  expect(() => throttle.attempt("anyone", "10.0.0.9")).toThrow("too many failed logins");
  expect(delayFor(peerPolicy.failuresBeforeDelay, peerPolicy)).toBe(peerPolicy.delayMsBase);
});

test("failed logins for one username end in RESOURCE_EXHAUSTED, even for the right password", async () => {
  const guesses = Array.from({ length: userPolicy.failuresBeforeLockout }, (_, i) => failsWith(login("alice", `guess-${i}-password`), "UNAUTHENTICATED"));
  await Promise.all(guesses); // sent in parallel: every admitted attempt counts before it is checked
  const error = await failsWith(login("alice", "alice-password"), "RESOURCE_EXHAUSTED");
  expect(error.message).toContain("too many failed logins");
  // Another user from the same address still gets in: the per-address bound is higher.
  expect((await login("bob", "bob-password")).token).toBeTruthy();
});

test("failed logins from one address across many usernames end in RESOURCE_EXHAUSTED for every username", async () => {
  await system.restartGateway(); // the throttle is in memory: start from zero
  const guesses = Array.from({ length: peerPolicy.failuresBeforeLockout }, (_, i) => failsWith(login(`ghost${i}`, "some-password"), "UNAUTHENTICATED"));
  await Promise.all(guesses);
  await failsWith(login("bob", "bob-password"), "RESOURCE_EXHAUSTED");
});
