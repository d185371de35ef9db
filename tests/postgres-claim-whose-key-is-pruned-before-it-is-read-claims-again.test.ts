// Proves a payment's claim on PostgreSQL whose key was taken at its INSERT but pruned (the hourly key pruning, another connection) before its holder was read is not an assertion stopping the gateway: the key is free, the claim tries again and claims it, once.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { PostgresGatewayStore } from "../src/store/gateway-postgres";
import { paymentRows, userRow } from "./support/gateway-rows";
import { sharedPostgres } from "./support/postgres";

setDefaultTimeout(60_000);

let claiming: PostgresGatewayStore;
let pruning: PostgresGatewayStore;
const payment = paymentRows((n) => `pruned${String(n).padStart(4, "0")}`);

beforeAll(async () => {
  const url = await (await sharedPostgres()).createDatabase();
  claiming = await PostgresGatewayStore.open({ url }, "g1");
  pruning = await PostgresGatewayStore.open({ url }, "g2");
  await claiming.insertUser(userRow("alice", "hdfc", "1001"));
  await claiming.insertUser(userRow("bob", "icici", "2001"));
});

afterAll(async () => {
  await claiming?.close();
  await pruning?.close();
});

test("the key's old payment pruned between the claim's INSERT and its read: claimed again, by this payment, once", async () => {
  const key = crypto.randomUUID();
  const old = (await claiming.claim(payment({ idempotencyKey: key, createdAtMs: 1_000 }))).row;
  await claiming.decide({ id: old.id, decision: "ABORT", failureCode: "prepare_timeout", failureMessage: "old", decidedAtMs: 1_500 }, old);

  // The interleaving READ COMMITTED allows, forced: the INSERT met the old key; the prune commits before the holder is read.
  const read = claiming.paymentByKey.bind(claiming);
  let pruned = 0;
  claiming.paymentByKey = async (payer, idempotencyKey) => {
    if (pruned === 0) pruned = await pruning.pruneKeys(0, 2_000);
    return read(payer, idempotencyKey);
  };
  const fresh = payment({ idempotencyKey: key, createdAtMs: 5_000 });
  try {
    const claim = await claiming.claim(fresh);
    expect(pruned).toBe(1);
    expect(claim.claimed).toBe(true);
    expect(claim.row.id).toBe(fresh.id);
  } finally {
    claiming.paymentByKey = read;
  }
  expect((await claiming.paymentByKey("alice", key))?.id).toBe(fresh.id);
  expect((await claiming.getPayment(old.id))?.idempotencyKey).toBeNull();
  // Claimed once: the same key again is the fresh payment's.
  const again = await claiming.claim(payment({ idempotencyKey: key, createdAtMs: 6_000 }));
  expect(again).toMatchObject({ claimed: false, row: { id: fresh.id } });
});
