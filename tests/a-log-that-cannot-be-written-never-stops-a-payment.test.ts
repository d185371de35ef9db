// Proves a server whose log cannot be written (its disk full: /dev/full
// answers every write with ENOSPC) goes on serving: a payment is answered
// and moves its money once, the lines are dropped, and the failure is said
// on stderr; it hung before, the write's error thrown inside the call's status.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { createLogger } from "../src/lib/log";
import { pay, signUp, startSystem, type TestSystem } from "./support/system";

setDefaultTimeout(30_000);
let system: TestSystem;

beforeAll(async () => {
  const fullDisk = createLogger({ role: "test", name: "full-disk", level: "info", file: "/dev/full" });
  system = await startSystem({ banks: ["hdfc", "icici"], log: fullDisk });
});
afterAll(() => system?.stop());

test("with every log line refused by a full disk, payments are answered and money moves once", async () => {
  const total = system.totalMinor();
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  const key = crypto.randomUUID();
  const paid = await pay(alice, "bob", 1_234, key);
  expect(paid.payment.status).toBe("SUCCEEDED");
  expect((await pay(alice, "bob", 1_234, key)).replayed).toBe(true);
  expect(system.banks.get("icici")!.store.getAccount("2001")!.balanceMinor).toBe(120_000n + 1_234n);
  expect(system.totalMinor()).toBe(total);
});

test("a logger on a full disk drops lines without throwing", () => {
  const log = createLogger({ role: "test", name: "full-disk", level: "info", file: "/dev/full" });
  expect(() => {
    for (let i = 0; i < 1_000; i++) log.info({ i, padding: "x".repeat(1_000) }, "a line the disk refuses");
  }).not.toThrow();
});
