// Proves a payment whose row PostgreSQL lost after its Prepares were sent (a claim committed without waiting for the flush, gone in a crash) does not stop the gateway: the payer is answered UNAVAILABLE (never a success), the banks that voted YES ask and are told ABORT (presumed abort), the resend with the same key pays once, totals exact to the minor unit, audit clean.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { SQL } from "bun";
import type { GatewayClient } from "../src/client/gateway-client";
import { Code } from "../src/lib/errors";
import { adminAuditUntilClean } from "./support/processes";
import { sharedPostgres } from "./support/postgres";
import { afterVoting, balanceMinor, eventually, failsWith, loadedTotalMinor, sampleAccounts, signUp, startSystem, type TestSystem } from "./support/system";
import { sampleUsers } from "./support/sample-users";

setDefaultTimeout(60_000);

let system: TestSystem;
let database: SQL;
let alice: GatewayClient;
let bob: GatewayClient;
const totalMinor = loadedTotalMinor(sampleAccounts, ["hdfc", "icici", "sbi"]);

beforeAll(async () => {
  const url = await (await sharedPostgres()).createDatabase();
  // The payee's bank behind a proxy, so its YES vote can be held while the row is lost.
  system = await startSystem({ database: url, proxied: ["icici"], prepareTimeoutMs: 10_000, inDoubtAfterMs: 1_000 });
  database = new SQL(url);
  alice = await signUp(system, sampleUsers.alice);
  bob = await signUp(system, sampleUsers.bob);
});

afterAll(async () => {
  await database?.close();
  await system?.stop();
});

test("the row lost between the YES votes and the decision: UNAVAILABLE, the gateway serves on, the banks abort, the resend pays once", async () => {
  const [aliceBefore, bobBefore] = [await balanceMinor(alice), await balanceMinor(bob)];
  const key = "claim-lost-1";
  const request = { idempotency_key: key, to_username: "bob", amount_minor: "2500", note: "" };
  const proxy = system.proxies.get("icici")!;
  const voted = Promise.withResolvers<void>();
  let armed = true;
  afterVoting(system, "icici", () => {
    if (!armed) return;
    armed = false;
    proxy.hold(); // the vote is on disk at the bank; its answer waits
    voted.resolve();
  });

  const paid = alice.call("Pay", request, { retry: false });
  await voted.promise;
  // What a crash of PostgreSQL before the claim's WAL reached the disk leaves: no row, no key.
  const lost = await database`DELETE FROM payments WHERE payer = 'alice' AND idempotency_key = ${key} RETURNING id`;
  expect(lost).toHaveLength(1);
  const lostId = lost[0].id as string;
  proxy.heal();

  const error = await failsWith(paid, Code.Unavailable);
  expect(error.message).toContain("send it again with the same key");

  // Presumed abort: each bank holding the payment in doubt asks and is told ABORT; its hold goes.
  const released = await eventually(() => [...system.banks.values()].every((bank) => bank.store.totals().openHolds === 0 && bank.store.totals().heldSumMinor === 0n), 20_000);
  expect(released).toBe(true);
  expect(await balanceMinor(alice)).toBe(aliceBefore);
  expect(await balanceMinor(bob)).toBe(bobBefore);
  const answers = await system.gateway.coordinator.decisionsFor([lostId]);
  expect(answers).toEqual([{ txid: lostId, outcome: "ABORT" }]);

  // The gateway is still serving, and the key is free: the resend is the one payment.
  const again = await alice.call("Pay", request, { retry: false });
  expect(again.replayed).toBe(false);
  expect(again.payment?.status).toBe("SUCCEEDED");
  expect(again.payment?.id).not.toBe(lostId);
  const replay = await alice.call("Pay", request, { retry: false });
  expect(replay.replayed).toBe(true);
  expect(await balanceMinor(alice)).toBe(aliceBefore - 2_500n);
  expect(await balanceMinor(bob)).toBe(bobBefore + 2_500n);
  expect(system.totalMinor()).toBe(totalMinor);

  // Phase two of the resend, and a bank's question about the lost claim's hold, may still be on their way on a loaded machine: the audit is asked until clean, within a bound.
  const audit = await adminAuditUntilClean(system.client("admin"));
  expect(audit.violations).toEqual([]);
  expect(audit.ok).toBe(true);
});
