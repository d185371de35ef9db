// Proves a PostgreSQL database that is slow but answers (the payments table locked by another session for three statement deadlines) is waited for, not taken for silent: a payment made meanwhile succeeds once when the lock goes, with no UNAVAILABLE, and the gateway keeps its one set of connections (no second generation of pools beside the first); totals exact to the minor unit, audit clean.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { SQL } from "bun";
import type { GatewayClient } from "../src/client/gateway-client";
import { sleepMs } from "../src/lib/clock";
import type { Reply } from "../src/rpc/wire/services";
import { limits } from "../src/lib/limits";
import { adminAuditUntilClean } from "./support/processes";
import { sharedPostgres } from "./support/postgres";
import { balanceMinor, loadedTotalMinor, sampleAccounts, signUp, startSystem, type TestSystem } from "./support/system";
import { sampleUsers } from "./support/sample-users";

setDefaultTimeout(120_000);

const writableLimits = limits as { databaseStatementDeadlineMs: number; databaseRetryMs: number };
const saved = { ...writableLimits };
const lockHeldMs = 3_500;

let system: TestSystem;
let databaseUrl: string;
let alice: GatewayClient;
let bob: GatewayClient;
const totalMinor = loadedTotalMinor(sampleAccounts, ["hdfc", "icici", "sbi"]);

beforeAll(async () => {
  // Short bounds, so the lock outlives the statement deadline three times and the write retry bound too.
  writableLimits.databaseStatementDeadlineMs = 1_000;
  writableLimits.databaseRetryMs = 2_000;
  databaseUrl = await (await sharedPostgres()).createDatabase();
  system = await startSystem({ database: databaseUrl });
  alice = await signUp(system, sampleUsers.alice);
  bob = await signUp(system, sampleUsers.bob);
});

afterAll(async () => {
  await system?.stop();
  Object.assign(writableLimits, saved);
});

/** The gateway's pool generations with connections on the server: each generation's connections carry its own application_name. */
async function poolGenerations(watcher: SQL): Promise<string[]> {
  const rows = await watcher`SELECT DISTINCT application_name AS name FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'ministripe-%'`;
  return rows.map((row: { name: string }) => row.name);
}

test("a payment made while another session locks the payments table succeeds when the lock goes, on the same connections", async () => {
  const [aliceBefore, bobBefore] = [await balanceMinor(alice), await balanceMinor(bob)];
  const operator = new SQL(databaseUrl, { max: 2 });
  const watcher = new SQL(databaseUrl, { max: 1 });
  const generationsBefore = await poolGenerations(watcher);
  expect(generationsBefore).toHaveLength(1);
  let paying: Promise<Reply<"Gateway", "Pay">> | undefined;
  let generationsDuringLock: string[] = [];
  try {
    await operator.begin(async (tx) => {
      // Readers pass; the payment's claim (an INSERT) waits for the lock.
      await tx`LOCK TABLE payments IN SHARE MODE`;
      paying = alice.call("Pay", { idempotency_key: "slow-database", to_username: "bob", amount_minor: "4200", note: "" }, { retry: false, deadlineMs: 60_000 });
      await sleepMs(lockHeldMs - 500);
      generationsDuringLock = await poolGenerations(watcher);
      await sleepMs(500);
    });
    const reply = await paying!;
    expect(reply.payment?.status).toBe("SUCCEEDED");
    expect(reply.replayed).toBe(false);
  } finally {
    await operator.close();
  }

  // Replaced pools would leave the blocked connection's backend beside a new generation's connections: one generation throughout.
  expect(generationsDuringLock).toEqual(generationsBefore);
  expect(await poolGenerations(watcher)).toEqual(generationsBefore);
  const replay = await alice.call("Pay", { idempotency_key: "slow-database", to_username: "bob", amount_minor: "4200", note: "" }, { retry: false });
  expect(replay.replayed).toBe(true);
  expect(await balanceMinor(alice)).toBe(aliceBefore - 4_200n);
  expect(await balanceMinor(bob)).toBe(bobBefore + 4_200n);
  expect(system.totalMinor()).toBe(totalMinor);
  await watcher.close();
  const audit = await adminAuditUntilClean(system.client("admin"));
  expect(audit.violations).toEqual([]);
});
