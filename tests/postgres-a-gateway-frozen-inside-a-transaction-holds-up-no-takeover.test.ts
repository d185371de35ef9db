// Proves a gateway frozen (SIGSTOP, a paused VM) in the middle of one of its transactions on PostgreSQL holds up another gateway's takeover only briefly: the server ends a gateway connection's transaction left idle for limits.databaseIdleInTransactionMs, so its row locks go, the frozen work is rolled back, and the other gateway adopts every payment of the silent one.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { SQL } from "bun";
import { limits } from "../src/lib/limits";
import { PostgresGatewayStore } from "../src/store/gateway-postgres";
import { paymentRows, userRow } from "./support/gateway-rows";
import { sharedPostgres } from "./support/postgres";

setDefaultTimeout(60_000);
let url: string;
let a: PostgresGatewayStore;
let b: PostgresGatewayStore;
const payment = paymentRows((n) => `frozen${String(n).padStart(4, "0")}`);

beforeAll(async () => {
  url = await (await sharedPostgres()).createDatabase();
  a = await PostgresGatewayStore.open({ url }, "gA");
  b = await PostgresGatewayStore.open({ url }, "gB");
  expect(await a.takeName(2_000)).toBe(true);
  expect(await b.takeName(2_000)).toBe(true);
  await a.insertUser(userRow("alice", "hdfc", "1001"));
  await a.insertUser(userRow("bob", "icici", "2001"));
});
afterAll(async () => {
  await a?.close();
  await b?.close();
});

test("gateway A frozen inside a refund's abort: B adopts all of A's payments once the server ends A's idle transaction", async () => {
  const original = payment({ amountMinor: 1_000n });
  await a.claim(original);
  await a.decide({ id: original.id, decision: "COMMIT", failureCode: null, failureMessage: null, decidedAtMs: 3_000 });
  await a.markPhaseTwoDone(original.id, 3_001);
  const refund = payment({ payer: "bob", payee: "alice", payerBank: "icici", payerAccount: "2001", payeeBank: "hdfc", payeeAccount: "1001", amountMinor: 400n });
  expect((await a.claimRefund({ row: refund, refundOf: original.id, allRemaining: false })).kind).toBe("claimed");
  const other = payment({ amountMinor: 50n }); // another payment of A's, never prepared
  expect((await a.claim(other)).claimed).toBe(true);

  // On A's own pool: a refund's abort and release, frozen between its two statements (A stopped mid-transaction).
  let thaw: () => void = () => {};
  const frozenUntil = new Promise<void>((resolve) => (thaw = resolve));
  const stuck = a.sql
    .begin(async (tx) => {
      await tx`UPDATE payments SET decision = 'ABORT', failure_code = 'prepare_timeout', failure_message = 'frozen', decided_at_ms = 5000 WHERE id = ${refund.id} AND decision IS NULL`;
      await frozenUntil;
      await tx`UPDATE payments SET refund_reserved_minor = refund_reserved_minor - 400 WHERE id = ${original.id}`;
    })
    .then(
      () => "committed",
      () => "ended by the server",
    );
  await Bun.sleep(200);
  // A falls silent.
  const admin = new SQL({ url, max: 1 });
  await admin`UPDATE gateways SET beat_at = now() - INTERVAL '1 hour' WHERE name = 'gA'`;
  await admin.close();

  try {
    // A bound, not a speed check: without the server's limit the adoption waits for as long as A stays frozen.
    const waitMsMax = limits.databaseIdleInTransactionMs + 10_000;
    const adopted = await Promise.race([b.adoptOrphans(2_000, 100), Bun.sleep(waitMsMax).then(() => undefined)]);
    expect(adopted?.map((row) => row.id).sort()).toEqual([other.id, refund.id].sort());
  } finally {
    thaw();
  }
  expect(await stuck).toBe("ended by the server");
  // Nothing of the frozen transaction stands: the refund is undecided, its reservation still held, for B to finish.
  expect((await b.getPayment(refund.id))?.decision ?? null).toBeNull();
});
