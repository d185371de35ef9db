// Proves the gateway's PostgreSQL connections that died half-open (a middlebox lost their flow, or a failover moved the address: the server answers new connections but never sees these) are cut at the statement deadline, not waited for as a slow database: the probe finds no backend of these pools at work, the pools are replaced, and a payment made meanwhile is answered UNAVAILABLE by the gateway at once (not left to the client's 20 s deadline, as a slow database's wait of a minute would be), and its resend succeeds, once; totals exact, audit clean.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import type { GatewayClient } from "../src/client/gateway-client";
import { Code } from "../src/lib/errors";
import { limits } from "../src/lib/limits";
import type { FaultProxy } from "./support/fault-proxy";
import { adminAuditUntilClean } from "./support/processes";
import { databaseBehindProxy } from "./support/postgres";
import { balanceMinor, failsWith, loadedTotalMinor, sampleAccounts, signUp, startSystem, type TestSystem } from "./support/system";
import { sampleUsers } from "./support/sample-users";

setDefaultTimeout(120_000);

const writableLimits = limits as { databaseStatementDeadlineMs: number; databaseRetryMs: number; databaseSlowStatementWaitMsMax: number };
const saved = { ...writableLimits };

let system: TestSystem;
let databaseLink: FaultProxy;
let alice: GatewayClient;
let bob: GatewayClient;

beforeAll(async () => {
  writableLimits.databaseStatementDeadlineMs = 1_000;
  writableLimits.databaseRetryMs = 10_000;
  // A slow database would be waited for a minute: far past the client's deadline below.
  writableLimits.databaseSlowStatementWaitMsMax = 60_000;
  const behind = await databaseBehindProxy();
  databaseLink = behind.link;
  system = await startSystem({ database: behind.url });
  alice = await signUp(system, sampleUsers.alice);
  bob = await signUp(system, sampleUsers.bob);
});

afterAll(async () => {
  await system?.stop();
  await databaseLink?.stop();
  Object.assign(writableLimits, saved);
});

test("every pooled connection dead half-open: cut at the deadline, and the payment succeeds on new ones", async () => {
  const [aliceBefore, bobBefore] = [await balanceMinor(alice), await balanceMinor(bob)];
  // Every connection open now loses its bytes for good; new connections pass.
  databaseLink.lose();
  databaseLink.heal();
  // The session's read on a dead connection is cut at its deadline and answered UNAVAILABLE by the gateway (a read is not sent again there),
  // long before the client's own deadline: a slow database's wait would have run into it (DEADLINE_EXCEEDED).
  const cut = await failsWith(alice.call("Pay", { idempotency_key: "half-open", to_username: "bob", amount_minor: "1300", note: "" }, { retry: false, deadlineMs: 20_000 }), Code.Unavailable);
  expect(cut.message).toContain("database");
  const reply = await alice.call("Pay", { idempotency_key: "half-open", to_username: "bob", amount_minor: "1300", note: "" }, { retry: false });
  expect(reply.payment?.status).toBe("SUCCEEDED");
  expect((await alice.call("Pay", { idempotency_key: "half-open", to_username: "bob", amount_minor: "1300", note: "" }, { retry: false })).replayed).toBe(true);
  expect(await balanceMinor(alice)).toBe(aliceBefore - 1_300n);
  expect(await balanceMinor(bob)).toBe(bobBefore + 1_300n);
  expect(system.totalMinor()).toBe(loadedTotalMinor(sampleAccounts, ["hdfc", "icici", "sbi"]));
  const audit = await adminAuditUntilClean(system.client("admin"));
  expect(audit.violations).toEqual([]);
});
