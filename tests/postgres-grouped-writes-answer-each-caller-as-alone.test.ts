// Proves the PostgreSQL engine's grouped statements (claims, decisions, phase-two marks, session reads of one turn sent as one) answer each caller as its own statement would: of two decisions of one payment in one group the first stands for both callers, a refund's ABORT in a group gives its reservation back, and each session read gets its own session (a write that fails alone in its group: the engines' shared suite, gateway-store-engines).
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { PostgresGatewayStore } from "../src/store/gateway-postgres";
import { paymentRows, userRow } from "./support/gateway-rows";
import { sharedPostgres } from "./support/postgres";

setDefaultTimeout(60_000);

let store: PostgresGatewayStore;

const payment = paymentRows((n) => `grp${String(n).padStart(4, "0")}`);
const refundOf = (amountMinor: bigint) => payment({ payer: "bob", payee: "alice", payerBank: "icici", payerAccount: "2001", payeeBank: "hdfc", payeeAccount: "1001", amountMinor });

beforeAll(async () => {
  store = await PostgresGatewayStore.open({ url: await (await sharedPostgres()).createDatabase() }, "g1");
  await store.insertUser(userRow("alice", "hdfc", "1001"));
  await store.insertUser(userRow("bob", "icici", "2001"));
});
afterAll(async () => {
  await store?.close();
});

test("two decisions of one payment in one group: the first stands, and both callers are told it", async () => {
  const [a, b] = (await Promise.all([store.claim(payment()), store.claim(payment())])).map((claim) => claim.row);
  const [first, second, other] = await Promise.all([
    store.decide({ id: a!.id, decision: "COMMIT", failureCode: null, failureMessage: null, decidedAtMs: 9_000 }, a),
    store.decide({ id: a!.id, decision: "ABORT", failureCode: "prepare_timeout", failureMessage: "late", decidedAtMs: 9_001 }, a),
    store.decide({ id: b!.id, decision: "ABORT", failureCode: "insufficient_funds", failureMessage: "low", decidedAtMs: 9_002 }, b),
  ]);
  expect(first).toMatchObject({ id: a!.id, decision: "COMMIT", decidedAtMs: 9_000, failureCode: null });
  expect(second).toMatchObject({ id: a!.id, decision: "COMMIT", decidedAtMs: 9_000, failureCode: null });
  expect(other).toMatchObject({ id: b!.id, decision: "ABORT", failureCode: "insufficient_funds" });
  expect((await store.getPayment(a!.id))?.decision).toBe("COMMIT");
});

test("a refund's ABORT decided in a group with payments gives its reservation back; its COMMIT keeps it", async () => {
  const original = (await store.claim(payment({ amountMinor: 1_000n }))).row;
  await store.decide({ id: original.id, decision: "COMMIT", failureCode: null, failureMessage: null, decidedAtMs: 10_000 }, original);
  const refunds = [];
  for (const amountMinor of [300n, 200n]) {
    const claim = await store.claimRefund({ row: refundOf(amountMinor), refundOf: original.id, allRemaining: false });
    refunds.push(claim.kind === "claimed" ? claim.row : undefined);
  }
  const [aborted, committed] = refunds;
  const plain = (await store.claim(payment())).row;
  expect((await store.getPayment(original.id))?.refundReservedMinor).toBe(500n);
  const decided = await Promise.all([
    store.decide({ id: plain.id, decision: "COMMIT", failureCode: null, failureMessage: null, decidedAtMs: 10_100 }, plain),
    store.decide({ id: aborted!.id, decision: "ABORT", failureCode: "insufficient_funds", failureMessage: "low", decidedAtMs: 10_101 }, aborted),
    store.decide({ id: committed!.id, decision: "COMMIT", failureCode: null, failureMessage: null, decidedAtMs: 10_102 }, committed),
  ]);
  expect(decided.map((row) => row.decision)).toEqual(["COMMIT", "ABORT", "COMMIT"]);
  expect((await store.getPayment(original.id))?.refundReservedMinor).toBe(200n);
  expect(await store.refundViolations(10)).toEqual([]);
});

test("session reads in one group: each gets its own session, an unknown token none", async () => {
  const session = (tokenHash: string, username: string) => ({ tokenHash, username, createdAtMs: 1_000, expiresAtMs: 99_000, revokedAtMs: null, certSha256: `cert-${username}` });
  expect(await store.insertSession(session("t-alice", "alice"), { passwordHash: "hash-alice", totpSecret: null })).toBe(true);
  expect(await store.insertSession(session("t-bob", "bob"), { passwordHash: "hash-bob", totpSecret: null })).toBe(true);
  const read = await Promise.all(["t-bob", "t-unknown", "t-alice", "t-bob"].map((tokenHash) => store.getSession(tokenHash)));
  expect(read.map((found) => found?.username)).toEqual(["bob", undefined, "alice", "bob"]);
});
