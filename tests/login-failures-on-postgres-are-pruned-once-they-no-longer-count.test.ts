// Proves the failed-login counts kept in PostgreSQL (several gateways) stay bounded: rows that no longer count (failures older than the window, a lockout that has ended) are deleted by the gateway's prune, live counts and running lockouts are kept, and the throttle's answers are the same after a prune as before it.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { LoginThrottle, MemoryFailureTable } from "../src/gateway/login-throttle";
import { limits, securityLimits } from "../src/lib/limits";
import { PostgresGatewayStore } from "../src/store/gateway-postgres";
import { sharedPostgres } from "./support/postgres";

setDefaultTimeout(60_000);

let store: PostgresGatewayStore;
let nowMs = 1_000_000_000;
let throttle: LoginThrottle;

beforeAll(async () => {
  store = await PostgresGatewayStore.open({ url: await (await sharedPostgres()).createDatabase() }, "g1");
  throttle = new LoginThrottle(() => nowMs, undefined, { update: (keys, change) => store.updateLoginFailures(keys, change) });
});
afterAll(async () => {
  await store?.close();
});

async function keys(): Promise<string[]> {
  const rows = (await store.sql`SELECT key FROM login_failures ORDER BY key`) as { key: string }[];
  return rows.map((row) => row.key);
}

/** One failed login: admitted (counted), never succeeded. */
async function fail(username: string, peer: string): Promise<number> {
  return (await throttle.attempt(username, peer)).delayMs;
}

test("a guesser's invented usernames leave no rows behind once their failures no longer count", async () => {
  // Someone tries 50 usernames that do not exist, once each: two rows each, plus their address.
  for (let i = 0; i < 50; i++) await fail(`nobody${i}`, "203.0.113.9");
  expect((await keys()).length).toBe(101);

  // Within the window, every row still counts: none is pruned.
  nowMs += securityLimits.loginFailureWindowMs - 1;
  expect(await store.pruneLoginFailures(nowMs, securityLimits.loginFailureWindowMs)).toBe(0);
  expect((await keys()).length).toBe(101);

  // Past the window they count for nothing, and go.
  nowMs += 2;
  expect(await store.pruneLoginFailures(nowMs, securityLimits.loginFailureWindowMs)).toBe(101);
  expect(await keys()).toEqual([]);
});

test("a running lockout and fresh failures are kept; an ended lockout goes; the throttle answers as one that never prunes", async () => {
  // The same attempts go to a throttle counting in memory (never pruned): the reference answers.
  const reference = new LoginThrottle(() => nowMs, undefined, new MemoryFailureTable());
  const both = async (username: string, peer: string) => {
    const [expected, got] = await Promise.all([settled(reference.attempt(username, peer)), settled(throttle.attempt(username, peer))]);
    expect(got).toEqual(expected);
    return got;
  };
  // mallory locks herself out from one address.
  for (let i = 0; i < limits.loginFailuresBeforeLockout; i++) await both("mallory", "198.51.100.7");
  expect(await both("mallory", "198.51.100.7")).toBe("RESOURCE_EXHAUSTED");
  const lockedKey = "user:mallory@198.51.100.7";

  // Within the lockout: its row stays, and still refuses; carol's fresh failure is kept.
  nowMs += limits.loginLockoutMs - 1;
  await both("carol", "192.0.2.1");
  await store.pruneLoginFailures(nowMs, securityLimits.loginFailureWindowMs);
  expect(await keys()).toEqual(expect.arrayContaining([lockedKey, "username:mallory", "user:carol@192.0.2.1", "username:carol"]));
  expect(await both("mallory", "198.51.100.7")).toBe("RESOURCE_EXHAUSTED");

  // The lockout over: its row goes, the rest still count, and the answers stay the reference's.
  nowMs += 2;
  await store.pruneLoginFailures(nowMs, securityLimits.loginFailureWindowMs);
  const left = await keys();
  expect(left).not.toContain(lockedKey);
  expect(left).toEqual(expect.arrayContaining(["username:mallory", "user:carol@192.0.2.1", "username:carol"]));
  await both("mallory", "198.51.100.7");
  await both("carol", "192.0.2.1");
});

/** A delay, or the refusal's code. */
function settled(attempt: Promise<{ delayMs: number }>): Promise<number | string> {
  return attempt.then(
    (admitted) => admitted.delayMs,
    (error: { code: string }) => error.code,
  );
}
