// Proves a PostgreSQL host that falls silent without resetting connections (a partition: every byte lost) does not hang the gateway: a payment whose decision is being written and one arriving meanwhile both fail UNAVAILABLE within the statement deadline and write retry bound (the client's own deadline is far longer); after heal() the gateway reaches the database again, presumed abort settles the cut-off payment, each key's resend runs or replays once, totals exact to the minor unit, audit clean.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import type { GatewayClient } from "../src/client/gateway-client";
import { Code } from "../src/lib/errors";
import { limits } from "../src/lib/limits";
import type { FaultProxy } from "./support/fault-proxy";
import { adminAuditUntilClean } from "./support/processes";
import { databaseBehindProxy } from "./support/postgres";
import { afterVoting, balanceMinor, eventually, failsWith, loadedTotalMinor, sampleAccounts, signUp, startSystem, type TestSystem } from "./support/system";
import { sampleUsers } from "./support/sample-users";

setDefaultTimeout(120_000);

const writableLimits = limits as { databaseStatementDeadlineMs: number; databaseRetryMs: number };
const saved = { ...writableLimits };
/** Far longer than the gateway's bounds below: a call ending before it ended at the gateway's word, not the client's. */
const clientDeadlineMs = 60_000;

let system: TestSystem;
let databaseLink: FaultProxy;
let alice: GatewayClient;
let bob: GatewayClient;
const totalMinor = loadedTotalMinor(sampleAccounts, ["hdfc", "icici", "sbi"]);

beforeAll(async () => {
  writableLimits.databaseStatementDeadlineMs = 1_000;
  writableLimits.databaseRetryMs = 3_000;
  const behind = await databaseBehindProxy();
  databaseLink = behind.link;
  system = await startSystem({ database: behind.url, proxied: ["icici"], prepareTimeoutMs: 5_000, inDoubtAfterMs: 1_000 });
  alice = await signUp(system, sampleUsers.alice);
  bob = await signUp(system, sampleUsers.bob);
});

afterAll(async () => {
  await system?.stop();
  await databaseLink?.stop();
  Object.assign(writableLimits, saved);
});

test("the database partitioned mid-decision: UNAVAILABLE within the bound, not a hang; after heal nothing lost or doubled", async () => {
  const [aliceBefore, bobBefore] = [await balanceMinor(alice), await balanceMinor(bob)];
  const cutOff = { idempotency_key: "partition-decision", to_username: "bob", amount_minor: "1100", note: "" };
  const meanwhile = { idempotency_key: "partition-meanwhile", to_username: "bob", amount_minor: "2300", note: "" };

  // The payee's bank's YES vote held while the database falls silent, so the decision is written into the silence.
  const bankLink = system.proxies.get("icici")!;
  const voted = Promise.withResolvers<void>();
  let armed = true;
  afterVoting(system, "icici", () => {
    if (!armed) return;
    armed = false;
    bankLink.hold();
    voted.resolve();
  });
  const deciding = alice.call("Pay", cutOff, { retry: false, deadlineMs: clientDeadlineMs });
  await voted.promise;
  databaseLink.lose();
  bankLink.heal();
  const arriving = alice.call("Pay", meanwhile, { retry: false, deadlineMs: clientDeadlineMs });

  const [decisionError, arrivalError] = await Promise.all([failsWith(deciding, Code.Unavailable), failsWith(arriving, Code.Unavailable)]);
  expect(decisionError.message).toContain("database");
  expect(arrivalError.message).toContain("database");

  databaseLink.heal();
  // Presumed abort: the cut-off payment has no decision; the banks holding it ask and are told ABORT.
  const settled = await eventually(async () => {
    try {
      return (await alice.call("GetPayment", { id_or_key: cutOff.idempotency_key }, { retry: false })).status === "FAILED";
    } catch {
      return false; // the gateway's pool coming back from the silence
    }
  }, 30_000);
  expect(settled).toBe(true);
  const released = await eventually(() => [...system.banks.values()].every((bank) => bank.store.totals().openHolds === 0 && bank.store.totals().heldSumMinor === 0n), 20_000);
  expect(released).toBe(true);

  // Each key once: the cut-off one replays its abort, the one refused meanwhile runs now.
  const replay = await alice.call("Pay", cutOff, { retry: false });
  expect(replay.replayed).toBe(true);
  expect(replay.payment?.status).toBe("FAILED");
  const ran = await alice.call("Pay", meanwhile, { retry: false });
  expect(ran.replayed).toBe(false);
  expect(ran.payment?.status).toBe("SUCCEEDED");
  expect((await alice.call("Pay", meanwhile, { retry: false })).replayed).toBe(true);

  expect(await balanceMinor(alice)).toBe(aliceBefore - 2_300n);
  expect(await balanceMinor(bob)).toBe(bobBefore + 2_300n);
  expect(system.totalMinor()).toBe(totalMinor);
  // Phase two of the resend, and a bank's question about the lost claim's hold, may still be on their way on a loaded machine: the audit is asked until clean, within a bound.
  const audit = await adminAuditUntilClean(system.client("admin"));
  expect(audit.violations).toEqual([]);
});
