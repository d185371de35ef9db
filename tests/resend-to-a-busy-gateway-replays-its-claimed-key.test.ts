// Proves a busy gateway (its write queue full, so a new claim is refused
// RESOURCE_EXHAUSTED) still answers a resend of a key the first send claimed
// as that payment or refund, a replay, never as a refusal; only a new key is
// told the gateway is busy. Money moves once.
import { expect, setDefaultTimeout, test } from "bun:test";
import { AppError, Code } from "../src/lib/errors";
import { systemWithSignedUpUsers } from "./support/sample-users";
import { balanceMinor, failsWith, pay } from "./support/system";

setDefaultTimeout(30_000);
const setup = systemWithSignedUpUsers(["alice", "bob"]);

const busy = () => new AppError(Code.ResourceExhausted, "the gateway is busy; try again shortly");

test("a payment's and a refund's resend to a busy gateway replay; a new key is told it is busy; money moved once", async () => {
  const { system, alice, bob, totalMinor } = setup;
  const { store } = system.gateway;
  const [aliceBefore, bobBefore] = [await balanceMinor(alice), await balanceMinor(bob)];
  const paid = await pay(alice, "bob", 3_000n, "busy-resend-pay");
  expect(paid.payment.status).toBe("SUCCEEDED");
  const refunded = await bob.call("Refund", { idempotency_key: "busy-resend-refund", payment_id: paid.payment.id, amount_minor: "1000", reason: "" }, { retry: false });
  expect(refunded.refund?.status).toBe("SUCCEEDED");

  const { claim, claimRefund } = store;
  store.claim = async () => {
    throw busy();
  };
  store.claimRefund = async () => {
    throw busy();
  };
  try {
    const again = await alice.call("Pay", { idempotency_key: "busy-resend-pay", to_username: "bob", amount_minor: "3000", note: "" }, { retry: false });
    expect({ replayed: again.replayed, id: again.payment?.id, status: again.payment?.status }).toEqual({ replayed: true, id: paid.payment.id, status: "SUCCEEDED" });
    const refundAgain = await bob.call("Refund", { idempotency_key: "busy-resend-refund", payment_id: paid.payment.id, amount_minor: "1000", reason: "" }, { retry: false });
    expect({ replayed: refundAgain.replayed, id: refundAgain.refund?.id }).toEqual({ replayed: true, id: refunded.refund?.id });
    await failsWith(alice.call("Pay", { idempotency_key: "busy-new-key", to_username: "bob", amount_minor: "3000", note: "" }, { retry: false }), Code.ResourceExhausted);
  } finally {
    Object.assign(store, { claim, claimRefund });
  }
  expect(await balanceMinor(alice)).toBe(aliceBefore - 2_000n);
  expect(await balanceMinor(bob)).toBe(bobBefore + 2_000n);
  expect(system.totalMinor()).toBe(totalMinor);
});
