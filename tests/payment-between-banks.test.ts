// Proves the walking skeleton end to end: two users at different banks,
// real banks and gateway over mutual TLS, a payment through two-phase
// commit, both balances and the system total exact to the paisa.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { balanceMinor, loadedTotalMinor, pay, sampleAccounts, signUp, startSystem, type TestSystem } from "./support/system";

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(async () => {
  await system.stop();
});

test("a payment between users at two banks moves exactly the amount and conserves the total", async () => {
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  const bob = await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  const total = loadedTotalMinor(sampleAccounts, ["hdfc", "icici", "sbi"]);
  expect(system.totalMinor()).toBe(total);

  const reply = await pay(alice, "bob", 10_050n);
  expect(reply.payment.status).toBe("SUCCEEDED");
  expect(reply.replayed).toBe(false);

  expect(await balanceMinor(alice)).toBe(500_000n - 10_050n);
  expect(await balanceMinor(bob)).toBe(120_000n + 10_050n);
  expect(system.totalMinor()).toBe(total);
});

test("a payment within one bank uses one participant and conserves the total", async () => {
  const dev = await signUp(system, { username: "dev", bank: "hdfc", account: "1002", certFolder: "client-carol" });
  const before = system.totalMinor();
  const reply = await pay(dev, "alice", 1n);
  expect(reply.payment.status).toBe("SUCCEEDED");
  expect(await balanceMinor(dev)).toBe(250_000n - 1n);
  expect(system.totalMinor()).toBe(before);
});

test("a payment above the available balance is declined, not an error, and moves nothing", async () => {
  const carol = await signUp(system, { username: "carol", bank: "sbi", account: "3001" });
  const before = system.totalMinor();
  const reply = await pay(carol, "bob", 300_001n);
  expect(reply.payment.status).toBe("FAILED");
  expect(reply.payment.failure_code).toBe("insufficient_funds");
  expect(await balanceMinor(carol)).toBe(300_000n);
  expect(system.totalMinor()).toBe(before);
  const sbi = system.banks.get("sbi")!.store.totals();
  expect(sbi.openHolds).toBe(0);
});

test("history lists a user's payments newest first, sent and received", async () => {
  const alice = system.client("client-alice");
  const login = await alice.call("Login", { username: "alice", password: "alice-password" }, { retry: false });
  alice.token = login.token;
  const { payments } = await alice.call("ListPayments", { limit: 10 }, { retry: false });
  expect(payments.length).toBe(2);
  expect(payments[0]).toMatchObject({ payer: "dev", payee: "alice", status: "SUCCEEDED" });
  expect(payments[1]).toMatchObject({ payer: "alice", payee: "bob", status: "SUCCEEDED" });
});
