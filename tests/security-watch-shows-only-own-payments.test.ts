// Proves WatchPayments shows a user only the payments they are party to: while carol watches, alice paying bob reaches bob's stream and never carol's; the next event on carol's stream is the payment alice then makes to her.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { GatewayClient } from "../src/client/gateway-client";
import { pay, signUp, startSystem, type TestSystem } from "./support/system";

let system: TestSystem;
let alice: GatewayClient;
let bob: GatewayClient;
let carol: GatewayClient;

beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc", "icici", "sbi"] });
  alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  bob = await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  carol = await signUp(system, { username: "carol", bank: "sbi", account: "3001" });
});
afterAll(async () => {
  await system.stop();
});

interface Watched {
  id: string;
  payer: string;
  payee: string;
}

const streamDeadlineMs = 20_000;
const eventWaitMsMax = 5_000;

/** A WatchPayments stream whose events are read one at a time, each waited for at most eventWaitMsMax. */
function watch(client: GatewayClient) {
  const received: Watched[] = [];
  const waiters: (() => void)[] = [];
  let ended: Error | undefined;
  const stream = client.stream<Watched>("WatchPayments", {}, streamDeadlineMs, {
    onMessage(payment) {
      received.push(payment);
      waiters.splice(0).forEach((wake) => wake());
    },
    onEnd(error) {
      ended = error ?? new Error("the stream ended");
      waiters.splice(0).forEach((wake) => wake());
    },
  });
  let read = 0;
  return {
    cancel: () => stream.cancel(),
    async next(): Promise<Watched> {
      const deadlineMs = Date.now() + eventWaitMsMax;
      while (read >= received.length) {
        if (ended) throw ended;
        const leftMs = deadlineMs - Date.now();
        if (leftMs <= 0) throw new Error(`no event within ${eventWaitMsMax} ms`);
        await new Promise<void>((wake) => {
          const timer = setTimeout(wake, leftMs);
          waiters.push(() => {
            clearTimeout(timer);
            wake();
          });
        });
      }
      return received[read++]!;
    },
  };
}

test("a payment between alice and bob reaches bob's watch and not carol's", async () => {
  const bobWatch = watch(bob);
  const carolWatch = watch(carol);
  try {
    // Both streams are subscribed once each has seen a payment it is party to.
    const primer = await pay(bob, "carol", 100n);
    expect(primer.payment.status).toBe("SUCCEEDED");
    expect((await bobWatch.next()).id).toBe(primer.payment.id);
    expect((await carolWatch.next()).id).toBe(primer.payment.id);

    const toBob = await pay(alice, "bob", 1_000n);
    expect(toBob.payment.status).toBe("SUCCEEDED");
    expect(await bobWatch.next()).toMatchObject({ id: toBob.payment.id, payer: "alice", payee: "bob" });

    // Pay answers after its payment is told to the watchers, so alice->bob went out
    // before alice->carol was made: carol's next event shows whether she saw it.
    const toCarol = await pay(alice, "carol", 2_000n);
    expect(toCarol.payment.status).toBe("SUCCEEDED");
    expect(await carolWatch.next()).toMatchObject({ id: toCarol.payment.id, payer: "alice", payee: "carol" });
  } finally {
    bobWatch.cancel();
    carolWatch.cancel();
  }
});
