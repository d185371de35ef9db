// Proves a refund retried while its first send is being claimed is answered as that refund (a replay), not refused as "more than remains" because of its own reservation: a refusal of a refund always means nothing is recorded under its key, which the client relies on to free the key; money moves once, to the minor unit; also when the claim itself answers "exceeds" for its own first send (PostgreSQL's interleaving).
import { expect, test } from "bun:test";
import type { PaymentRow } from "../src/store/gateway-store";
import { balanceMinor, pay, refund } from "./support/system";
import { systemWithSignedUpUsers } from "./support/sample-users";

const setup = systemWithSignedUpUsers(["alice", "bob"]);

/** A fresh payment from alice to bob, the balances after it, and a new key for its refund. */
async function paidToBob(): Promise<{ paymentId: string; aliceMinor: bigint; bobMinor: bigint; key: string }> {
  const { alice, bob } = setup;
  const paid = await pay(alice, "bob", 1_000n);
  return { paymentId: paid.payment.id, aliceMinor: await balanceMinor(alice), bobMinor: await balanceMinor(bob), key: crypto.randomUUID() };
}

/** Money moved once: 6.00 back from bob to alice, and the system's total unchanged. */
async function refundedOnce(before: { aliceMinor: bigint; bobMinor: bigint }): Promise<void> {
  expect(await balanceMinor(setup.alice)).toBe(before.aliceMinor + 600n);
  expect(await balanceMinor(setup.bob)).toBe(before.bobMinor - 600n);
  expect(setup.system.totalMinor()).toBe(setup.totalMinor);
}

test("two sends of one refund: the one that read the payment after the other's claim replays it", async () => {
  const { system, bob } = setup;
  const before = await paidToBob();
  const { key } = before;

  // Both sends look the key up before either claims it; the second goes on
  // only once the first has claimed it (and reserved 6.00 of the 10.00).
  const store = system.gateway.store;
  const paymentByKey = store.paymentByKey.bind(store);
  const claimRefund = store.claimRefund.bind(store);
  let lookups = 0;
  let secondLookedUp!: () => void;
  const bothLookedUp = new Promise<void>((resolve) => (secondLookedUp = resolve));
  let firstClaimed!: () => void;
  const claimed = new Promise<void>((resolve) => (firstClaimed = resolve));
  store.paymentByKey = async (payer: string, k: string): Promise<PaymentRow | undefined> => {
    if (k !== key) return paymentByKey(payer, k);
    const turn = ++lookups;
    const found = await paymentByKey(payer, k);
    if (turn === 1) await bothLookedUp;
    if (turn === 2) {
      secondLookedUp();
      await claimed;
    }
    return found;
  };
  store.claimRefund = async (claim) => {
    const result = await claimRefund(claim);
    if (claim.row.idempotencyKey === key) firstClaimed();
    return result;
  };
  try {
    const [first, second] = await Promise.all([refund(bob, before.paymentId, 600n, key), refund(bob, before.paymentId, 600n, key)]);
    expect(first).toMatchObject({ replayed: false, refund: { status: "SUCCEEDED", amount_minor: "600" } });
    expect(second).toMatchObject({ replayed: true, refund: { id: first.refund.id, status: "SUCCEEDED", amount_minor: "600" }, original: { refundable_minor: "400" } });
  } finally {
    store.paymentByKey = paymentByKey;
    store.claimRefund = claimRefund;
  }
  expect(lookups).toBeGreaterThanOrEqual(3); // the second looked the key up again before it answered
  await refundedOnce(before);
});

test("a send whose claim answers 'exceeds' because of its own first send's reservation replays it", async () => {
  // PostgreSQL's claim looks the key up before it waits for the original's
  // row lock: a send that found no key, then the first send's reservation,
  // answers "exceeds". That answer, given here once the first send claimed.
  const { system, bob } = setup;
  const before = await paidToBob();
  const { key } = before;
  const store = system.gateway.store;
  const claimRefund = store.claimRefund.bind(store);
  let claims = 0;
  let firstClaimed!: () => void;
  const claimed = new Promise<void>((resolve) => (firstClaimed = resolve));
  store.claimRefund = async (claim) => {
    if (claim.row.idempotencyKey !== key) return claimRefund(claim);
    if (++claims === 1) {
      const result = await claimRefund(claim);
      firstClaimed();
      return result;
    }
    await claimed;
    return { kind: "exceeds", remainingMinor: 400n };
  };
  try {
    const [first, second] = await Promise.all([refund(bob, before.paymentId, 600n, key), refund(bob, before.paymentId, 600n, key)]);
    const [ran, replay] = first.replayed ? [second, first] : [first, second];
    expect(ran).toMatchObject({ replayed: false, refund: { status: "SUCCEEDED", amount_minor: "600" } });
    expect(replay).toMatchObject({ replayed: true, refund: { id: ran.refund.id, amount_minor: "600" } });
  } finally {
    store.claimRefund = claimRefund;
  }
  expect(claims).toBe(2);
  await refundedOnce(before);
});
