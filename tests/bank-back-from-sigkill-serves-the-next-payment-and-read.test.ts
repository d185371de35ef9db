// Proves that a bank SIGKILLed and started again is used at once: with
// --prepare-timeout 1s, the gateway's channel to it, deep in reconnect backoff
// after the bank was down for seconds, does not decline the very next payment
// (or balance read) although the bank is listening: calls wait for the
// connection within their deadline and reconnection is prompt.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import type { GatewayClient } from "../src/client/gateway-client";
import { balanceOf, signUpProcess, startProcessSystem, twoBankTotalMinor, type ProcessSystem } from "./support/processes";

// Here, not only in the preload: bun applies a preload's default timeout to the first test file of a run only.
setDefaultTimeout(30_000);

let system: ProcessSystem | undefined;
afterAll(async () => {
  await system?.stop();
});

const downMs = 3_000;

function pay(client: GatewayClient, to: string, amountMinor: bigint) {
  const request = { idempotency_key: crypto.randomUUID(), to_username: to, amount_minor: amountMinor.toString(), note: "" };
  return client.call("Pay", request, { retry: false, deadlineMs: 8_000 });
}

/** Keeps calling while the bank is down, so the channel backs off between failed connection attempts. */
async function whileDown(alice: GatewayClient, bob: GatewayClient): Promise<void> {
  for (const untilAtMs = Date.now() + downMs; Date.now() < untilAtMs; ) {
    const reply = await pay(alice, "bob", 1n);
    expect(reply.payment!.status).toBe("FAILED");
    await bob.call("GetBalance", {}, { retry: false }).catch(() => undefined); // UNAVAILABLE while down
  }
}

test("a bank back from SIGKILL serves the next payment and the next balance read within the 1s prepare timeout", async () => {
  system = await startProcessSystem({ prepareTimeoutMs: 1_000 });
  const alice = await signUpProcess(system, "alice", "hdfc", "1001");
  const bob = await signUpProcess(system, "bob", "icici", "2001");
  expect((await pay(alice, "bob", 100n)).payment!.status).toBe("SUCCEEDED");

  // The payment first.
  await system.cluster.kill("bank-icici");
  await whileDown(alice, bob);
  await system.cluster.restart("bank-icici");
  const first = await pay(alice, "bob", 200n);
  expect(first.payment).toMatchObject({ status: "SUCCEEDED", failure_code: "" });

  // The read first.
  await system.cluster.kill("bank-icici");
  await whileDown(alice, bob);
  await system.cluster.restart("bank-icici");
  const read = await bob.call("GetBalance", {}, { retry: false });
  expect(BigInt(read.balance_minor)).toBe(120_000n + 300n);
  expect((await pay(alice, "bob", 400n)).payment!.status).toBe("SUCCEEDED");

  const aliceMinor = await balanceOf(alice);
  expect(aliceMinor).toBe(500_000n - 700n);
  expect(aliceMinor + (await balanceOf(bob))).toBe(twoBankTotalMinor);
}, 60_000);
