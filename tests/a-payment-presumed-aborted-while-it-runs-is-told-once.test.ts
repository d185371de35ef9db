// Proves a payment a bank's question presumed aborted while this gateway was still running it (past its prepare timeout, its own decision not yet written) is told once: watchers, stats and metrics see one outcome (here the gateway's count of failed payments), not the presumed abort and then the execution's; and still once when the execution's own decision then fails to be written.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { GatewayClient } from "../src/client/gateway-client";
import type { Clock } from "../src/lib/clock";
import type { SqliteGatewayStore } from "../src/store/gateway-sqlite";
import { FakeClock } from "./support/fake-clock";
import { eventually, pay, signUp, startSystem, type TestSystem } from "./support/system";

const timers = new FakeClock();
let aheadMs = 0;
// The gateway's clock: its timers on the fake clock, its time able to run ahead of them (the prepare timeout passed, its timer not yet fired).
const clock: Clock = { nowMs: () => timers.nowMs() + aheadMs, after: (ms, fn) => timers.after(ms, fn) };
let system: TestSystem;
let alice: GatewayClient;

beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc", "icici"], proxied: ["icici"], prepareTimeoutMs: 2_000, clock });
  alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  await signUp(system, { username: "bob", bank: "icici", account: "2001" });
});
afterAll(() => system?.stop());

const failedSoFar = async () => Number((await system.client("admin").callAdmin("GetStats", { banks: false }, { retry: false })).payments_failed);

/** A payment to bob held at his bank, presumed aborted by a bank's question while it runs; `beforeItsTimeout` runs before its own timeout fires. */
async function presumedWhileRunning(beforeItsTimeout: () => void): Promise<{ id: string; reply: Promise<unknown> }> {
  system.proxies.get("icici")!.hold();
  const key = crypto.randomUUID();
  const reply = pay(alice, "bob", 300, key).then(
    (r) => r,
    (error: unknown) => error,
  );
  let id = "";
  expect(await eventually(async () => (id = (await system.gateway.store.paymentByKey("alice", key))?.id ?? "") !== "")).toBe(true);
  aheadMs += 2_500;
  expect(await system.gateway.coordinator.decisionsFor([id])).toEqual([{ txid: id, outcome: "ABORT" }]);
  beforeItsTimeout();
  timers.advance(2_500); // the execution's own timeout: it goes on to write its decision
  return { id, reply };
}

test("presumed aborted by a bank's question during its execution: one outcome told", async () => {
  const total = system.totalMinor();
  const failedBefore = await failedSoFar();
  const { id, reply } = await presumedWhileRunning(() => {});
  expect(await reply).toMatchObject({ payment: { id, status: "FAILED" } });
  system.proxies.get("icici")!.heal();
  await Bun.sleep(200);
  expect(await failedSoFar()).toBe(failedBefore + 1);
  expect(system.totalMinor()).toBe(total);
});

test("presumed aborted during its execution, whose own decision then fails to be written: the presumed abort is told, once", async () => {
  const total = system.totalMinor();
  const failedBefore = await failedSoFar();
  const rows = (system.gateway.store as SqliteGatewayStore).rows;
  const decide = rows.decide.bind(rows);
  const { reply } = await presumedWhileRunning(() => {
    rows.decide = () => {
      rows.decide = decide;
      throw new Error("the execution's decision write failed");
    };
  });
  expect(await reply).toBeInstanceOf(Error);
  system.proxies.get("icici")!.heal();
  await Bun.sleep(200);
  expect(await failedSoFar()).toBe(failedBefore + 1);
  expect(system.totalMinor()).toBe(total);
});
