// A user registered at a bank that the gateway is no longer given (--bank) is
// named at the gateway's start (a warning), and is
// a user whose bank cannot be reached: balance is UNAVAILABLE (exit 4) naming
// the bank, a payment to or from them fails as bank_unavailable, and nothing moves.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { balanceMinor, failsWith, memoryLog, pay, signUp, startSystem, type TestSystem } from "./support/system";
import type { GatewayClient } from "../src/client/gateway-client";

const gatewayLog = memoryLog("gateway", "gateway");
let system: TestSystem;
let alice: GatewayClient;
let bob: GatewayClient;

beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc", "icici"], log: gatewayLog.log });
  alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  bob = await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  await system.restartGateway(["hdfc"]);
});

afterAll(() => system?.stop());

test("the gateway says at start, once, that users are registered at a bank it is not given", () => {
  const warnings = gatewayLog.lines().filter((line) => line.event === "gateway.banks_not_given");
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatchObject({ level: "warn", banks: ["icici"] });
});

test("balance of a user at a bank the gateway is not given: UNAVAILABLE, naming the bank", async () => {
  const error = await failsWith(balanceMinor(bob), "UNAVAILABLE");
  expect(error.message).toContain("icici");
  expect(await balanceMinor(alice)).toBeGreaterThan(0n);
});

test("a payment to a user at that bank fails as bank_unavailable, and moves nothing", async () => {
  const totalBefore = system.totalMinor();
  const aliceBefore = await balanceMinor(alice);
  const reply = await pay(alice, "bob", 1_00);
  expect(reply.payment.status).toBe("FAILED");
  expect(reply.payment.failure_code).toBe("bank_unavailable");
  expect(await balanceMinor(alice)).toBe(aliceBefore);
  expect(system.totalMinor()).toBe(totalBefore);
});

test("a payment from a user at that bank fails as bank_unavailable, and moves nothing", async () => {
  const totalBefore = system.totalMinor();
  const reply = await pay(bob, "alice", 1_00);
  expect(reply.payment.status).toBe("FAILED");
  expect(reply.payment.failure_code).toBe("bank_unavailable");
  expect(system.totalMinor()).toBe(totalBefore);
});
