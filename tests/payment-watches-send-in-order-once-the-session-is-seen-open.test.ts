// Proves a WatchPayments stream's rules one by one (src/gateway/watches.ts): payments go out in the order decided, only once the session is seen open, one check covering every payment queued before it ended; nothing is sent after the stream is over; a stream whose client takes nothing is cut, freeing what waits; a user's streams are bounded; a payment reaches its payer's and payee's streams only.
import { expect, test } from "bun:test";
import { PaymentWatches, type WatchStream } from "../src/gateway/watches";
import { limits } from "../src/lib/limits";
import type { PaymentRow } from "../src/store/gateway-store";

function row(id: string, payer = "alice", payee = "bob"): PaymentRow {
  return { id, payer, payee } as PaymentRow;
}

function stream(waiting = () => 0): WatchStream & { sent: string[]; cuts: number } {
  const out = { sent: [] as string[], cuts: 0, send: (r: PaymentRow) => void out.sent.push(r.id), waiting, cut: () => void (out.cuts += 1) };
  return out;
}

test("in order, after one check of the session for every payment queued before it ended; none after the stream ends", async () => {
  let checks = 0;
  let open = true;
  const gate = Promise.withResolvers<void>();
  const watches = new PaymentWatches({
    sessionOpen: async () => {
      checks += 1;
      await gate.promise;
      return open;
    },
  });
  const bob = stream();
  const ended = Promise.withResolvers<void>();
  const watching = watches.watch("bob", "hash", bob, ended.promise, new Promise(() => {}));
  for (const id of ["p1", "p2", "p3"]) watches.tell(row(id));
  watches.tell(row("other", "carol", "dave"));
  expect(bob.sent).toEqual([]); // not before the session is seen open
  gate.resolve();
  await Bun.sleep(10);
  expect(bob.sent).toEqual(["p1", "p2", "p3"]);
  expect(checks).toBe(1);
  open = false;
  watches.tell(row("p4"));
  await expect(watching).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
  watches.tell(row("p5"));
  await Bun.sleep(10);
  expect(bob.sent).toEqual(["p1", "p2", "p3"]);
});

test("a payment waiting for its check when the stream ends is not sent: a write after the end would tear down what is still buffered", async () => {
  const gate = Promise.withResolvers<void>();
  const watches = new PaymentWatches({ sessionOpen: () => gate.promise.then(() => true) });
  const bob = stream();
  const ended = Promise.withResolvers<void>();
  const watching = watches.watch("bob", "hash", bob, ended.promise, new Promise(() => {}));
  watches.tell(row("p1"));
  ended.resolve();
  await watching;
  gate.resolve();
  await Bun.sleep(10);
  expect(bob.sent).toEqual([]);
});

test("a client that takes nothing is cut once too many wait, and nothing more is sent to it", async () => {
  const watches = new PaymentWatches({ sessionOpen: async () => true });
  const full = stream(() => limits.watchMessagesWaitingMax);
  const watching = watches.watch("bob", "hash", full, new Promise(() => {}), new Promise(() => {}));
  watches.tell(row("p1"));
  await watching;
  expect(full.cuts).toBe(1);
  watches.tell(row("p2"));
  await Bun.sleep(10);
  expect(full.sent).toEqual([]);
});

test("a user's streams are bounded; one that ends frees its place", async () => {
  const watches = new PaymentWatches({ sessionOpen: async () => true });
  const ends = Array.from({ length: limits.watchStreamsPerUserMax }, () => Promise.withResolvers<void>());
  const open = ends.map((end) => watches.watch("bob", "hash", stream(), end.promise, new Promise(() => {})));
  await expect(watches.watch("bob", "hash", stream(), new Promise(() => {}), new Promise(() => {}))).rejects.toMatchObject({ code: "RESOURCE_EXHAUSTED" });
  ends[0]!.resolve();
  await open[0];
  const again = Promise.withResolvers<void>();
  const reopened = watches.watch("bob", "hash", stream(), again.promise, new Promise(() => {}));
  again.resolve();
  await reopened;
  for (const end of ends.slice(1)) end.resolve();
  await Promise.all(open);
});
