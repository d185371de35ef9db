// Proves the second authorization layer: user A cannot read user B's payment, list it, watch it, or pay from B's account (the payer is always the session's user: the request has no field that could name another, and extra bytes on the wire are ignored). WatchPayments shows a user only the payments they are party to: while carol watches, alice paying bob reaches bob's stream and never carol's.
import { expect, test } from "bun:test";
import protobuf from "protobufjs";
import { services } from "../src/rpc/protos";
import { balanceMinor, bearer, failsWith, pay, rawUnary } from "./support/system";
import { systemWithSignedUpUsers } from "./support/sample-users";
import type { GatewayClient } from "../src/client/gateway-client";

const setup = systemWithSignedUpUsers(["alice", "bob", "carol"], { banks: ["hdfc", "icici", "sbi"] });

test("user A cannot read user B's payment by id, by B's key, or in a list", async () => {
  const { alice, bob, carol } = setup;
  const key = crypto.randomUUID();
  const paid = await pay(bob, "carol", 2_500n, key);
  expect(paid.payment.status).toBe("SUCCEEDED");
  await failsWith(alice.call("GetPayment", { id_or_key: paid.payment.id }, { retry: false }), "PERMISSION_DENIED");
  await failsWith(alice.call("GetPayment", { id_or_key: key }, { retry: false }), "NOT_FOUND"); // keys are scoped to their user
  const listed = await alice.call("ListPayments", { limit: 50 }, { retry: false });
  expect(listed.payments).toEqual([]);
  // Both parties may read it.
  expect((await carol.call("GetPayment", { id_or_key: paid.payment.id }, { retry: false })).id).toBe(paid.payment.id);
});

test("paying from another user's account is impossible by construction", async () => {
  const { system, alice, bob, carol } = setup;
  // 1. The wire has no field for the payer or the source account.
  const payRequest = protobuf.parse(`syntax = "proto3"; message Extra { string idempotency_key = 1; string to_username = 2; int64 amount_minor = 3; string note = 4; string payer = 15; string from_account = 16; }`, { keepCase: true }).root.lookupType("Extra");
  const requestFields = ((services.Gateway.service.Pay as any).requestType.type.field as { name: string }[]).map((f) => f.name).sort();
  expect(requestFields).toEqual(["amount_minor", "idempotency_key", "note", "to_username"]);
  // 2. Alice sends a Pay naming bob as payer in extra fields: the gateway ignores them; alice pays.
  const bytes = Buffer.from(payRequest.encode({ idempotency_key: "sneaky-1", to_username: "carol", amount_minor: 700, note: "", payer: "bob", from_account: "2001" }).finish());
  const [aliceBefore, bobBefore, carolBefore] = [await balanceMinor(alice), await balanceMinor(bob), await balanceMinor(carol)];
  const reply = await rawUnary(alice.gateway, (services.Gateway.service.Pay as any).path, bytes, bearer(alice.token!));
  expect(reply).toMatchObject({ code: 0, details: "" });
  const payment = (services.Gateway.service.Pay as any).responseDeserialize(reply.response).payment;
  expect(payment.payer).toBe("alice");
  expect(await balanceMinor(alice)).toBe(aliceBefore - 700n);
  expect(await balanceMinor(bob)).toBe(bobBefore);
  expect(await balanceMinor(carol)).toBe(carolBefore + 700n);
  // 3. Without alice's session there is no payer at all.
  const anonymous = system.client("client-alice");
  await failsWith(pay(anonymous, "carol", 700n), "UNAUTHENTICATED");
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
  const stream = client.stream("WatchPayments", {}, streamDeadlineMs, {
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
      const deadlineAtMs = Date.now() + eventWaitMsMax;
      while (read >= received.length) {
        if (ended) throw ended;
        const leftMs = deadlineAtMs - Date.now();
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
  const { alice, bob, carol } = setup;
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
