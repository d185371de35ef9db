// Proves a refund's claim sent again on PostgreSQL while its first attempt is still committing (that attempt's reply cut off at its deadline, its COMMIT slow) finds its own row once the first attempt commits: it is told "claimed" with that row, to be run, reserved once; not "key used" or "exceeds", which would leave the refund claimed, reserved and never run.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { SQL } from "bun";
import { PostgresGatewayStore } from "../src/store/gateway-postgres";
import { paymentRows, userRow } from "./support/gateway-rows";
import { sharedPostgres } from "./support/postgres";

setDefaultTimeout(60_000);
let store: PostgresGatewayStore;
let firstConnection: SQL;
let watcher: SQL;
const payment = paymentRows((n) => `again${String(n).padStart(4, "0")}`);

beforeAll(async () => {
  const url = await (await sharedPostgres()).createDatabase();
  store = await PostgresGatewayStore.open({ url }, "g1");
  await store.insertUser(userRow("alice", "hdfc", "1001"));
  await store.insertUser(userRow("bob", "icici", "2001"));
  firstConnection = new SQL({ url, max: 1 });
  watcher = new SQL({ url, max: 1 });
});
afterAll(async () => {
  await firstConnection?.close();
  await watcher?.close();
  await store?.close();
});

/** The claim's first attempt as the server runs it (the original locked, the refund inserted and reserved), its COMMIT held until `committing` ends; `reserved` resolves once it has done all but commit. */
function firstAttempt(row: ReturnType<typeof payment>, refundOf: string, reserved: () => void, committing: Promise<void>): Promise<unknown> {
  return firstConnection.begin(async (tx) => {
    await tx`SELECT * FROM payments WHERE id = ${refundOf} FOR UPDATE`;
    await tx`INSERT INTO payments (id, payer, idempotency_key, fingerprint, payee, payer_bank, payer_account, payee_bank, payee_account, amount_minor, currency, note, request_id, created_at_ms, coordinator, refund_of)
      VALUES (${row.id}, ${row.payer}, ${row.idempotencyKey}, ${row.fingerprint}, ${row.payee}, ${row.payerBank}, ${row.payerAccount}, ${row.payeeBank}, ${row.payeeAccount}, ${row.amountMinor}, ${row.currency}, ${row.note}, ${row.requestId}, ${row.createdAtMs}, 'g1', ${refundOf})`;
    await tx`UPDATE payments SET refund_reserved_minor = refund_reserved_minor + ${row.amountMinor} WHERE id = ${refundOf}`;
    reserved();
    await committing;
  });
}

/** Until a backend of this database waits for a lock (the second attempt, at the original's row); bounded. */
async function untilOneWaitsForALock(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const [row] = await watcher`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
    if ((row as { n: number }).n > 0) return;
    await Bun.sleep(25);
  }
  throw new Error("the second attempt never waited for the original's lock");
}

for (const [what, amountMinor] of [["part of a payment", 400n], ["all of a payment", 1_000n]] as const) {
  test(`a refund of ${what}, sent again behind its first attempt: claimed, its own row, reserved once`, async () => {
    const original = payment({ amountMinor: 1_000n });
    await store.claim(original);
    await store.decide({ id: original.id, decision: "COMMIT", failureCode: null, failureMessage: null, decidedAtMs: 3_000 });
    const row = payment({ payer: "bob", payee: "alice", payerBank: "icici", payerAccount: "2001", payeeBank: "hdfc", payeeAccount: "1001", amountMinor });
    let commit: () => void = () => {};
    const reserved = Promise.withResolvers<void>();
    const first = firstAttempt(row, original.id, reserved.resolve, new Promise<void>((resolve) => (commit = resolve)));
    await reserved.promise; // the first attempt holds the original's lock, its rows not yet visible
    const again = store.claimRefund({ row, refundOf: original.id, allRemaining: false });
    await untilOneWaitsForALock();
    commit();
    await first;
    const result = await again;
    expect(result.kind).toBe("claimed");
    expect(result.kind === "claimed" && result.row.id).toBe(row.id);
    expect((await store.getPayment(original.id))!.refundReservedMinor).toBe(amountMinor);
  });
}
