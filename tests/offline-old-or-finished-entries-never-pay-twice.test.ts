// Proves the outbox never pays twice once the gateway may have forgotten a
// key: a finished entry paid again with the same key is looked up, not sent;
// an entry queued longer than the gateway keeps keys is looked up, and if the
// gateway no longer knows it, reported as unknown rather than sent blind; and
// an error that does not prove the payment never ran (a busy gateway among
// them) keeps the entry queued; a refusal an older client stored binds its key
// only if its code is not a refusal's.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { Outbox } from "../src/client/outbox";
import type { GatewayClient } from "../src/client/gateway-client";
import { AppError, Code } from "../src/lib/errors";
import { offlineLimits } from "../src/lib/limits";
import { ClientStore } from "../src/store/client-store";
import { balanceMinor, loadedTotalMinor, sampleAccounts, signUp, startSystem, type TestSystem } from "./support/system";

let system: TestSystem;
let alice: GatewayClient;
let store: ClientStore;
const total = () => loadedTotalMinor(sampleAccounts, ["hdfc", "icici", "sbi"]);

beforeAll(async () => {
  system = await startSystem();
  alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  store = new ClientStore(join(system.dir, "alice-outbox.db"));
});
afterAll(async () => {
  store.close();
  await system.stop();
});

test("paying again with a finished key after the gateway pruned it shows the first payment, moves nothing", async () => {
  const outbox = new Outbox(store, alice);
  const first = await outbox.pay({ username: "alice", toUsername: "bob", amountMinor: 1_000n, note: "", key: "k-finished" });
  expect(first).toMatchObject({ kind: "final", payment: { status: "SUCCEEDED" } });
  expect(await system.gateway.store.pruneKeys(0, Date.now() + 1)).toBeGreaterThan(0); // the key's retention has passed
  const again = await outbox.pay({ username: "alice", toUsername: "bob", amountMinor: 1_000n, note: "", key: "k-finished" });
  expect(again).toMatchObject({ kind: "final", replayed: true });
  expect(again.kind === "final" && first.kind === "final" && again.payment.id === first.payment.id).toBe(true);
  expect(await balanceMinor(alice)).toBe(500_000n - 1_000n);
  expect(system.totalMinor()).toBe(total());
});

test("an entry queued longer than keys are kept is looked up; unknown to the gateway, it is reported, not sent", async () => {
  const longAgoAtMs = Date.now() - offlineLimits.resendBlindMsMax - 60_000;
  store.add({ idempotencyKey: "k-ancient", username: "alice", toUsername: "bob", amountMinor: 2_000n, note: "" }, "nobody-1", longAgoAtMs, 0);
  const outbox = new Outbox(store, alice);
  const before = await balanceMinor(alice);
  const [outcome] = await outbox.sync("alice", 2_000, true);
  expect(outcome).toMatchObject({ kind: "refused", key: "k-ancient" });
  expect(outcome!.kind === "refused" && outcome!.error.message).toContain("check \"ministripe payments\"");
  expect(store.get("k-ancient")).toMatchObject({ state: "failed", failureCode: "outcome_unknown" });
  expect(await balanceMinor(alice)).toBe(before);
  expect(await system.gateway.store.paymentByKey("alice", "k-ancient")).toBeUndefined();
});

test("a CANCELLED, INTERNAL or busy answer keeps the entry queued: the payment may have run", async () => {
  // Busy (RESOURCE_EXHAUSTED) too: it may answer a resend of a key the first send claimed.
  for (const code of [Code.Cancelled, Code.Internal, Code.Unknown, Code.ResourceExhausted]) {
    const failing = { call: async () => { throw new AppError(code, "connection reset mid-call"); } } as unknown as GatewayClient;
    const outbox = new Outbox(store, failing);
    const key = `k-${code}`;
    const outcome = await outbox.pay({ username: "alice", toUsername: "bob", amountMinor: 10n, note: "", key });
    expect(outcome).toMatchObject({ kind: "queued", key });
    expect(store.get(key)!.state).toBe("queued");
  }
  const refusing = { call: async () => { throw new AppError(Code.InvalidArgument, "amount_minor: must be greater than zero"); } } as unknown as GatewayClient;
  const refused = await new Outbox(store, refusing).pay({ username: "alice", toUsername: "bob", amountMinor: 10n, note: "", key: "k-refused" });
  expect(refused).toMatchObject({ kind: "refused" });
  expect(store.get("k-refused")).toBeUndefined(); // refused before it ran: it leaves the queue, its key binds nothing
});
