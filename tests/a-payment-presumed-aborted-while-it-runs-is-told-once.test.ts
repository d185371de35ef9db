// Proves a payment a bank's question presumed aborted while this gateway was still running it (past its prepare timeout, its own decision not yet written) is told once: watchers, stats and metrics see one outcome (here the gateway's count of failed payments), not the presumed abort and then the execution's.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Clock } from "../src/lib/clock";
import { FakeClock } from "./support/fake-clock";
import { eventually, pay, signUp, startSystem, type TestSystem } from "./support/system";

const timers = new FakeClock();
let aheadMs = 0;
// The gateway's clock: its timers on the fake clock, its time able to run ahead of them (the prepare timeout passed, its timer not yet fired).
const clock: Clock = { nowMs: () => timers.nowMs() + aheadMs, after: (ms, fn) => timers.after(ms, fn) };
let system: TestSystem;

beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc", "icici"], proxied: ["icici"], prepareTimeoutMs: 2_000, clock });
});
afterAll(() => system?.stop());

test("presumed aborted by a bank's question during its execution: one outcome told", async () => {
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  const total = system.totalMinor();
  const admin = system.client("admin");
  const failedSoFar = async () => Number((await admin.callAdmin("GetStats", { banks: false }, { retry: false })).payments_failed);
  const failedBefore = await failedSoFar();
  system.proxies.get("icici")!.hold();
  const key = crypto.randomUUID();
  const paying = pay(alice, "bob", 300, key);
  let id = "";
  expect(await eventually(async () => (id = (await system.gateway.store.paymentByKey("alice", key))?.id ?? "") !== "")).toBe(true);

  aheadMs = 2_500;
  expect(await system.gateway.coordinator.decisionsFor([id])).toEqual([{ txid: id, outcome: "ABORT" }]);
  timers.advance(2_500); // the execution's own timeout: it adopts the ABORT written
  const reply = await paying;
  expect(reply.payment).toMatchObject({ id, status: "FAILED" });
  system.proxies.get("icici")!.heal();
  await Bun.sleep(200);
  expect(await failedSoFar()).toBe(failedBefore + 1);
  expect(system.totalMinor()).toBe(total);
});
