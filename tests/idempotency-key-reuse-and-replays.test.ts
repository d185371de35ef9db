// Proves Stripe's key semantics: a key reused with other parameters is
// FAILED_PRECONDITION (even parameters validation would refuse) and changes nothing; a failed payment replays its
// failure even after the payer is topped up; a request refused by validation
// is not stored, so the same key works once corrected; keys are scoped to the
// user; and keys past their retention are forgotten while payments stay.
import { expect, test } from "bun:test";
import { balanceMinor, failsWith, loadedTotalMinor, pay, sampleAccounts } from "./support/system";
import { systemWithSignedUpUsers } from "./support/sample-users";

const setup = systemWithSignedUpUsers(["alice", "bob"]);
const total = loadedTotalMinor(sampleAccounts, ["hdfc", "icici", "sbi"]);

test("same key with another amount: FAILED_PRECONDITION and nothing changes", async () => {
  const { system, alice } = setup;
  const key = crypto.randomUUID();
  const first = await pay(alice, "bob", 1_000n, key);
  expect(first.payment.status).toBe("SUCCEEDED");
  const aliceMinor = await balanceMinor(alice);
  await failsWith(pay(alice, "bob", 2_000n, key), "FAILED_PRECONDITION");
  await failsWith(pay(alice, "bob", 1_000n, key, "another note"), "FAILED_PRECONDITION");
  // Other parameters the gateway would refuse anyway (no such payee, paying
  // yourself): the key's answer still, looked up when validation fails.
  await failsWith(pay(alice, "nobody", 1_000n, key), "FAILED_PRECONDITION");
  await failsWith(pay(alice, "alice", 1_000n, key), "FAILED_PRECONDITION");
  expect(await balanceMinor(alice)).toBe(aliceMinor);
  const again = await pay(alice, "bob", 1_000n, key);
  expect(again).toMatchObject({ replayed: true, payment: { id: first.payment.id, status: "SUCCEEDED" } });
  expect(await balanceMinor(alice)).toBe(aliceMinor);
  expect(system.totalMinor()).toBe(total);
});

test("a payment that failed for insufficient funds replays its failure after a top-up", async () => {
  const { system, alice, bob } = setup;
  const key = crypto.randomUUID();
  const bobMinor = await balanceMinor(bob);
  const first = await pay(bob, "alice", bobMinor + 1n, key);
  expect(first.payment).toMatchObject({ status: "FAILED", failure_code: "insufficient_funds" });
  await pay(alice, "bob", 50_000n); // the top-up
  const retry = await pay(bob, "alice", bobMinor + 1n, key);
  expect(retry).toMatchObject({ replayed: true, payment: { id: first.payment.id, status: "FAILED", failure_code: "insufficient_funds" } });
  expect(await balanceMinor(bob)).toBe(bobMinor + 50_000n);
  expect(system.totalMinor()).toBe(total);
});

test("a request refused by validation is not stored: the same key works once corrected", async () => {
  const { system, alice } = setup;
  const key = crypto.randomUUID();
  await failsWith(pay(alice, "nobody", 500n, key), "NOT_FOUND");
  await failsWith(pay(alice, "bob", 0n, key), "INVALID_ARGUMENT");
  expect(await system.gateway.store.paymentByKey("alice", key)).toBeUndefined();
  const corrected = await pay(alice, "bob", 500n, key);
  expect(corrected).toMatchObject({ replayed: false, payment: { status: "SUCCEEDED" } });
  expect(system.totalMinor()).toBe(total);
});

test("keys are scoped to the user: another user's identical key is a separate payment", async () => {
  const { system, alice, bob } = setup;
  const key = crypto.randomUUID();
  const fromAlice = await pay(alice, "bob", 300n, key);
  const fromBob = await pay(bob, "alice", 300n, key);
  expect(fromBob.replayed).toBe(false);
  expect(fromBob.payment.id).not.toBe(fromAlice.payment.id);
  const asBob = await bob.call("GetPayment", { id_or_key: key }, { retry: false });
  const asAlice = await alice.call("GetPayment", { id_or_key: key }, { retry: false });
  expect(asBob.id).toBe(fromBob.payment.id);
  expect(asAlice.id).toBe(fromAlice.payment.id);
  expect(system.totalMinor()).toBe(total);
});

test("keys past their retention are forgotten; the payment itself stays", async () => {
  const { system, alice } = setup;
  const key = crypto.randomUUID();
  const reply = await pay(alice, "bob", 100n, key);
  const store = system.gateway.store;
  expect(await store.pruneKeys(60_000, Date.now())).toBe(0); // younger than the cut-off: kept
  expect((await store.paymentByKey("alice", key))?.id).toBe(reply.payment.id);
  expect(await store.pruneKeys(0, Date.now() + 1)).toBeGreaterThan(0);
  expect(await store.paymentByKey("alice", key)).toBeUndefined();
  expect((await store.getPayment(reply.payment.id))?.decision).toBe("COMMIT");
});

test("a key with spaces and another script (SPEC: printable characters) is a key like any other: paid once, then replayed", async () => {
  const { system, alice } = setup;
  const key = `order 42 ключ ${crypto.randomUUID()}`;
  const aliceMinor = await balanceMinor(alice);
  const first = await pay(alice, "bob", 700n, key);
  expect(first.payment.status).toBe("SUCCEEDED");
  expect(await pay(alice, "bob", 700n, key)).toMatchObject({ replayed: true, payment: { id: first.payment.id } });
  expect(await balanceMinor(alice)).toBe(aliceMinor - 700n);
  await failsWith(pay(alice, "bob", 700n, "tab\tinside"), "INVALID_ARGUMENT");
  expect(system.totalMinor()).toBe(total);
});
