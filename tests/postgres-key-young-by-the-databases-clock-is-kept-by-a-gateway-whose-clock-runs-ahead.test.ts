// Proves idempotency keys on PostgreSQL are pruned by their age on the database's clock, never by the pruning gateway's: a gateway whose clock runs two days ahead keeps a key claimed a moment ago, so the resend with it replays and the money moves once (totals exact to the minor unit); a key a day and more old by the database's clock is pruned.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { SQL } from "bun";
import type { GatewayClient } from "../src/client/gateway-client";
import { systemClock, type Clock } from "../src/lib/clock";
import { sharedPostgres } from "./support/postgres";
import { balanceMinor, loadedTotalMinor, sampleAccounts, signUp, startSystem, type TestSystem } from "./support/system";
import { sampleUsers } from "./support/sample-users";

setDefaultTimeout(60_000);

const hourMs = 3_600_000;
const retentionMs = 24 * hourMs;
/** The gateway's clock: the wall clock plus a skew the test sets (a fast clock, or one stepped ahead). */
let skewMs = 0;
const skewedClock: Clock = { nowMs: () => Date.now() + skewMs, after: systemClock.after };

let system: TestSystem;
let database: SQL;
let alice: GatewayClient;
let bob: GatewayClient;
const totalMinor = loadedTotalMinor(sampleAccounts, ["hdfc", "icici", "sbi"]);

beforeAll(async () => {
  const url = await (await sharedPostgres()).createDatabase();
  system = await startSystem({ database: url, clock: skewedClock });
  database = new SQL(url);
  alice = await signUp(system, sampleUsers.alice);
  bob = await signUp(system, sampleUsers.bob);
});

afterAll(async () => {
  await database?.close();
  await system?.stop();
});

test("a gateway two days ahead keeps a key claimed a moment ago (the resend replays, pays once); a key 25 h old by the database is pruned", async () => {
  const [aliceBefore, bobBefore] = [await balanceMinor(alice), await balanceMinor(bob)];
  const request = { idempotency_key: "young-key-1", to_username: "bob", amount_minor: "2500", note: "" };
  const first = await alice.call("Pay", request, { retry: false });
  expect(first.payment?.status).toBe("SUCCEEDED");

  skewMs = 48 * hourMs;
  // What the gateway's hourly pruning runs (Payments.pruneKeys): its retention, and its own clock's now.
  expect(await system.gateway.store.pruneKeys(retentionMs, skewedClock.nowMs())).toBe(0);

  // The session expired by the skewed clock: log in again, then resend with the key.
  const login = await alice.call("Login", { username: "alice", password: "alice-password" }, { retry: false });
  alice.token = login.token;
  const again = await alice.call("Pay", request, { retry: false });
  expect(again.replayed).toBe(true);
  expect(again.payment?.id).toBe(first.payment?.id);
  skewMs = 0;
  expect(await balanceMinor(alice)).toBe(aliceBefore - 2_500n);
  expect(await balanceMinor(bob)).toBe(bobBefore + 2_500n);
  expect(system.totalMinor()).toBe(totalMinor);

  // Old by the database's clock: pruned, whatever the gateway's clock says.
  await database`UPDATE payments SET claimed_at = now() - INTERVAL '25 hours' WHERE idempotency_key = ${request.idempotency_key}`;
  expect(await system.gateway.store.pruneKeys(retentionMs, skewedClock.nowMs())).toBe(1);
  expect((await database`SELECT COUNT(*)::int AS n FROM payments WHERE idempotency_key = ${request.idempotency_key}`)[0].n).toBe(0);
});
