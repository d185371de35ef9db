// Proves the login throttle: failures for a username from one address are slowed down and then refused with RESOURCE_EXHAUSTED (even with the right password, even when sent in parallel) until the lockout ends, for that address only; a username guessed from many addresses and an address spraying many usernames are slowed by bounded delays, never refused, so another user's correct password from that address always gets in.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { delayFor, LoginThrottle, peerPolicy, usernamePolicy, userPolicy } from "../src/gateway/login-throttle";
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
  return system.client("client-mallory").call("Login", { username, password }, { retry: false });
}

test("the throttle delays after a few failures, doubles the delay, then locks that username out from that address until the lockout ends", async () => {
  let nowMs = 1_000_000;
  const throttle = new LoginThrottle(() => nowMs);
  const delays: number[] = [];
  for (let i = 0; i < userPolicy.failuresBeforeLockout; i++) delays.push((await throttle.attempt("alice", "10.0.0.1")).delayMs);
  expect(delays.slice(0, userPolicy.failuresBeforeDelay)).toEqual(Array(userPolicy.failuresBeforeDelay).fill(0));
  expect(delays[userPolicy.failuresBeforeDelay]).toBe(userPolicy.delayMsBase);
  expect(delays[userPolicy.failuresBeforeDelay + 1]).toBe(userPolicy.delayMsBase * 2);
  expect(Math.max(...delays)).toBe(userPolicy.delayMsMax);
  // The refusal says how long it lasts (the lockout began at this same clock reading).
  await expect(throttle.attempt("alice", "10.0.0.1")).rejects.toThrow(`too many failed logins; try again in ${Math.ceil(userPolicy.lockoutMs / 60_000)} minutes`);
  nowMs += userPolicy.lockoutMs - 30_000;
  await expect(throttle.attempt("alice", "10.0.0.1")).rejects.toThrow("too many failed logins; try again in a minute");
  nowMs -= userPolicy.lockoutMs - 30_000;
  // From another address alice is slowed (her username was guessed), not refused.
  const elsewhere = await throttle.attempt("alice", "10.0.0.2");
  expect(elsewhere.delayMs).toBeGreaterThan(0);
  expect(elsewhere.delayMs).toBeLessThanOrEqual(usernamePolicy.delayMsMax);
  // Another user from the attacked address: at most a bounded delay.
  expect((await throttle.attempt("bob", "10.0.0.1")).delayMs).toBeLessThanOrEqual(peerPolicy.delayMsMax);
  nowMs += userPolicy.lockoutMs + 1;
  expect((await throttle.attempt("alice", "10.0.0.1")).delayMs).toBeLessThanOrEqual(usernamePolicy.delayMsMax);
});

test("a username guessed from many addresses is slowed by bounded delays and never locked out", async () => {
  const throttle = new LoginThrottle(() => 0);
  const delays: number[] = [];
  for (let i = 0; i < 500; i++) delays.push((await throttle.attempt("alice", `10.1.${i >> 8}.${i & 255}`)).delayMs);
  expect(delays[usernamePolicy.failuresBeforeDelay - 1]).toBe(0);
  expect(delays[usernamePolicy.failuresBeforeDelay]).toBe(usernamePolicy.delayMsBase);
  expect(Math.max(...delays)).toBe(usernamePolicy.delayMsMax);
});

test("an address spraying many usernames is slowed by bounded delays, never refused; a success refunds only its own attempt", async () => {
  const throttle = new LoginThrottle(() => 0);
  const delays: number[] = [];
  for (let i = 0; i < 1_000; i++) delays.push((await throttle.attempt(`victim${i}`, "10.0.0.9")).delayMs);
  expect(delays[peerPolicy.failuresBeforeDelay - 1]).toBe(0);
  expect(delays[peerPolicy.failuresBeforeDelay]).toBe(peerPolicy.delayMsBase);
  expect(Math.max(...delays)).toBe(peerPolicy.delayMsMax);
  const bob = await throttle.attempt("bob", "10.0.0.9"); // another user's correct password: admitted
  expect(bob.delayMs).toBe(peerPolicy.delayMsMax);
  await bob.succeeded();
  // The sprayer's own success does not reset the address's count.
  await (await throttle.attempt("mallory", "10.0.0.9")).succeeded();
  expect((await throttle.attempt("anyone", "10.0.0.9")).delayMs).toBe(peerPolicy.delayMsMax);
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

test("failed logins from one address across many usernames are only slowed: another user's correct password from that address gets in", async () => {
  await system.restartGateway(); // the throttle is in memory: start from zero
  const guesses = Array.from({ length: peerPolicy.failuresBeforeDelay + 20 }, (_, i) => failsWith(login(`ghost${i}`, "some-password"), "UNAUTHENTICATED"));
  await Promise.all(guesses); // none is RESOURCE_EXHAUSTED: an address is never locked out
  expect((await login("bob", "bob-password")).token).toBeTruthy();
  expect((await login("alice", "alice-password")).token).toBeTruthy();
}, 30_000);
