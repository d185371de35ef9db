// Proves that with its PostgreSQL server stopped, every call the gateway's request handlers make to the PostgreSQL store (each GatewayStore method, the login throttle's counts, the several-gateway check on the pay path) fails UNAVAILABLE, never with a raw driver error (which a handler answers INTERNAL), and that the same store works again once the server is back.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { AppError, Code } from "../src/lib/errors";
import { limits } from "../src/lib/limits";
import type { GatewayStore, NewPaymentRow } from "../src/store/gateway-store";
import { PostgresGatewayStore } from "../src/store/gateway-postgres";
import { paymentRows } from "./support/gateway-rows";
import { startPostgres, type PgServer } from "./support/postgres";

setDefaultTimeout(60_000);
// The statements that are tried again give up after databaseRetryMs (30 s): shortened here, as other tests shorten their bounds.
const writableLimits = limits as { databaseRetryMs: number };
const databaseRetryMs = limits.databaseRetryMs;
writableLimits.databaseRetryMs = 2_000;

let pg: PgServer | undefined;
let store: PostgresGatewayStore | undefined;
afterAll(async () => {
  writableLimits.databaseRetryMs = databaseRetryMs;
  await store?.close().catch(() => undefined);
  await pg?.destroy();
});

const row: NewPaymentRow = paymentRows(() => "01PGDOWN0000000000000000000")({ idempotencyKey: "key-1", amountMinor: 100n, requestId: "r", createdAtMs: 1 });

/** Every GatewayStore method but the engine's own (a method added to the interface must be added here: the type says so). */
type StoreCalls = { [K in Exclude<keyof GatewayStore, "engine" | "close" | "observeWriteBatches">]: (s: PostgresGatewayStore) => Promise<unknown> };

const storeCalls: StoreCalls = {
  getUser: (s) => s.getUser("carol"),
  userOfAccount: (s) => s.userOfAccount("hdfc", "1001"),
  registeredBanks: (s) => s.registeredBanks(),
  accountOf: (s) => s.accountOf("carol"),
  insertUser: (s) => s.insertUser({ username: "dave", bank: "hdfc", account: "1009", passwordHash: "h", totpSecret: null, totpLastStep: null, totpPendingSecret: null, createdAtMs: 1, passwordChangedAtMs: 1 }),
  changePassword: (s) => s.changePassword("alice", "h2", 2),
  setTotpSecret: (s) => s.setTotpSecret("alice", "S"),
  setTotpPending: (s) => s.setTotpPending("alice", "P"),
  confirmTotp: (s) => s.confirmTotp("alice", "P", 5),
  useTotpStep: (s) => s.useTotpStep("alice", 5),
  insertSession: (s) => s.insertSession({ tokenHash: "b".repeat(64), username: "alice", createdAtMs: 1, expiresAtMs: 2, revokedAtMs: null, certSha256: "c".repeat(64) }, { passwordHash: "hash-alice", totpSecret: null }),
  getSession: (s) => s.getSession("a".repeat(64)),
  revokeSession: (s) => s.revokeSession("a".repeat(64), 3),
  pruneSessions: (s) => s.pruneSessions(1),
  getPayment: (s) => s.getPayment(row.id),
  paymentByKey: (s) => s.paymentByKey("alice", "key-1"),
  claim: (s) => s.claim({ ...row, id: "01PGDOWN0000000000000000001", idempotencyKey: "key-2" }),
  decide: (s) => s.decide({ id: row.id, decision: "COMMIT", failureCode: null, failureMessage: null, decidedAtMs: 2 }),
  markPhaseTwoDone: (s) => s.markPhaseTwoDone(row.id, 3),
  claimRefund: (s) => s.claimRefund({ row: { ...row, id: "01PGDOWN0000000000000000002", payer: "bob", payee: "alice", idempotencyKey: "r-1" }, refundOf: row.id, allRemaining: true }),
  refundsOf: (s) => s.refundsOf(row.id, 10),
  refundedTotals: (s) => s.refundedTotals([row.id]),
  refundViolations: (s) => s.refundViolations(10),
  misdirectedRefunds: (s) => s.misdirectedRefunds(10),
  listUndecided: (s) => s.listUndecided(10, 10),
  listPhaseTwoUnfinished: (s) => s.listPhaseTwoUnfinished(undefined, 10),
  listPaymentsOf: (s) => s.listPaymentsOf("alice", undefined, 10),
  listAllPayments: (s) => s.listAllPayments(undefined, 10),
  findPayments: (s) => s.findPayments("alice", undefined, 10),
  listCommittedAt: (s) => s.listCommittedAt("hdfc", "", 10),
  decisionsOf: (s) => s.decisionsOf([row.id]),
  committedAt: (s) => s.committedAt("hdfc", [row.id]),
  countDecidedSince: (s) => s.countDecidedSince(0),
  counts: (s) => s.counts(),
  pruneKeys: (s) => s.pruneKeys(0, 0),
};

/** What only several gateways on PostgreSQL call on a request path: every login and password check, and every payment. */
const severalCalls: Record<string, (s: PostgresGatewayStore) => Promise<unknown>> = {
  updateLoginFailures: (s) => s.updateLoginFailures(["user:alice@127.0.0.1", "username:alice", "peer:127.0.0.1"], () => 0),
  pruneLoginFailures: (s) => s.pruneLoginFailures(10, 1),
  undecidedElsewhere: (s) => s.undecidedElsewhere([row.id], 10_000),
};

test("database stopped: each store call fails UNAVAILABLE, none with the driver's own error; back up, the store answers again", async () => {
  pg = await startPostgres();
  store = await PostgresGatewayStore.open({ url: await pg.createDatabase() }, "g1");
  for (const [username, bank, account] of [["alice", "hdfc", "1001"], ["bob", "icici", "2001"]] as const) {
    expect(await store.insertUser({ username, bank, account, passwordHash: "h", totpSecret: null, totpLastStep: null, totpPendingSecret: null, createdAtMs: 1, passwordChangedAtMs: 1 })).toBe(true);
  }
  expect((await store.claim(row)).claimed).toBe(true);
  await pg.stop();

  const calls = { ...storeCalls, ...severalCalls };
  const outcomes = await Promise.all(
    Object.entries(calls).map(async ([name, call]) => {
      try {
        await call(store!);
        return `${name}: answered`;
      } catch (error) {
        const what = error instanceof AppError ? error.code : `${(error as Error).constructor?.name} ${(error as { code?: string }).code ?? ""}`;
        return `${name}: ${what}`;
      }
    }),
  );
  expect(outcomes).toEqual(Object.keys(calls).map((name) => `${name}: ${Code.Unavailable}`));

  await pg.start();
  expect((await store.getUser("alice"))?.account).toBe("1001");
  expect(await store.updateLoginFailures(["username:alice"], (entries) => entries[0])).toBeUndefined();
  // Nothing written while the server was down.
  expect((await store.getPayment(row.id))?.decision).toBeNull();
  expect(await store.getUser("dave")).toBeUndefined();
});
