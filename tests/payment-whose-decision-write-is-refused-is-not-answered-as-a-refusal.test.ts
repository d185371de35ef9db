// Proves a payment whose key was claimed is never answered with a refusal's
// code, even when the write of its decision is refused (the gateway's write
// queue full): a client frees the key of a refusal, and this key holds a
// payment. The answer is UNAVAILABLE, "taken but not yet decided"; the payment
// is then settled by presumed abort, a resend with its key replays that
// outcome, and no money moves.
import { expect, setDefaultTimeout, test } from "bun:test";
import { AppError, Code, Reason } from "../src/lib/errors";
import { isGatewayAway } from "../src/client/gateway-client";
import { systemWithSignedUpUsers } from "./support/sample-users";
import { balanceMinor, eventually, failsWith } from "./support/system";

setDefaultTimeout(30_000);
const setup = systemWithSignedUpUsers(["alice", "bob"], { prepareTimeoutMs: 300 });

test("a decision write refused by a full queue: UNAVAILABLE, not a refusal; then presumed abort, a replay with the key, nothing moved", async () => {
  const { system, alice, bob, totalMinor } = setup;
  const { coordinator } = system.gateway;
  const decide = coordinator.decide;
  let refused = 0;
  coordinator.decide = async (id, wanted, undecided) => {
    if (refused === 0) {
      refused += 1;
      throw new AppError(Code.ResourceExhausted, "the gateway is busy; try again shortly");
    }
    return decide.call(coordinator, id, wanted, undecided);
  };
  const [aliceBefore, bobBefore] = [await balanceMinor(alice), await balanceMinor(bob)];
  try {
    const request = { idempotency_key: "busy-decision-1", to_username: "bob", amount_minor: "2500", note: "" };
    const error = await failsWith(alice.call("Pay", request, { retry: false }), Code.Unavailable);
    expect(error.message).toContain("the payment was taken but not yet decided");
    expect(error.message).toContain("send it again with the same key");
    // The gateway answered: the client says its words, not "cannot reach the gateway", and does not take it for away.
    expect(error.message).not.toContain("cannot reach");
    expect((error as AppError).reason).toBe(Reason.SendAgain);
    expect(isGatewayAway(error as AppError)).toBe(false);
    expect(refused).toBe(1);

    // Presumed abort settles it; the key then answers with that outcome.
    const settled = await eventually(async () => (await alice.call("GetPayment", { id_or_key: "busy-decision-1" }, { retry: false })).status === "FAILED", 20_000);
    expect(settled).toBe(true);
    const again = await alice.call("Pay", request, { retry: false });
    expect(again.replayed).toBe(true);
    expect(again.payment?.status).toBe("FAILED");
  } finally {
    coordinator.decide = decide;
  }
  expect(await balanceMinor(alice)).toBe(aliceBefore);
  expect(await balanceMinor(bob)).toBe(bobBefore);
  expect(system.totalMinor()).toBe(totalMinor);
});
