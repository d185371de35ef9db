// Proves the phase-two driver runs one resend pass at a time: payments adopted (finishAdopted) while a pass is stuck sending to a bank that does not answer do not start a second pass beside it (both would send the same payments' phase two); the next pass starts once it ends, and the payment finishes with money conserved to the minor unit.
import { expect, setDefaultTimeout, test } from "bun:test";
import type { Coordinator } from "../src/gateway/coordinator";
import { systemWithSignedUpUsers } from "./support/sample-users";
import { balanceMinor, eventually } from "./support/system";

setDefaultTimeout(60_000);
const setup = systemWithSignedUpUsers(["alice", "bob"], { proxied: ["icici"], prepareTimeoutMs: 300 });

/** Counts the driver's passes and how many ran at once, and whether one is sending phase two now. */
function watchPasses(coordinator: Coordinator): { started: number; running: number; runningMax: number; sending: boolean; restore(): void } {
  const internals = coordinator as unknown as { resendPass(): Promise<void> };
  const pass = internals.resendPass;
  const phaseTwo = coordinator.phaseTwo;
  const seen = {
    started: 0,
    running: 0,
    runningMax: 0,
    sending: false,
    restore() {
      internals.resendPass = pass;
      coordinator.phaseTwo = phaseTwo;
    },
  };
  internals.resendPass = async () => {
    seen.started += 1;
    seen.running += 1;
    seen.runningMax = Math.max(seen.runningMax, seen.running);
    try {
      await pass.call(coordinator);
    } finally {
      seen.running -= 1;
      seen.sending = false;
    }
  };
  coordinator.phaseTwo = (payment) => {
    if (seen.running > 0) seen.sending = true;
    return phaseTwo.call(coordinator, payment);
  };
  return seen;
}

test("adopted payments while a pass is stuck on a silent bank: no second pass beside it, the next after it", async () => {
  const { system, alice, bob, totalMinor } = setup;
  const { coordinator } = system.gateway;
  const [aliceBefore, bobBefore] = [await balanceMinor(alice), await balanceMinor(bob)];
  const bankLink = system.proxies.get("icici")!;
  const passes = watchPasses(coordinator);
  try {
    // The payee's bank silent: no vote in time (ABORT), and its Abort unanswered, so the driver's passes keep sending it.
    bankLink.hold();
    const paid = await alice.call("Pay", { idempotency_key: "stuck-pass-1", to_username: "bob", amount_minor: "700", note: "" }, { retry: false });
    expect(paid.payment?.status).toBe("FAILED");
    expect(await eventually(() => passes.sending, 20_000)).toBe(true);
    const startedBefore = passes.started;

    await coordinator.finishAdopted([]);
    // The stuck pass ends (its calls' deadline), and the pass asked for starts after it.
    expect(await eventually(() => passes.started > startedBefore && passes.running === 0, 20_000)).toBe(true);
    expect(passes.runningMax).toBe(1);
  } finally {
    bankLink.heal();
  }
  const finished = await eventually(async () => (await system.gateway.store.counts()).phaseTwoUnfinished === 0, 20_000);
  expect(finished).toBe(true);
  expect(passes.runningMax).toBe(1);
  passes.restore();
  expect(await balanceMinor(alice)).toBe(aliceBefore);
  expect(await balanceMinor(bob)).toBe(bobBefore);
  expect(system.totalMinor()).toBe(totalMinor);
  expect([...system.banks.values()].every((bank) => bank.store.totals().openHolds === 0)).toBe(true);
});
