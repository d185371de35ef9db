// Proves that a connection to a bank that stops making progress is noticed
// and replaced: after a middlebox between the gateway and a bank silently
// loses every byte for seconds and forgets the connections open then (no
// reset reaches either end; a peer host gone looks the same), so that the
// connection in use is dead and the attempts to reconnect meanwhile hang in
// their handshake, payments to that bank succeed again within 10 s of the
// fault healing, and balance reads too. The same after a partition that held
// the bytes and delivered them late, and after one that reset every
// connection. Money is conserved.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import type { GatewayClient } from "../src/client/gateway-client";
import { loadedTotalMinor, pay, sampleAccounts, signUp, startSystem, type TestSystem } from "./support/system";

// Here, not only in the preload: bun applies a preload's default timeout to the first test file of a run only.
setDefaultTimeout(30_000);

const banks = ["hdfc", "icici"];
const recoveryMsMax = 10_000;
let system: TestSystem;
let alice: GatewayClient;
let bob: GatewayClient;
beforeAll(async () => {
  system = await startSystem({ banks, proxied: ["icici"], prepareTimeoutMs: 1_000 });
  alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  bob = await signUp(system, { username: "bob", bank: "icici", account: "2001" });
});
afterAll(async () => {
  await system.stop();
});

/** Pays until a payment succeeds: the milliseconds from `sinceAtMs` until then, or Infinity once `untilAtMs` passed. */
async function msUntilPaymentSucceeds(sinceAtMs: number, untilAtMs: number): Promise<number> {
  while (Date.now() < untilAtMs) {
    const reply = await pay(alice, "bob", 1n).catch(() => undefined);
    if (reply?.payment.status === "SUCCEEDED") return Date.now() - sinceAtMs;
    await Bun.sleep(100);
  }
  return Infinity;
}

const faults = {
  lose: { what: "bytes were lost", lastsMs: 6_000 },
  hold: { what: "bytes were held and delivered late", lastsMs: 2_000 },
  cut: { what: "connections were reset", lastsMs: 2_000 },
} as const;
for (const fault of Object.keys(faults) as (keyof typeof faults)[]) {
  test(`after ${faults[fault].what} for seconds, payments to that bank succeed within 10 s of the fault healing`, async () => {
    const proxy = system.proxies.get("icici")!;
    expect((await pay(alice, "bob", 100n)).payment.status).toBe("SUCCEEDED");
    proxy[fault]();
    // Payments meanwhile cannot succeed; they keep the gateway trying to reach the bank.
    for (const untilAtMs = Date.now() + faults[fault].lastsMs; Date.now() < untilAtMs; ) {
      expect((await pay(alice, "bob", 100n)).payment.status).toBe("FAILED");
    }
    proxy.heal();
    const healedAtMs = Date.now();

    // A read at once: it may wait on a connection attempt made during the fault, which is replaced meanwhile.
    const read = await bob.call("GetBalance", {}, { retry: false });
    expect(BigInt(read.balance_minor)).toBeGreaterThan(120_000n);
    const tookMs = await msUntilPaymentSucceeds(healedAtMs, healedAtMs + recoveryMsMax);
    console.log(`${fault}: a payment succeeded ${tookMs} ms after the fault healed`);
    expect(tookMs).toBeLessThan(recoveryMsMax);
    expect(system.totalMinor()).toBe(loadedTotalMinor(sampleAccounts, banks));
  }, 40_000);
}
