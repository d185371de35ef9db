// Proves the gateway's store keeps one contract on both engines: the same cases run against SQLite and a real PostgreSQL (users, sessions, claims, first decision stands, a decision for a claim the database lost is UNAVAILABLE, a write that fails fails alone in its group, refunds' reservations, listings, counts).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GatewayStore, User } from "../src/store/gateway-store";
import { AppError, Code } from "../src/lib/errors";
import { SqliteGatewayStore } from "../src/store/gateway-sqlite";
import { PostgresGatewayStore } from "../src/store/gateway-postgres";
import { paymentRows, userRow } from "./support/gateway-rows";
import { sharedPostgres } from "./support/postgres";

setDefaultTimeout(60_000);

const engines: { name: string; open: () => Promise<{ store: GatewayStore; close: () => Promise<void> }> }[] = [
  {
    name: "sqlite",
    async open() {
      const dir = mkdtempSync(join(tmpdir(), "ministripe-store-"));
      const store = new SqliteGatewayStore(join(dir, "gateway.db"));
      return { store, close: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
    },
  },
  {
    name: "postgres",
    async open() {
      const pg = await sharedPostgres();
      const store = await PostgresGatewayStore.open({ url: await pg.createDatabase() }, "g1");
      return { store, close: () => store.close() };
    },
  },
];

const user = (username: string, account: string): User => userRow(username, "hdfc", account);
const payment = paymentRows((n) => `p${String(n).padStart(6, "0")}`);

for (const engine of engines) {
  describe(engine.name, () => {
    let store: GatewayStore;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ store, close } = await engine.open());
      expect(await store.insertUser(user("alice", "1001"))).toBe(true);
      expect(await store.insertUser({ ...user("bob", "2001"), bank: "icici" })).toBe(true);
    });
    afterAll(async () => {
      await close();
    });

    test("a username or an account taken is refused by the schema; users read back as written", async () => {
      expect(await store.insertUser(user("alice", "1009"))).toBe(false);
      expect(await store.insertUser(user("alice2", "1001"))).toBe(false);
      expect(await store.getUser("alice")).toEqual(user("alice", "1001"));
      expect((await store.userOfAccount("icici", "2001"))?.username).toBe("bob");
      expect(await store.getUser("nobody")).toBeUndefined();
      expect((await store.registeredBanks()).sort()).toEqual(["hdfc", "icici"]);
    });

    test("sessions: revoked one by one, or all of a user's by a password change, and none opened on credentials it changed; a TOTP step is used once", async () => {
      const session = (tokenHash: string) => ({ tokenHash, username: "alice", createdAtMs: 1, expiresAtMs: 10_000, revokedAtMs: null, certSha256: "ab".repeat(32) });
      const checked = { passwordHash: "hash-alice", totpSecret: null };
      for (const token of ["t1", "t2", "t3"]) expect(await store.insertSession(session(token), checked)).toBe(true);
      expect(await store.getSession("t1")).toEqual(session("t1"));
      await store.revokeSession("t1", 50);
      expect((await store.getSession("t1"))?.revokedAtMs).toBe(50);
      expect(await store.changePassword("alice", "hash-2", 60)).toBe(2);
      expect((await store.getSession("t2"))?.revokedAtMs).toBe(60);
      expect((await store.getUser("alice"))?.passwordHash).toBe("hash-2");
      // A login that checked the old password, finishing after the change: no session.
      expect(await store.insertSession(session("t-late"), checked)).toBe(false);
      expect(await store.getSession("t-late")).toBeUndefined();
      // Nor one that checked no second factor after MFA came into force.
      await store.setTotpSecret("alice", "SECRET");
      expect(await store.insertSession(session("t-no-otp"), { passwordHash: "hash-2", totpSecret: null })).toBe(false);
      expect(await store.insertSession(session("t-otp"), { passwordHash: "hash-2", totpSecret: "SECRET" })).toBe(true);
      await store.setTotpSecret("alice", null);
      expect(await store.useTotpStep("alice", 7)).toBe(true);
      expect(await store.useTotpStep("alice", 7)).toBe(false);
      expect(await store.useTotpStep("alice", 6)).toBe(false);
      await store.setTotpSecret("alice", "SECRET");
      expect((await store.getUser("alice"))?.totpSecret).toBe("SECRET");
      expect(await store.pruneSessions(20_000)).toBe(4);
    });

    test("a new TOTP secret waits for its first code; the one in force stays until then", async () => {
      await store.setTotpSecret("bob", "OLD");
      await store.setTotpPending("bob", "NEW");
      expect(await store.getUser("bob")).toMatchObject({ totpSecret: "OLD", totpPendingSecret: "NEW" });
      expect(await store.confirmTotp("bob", "OTHER", 9)).toBe(false);
      expect(await store.confirmTotp("bob", "NEW", 9)).toBe(true);
      expect(await store.getUser("bob")).toMatchObject({ totpSecret: "NEW", totpPendingSecret: null, totpLastStep: 9 });
      // The same confirmation sent again (its reply lost) is answered as done; another step of it is not.
      expect(await store.confirmTotp("bob", "NEW", 9)).toBe(true);
      expect(await store.confirmTotp("bob", "NEW", 10)).toBe(false);
      // The confirming code's step is used: the same code cannot log in after.
      expect(await store.useTotpStep("bob", 9)).toBe(false);
      await store.setTotpPending("bob", "NEXT");
      await store.setTotpSecret("bob", null);
      expect(await store.getUser("bob")).toMatchObject({ totpSecret: null, totpPendingSecret: null });
    });

    test("a key is claimed once, even by claims racing; the first decision stands", async () => {
      const key = crypto.randomUUID();
      const claims = await Promise.all(Array.from({ length: 8 }, () => store.claim(payment({ idempotencyKey: key }))));
      expect(claims.filter((c) => c.claimed)).toHaveLength(1);
      const winner = claims.find((c) => c.claimed)!.row;
      for (const c of claims) expect(c.row.id).toBe(winner.id);
      expect((await store.paymentByKey("alice", key))?.id).toBe(winner.id);
      const decided = await store.decide({ id: winner.id, decision: "COMMIT", failureCode: null, failureMessage: null, decidedAtMs: 5_000 }, winner);
      expect(decided.decision).toBe("COMMIT");
      const again = await store.decide({ id: winner.id, decision: "ABORT", failureCode: "prepare_timeout", failureMessage: "late", decidedAtMs: 6_000 });
      expect(again).toMatchObject({ decision: "COMMIT", decidedAtMs: 5_000, failureCode: null });
      expect(await store.decisionsOf([winner.id, "missing"])).toEqual(new Map([[winner.id, "COMMIT"]]));
    });

    test("a decision for a payment whose claim was lost (no row) is UNAVAILABLE, writes nothing, and a bank asking finds it never recorded (presumed abort)", async () => {
      const lost = payment();
      const undecided = { ...lost, decision: null, failureCode: null, failureMessage: null, decidedAtMs: null, phaseTwoDoneAtMs: null, refundOf: null, refundReservedMinor: 0n };
      const commit = { id: lost.id, decision: "COMMIT" as const, failureCode: null, failureMessage: null, decidedAtMs: 5_500 };
      // With the row the caller holds (the executing payment), and without it (a question from a bank, an adopted payment).
      for (const held of [undecided, undefined]) {
        const error = await store.decide(commit, held).then(
          () => undefined,
          (e: unknown) => e as AppError,
        );
        expect(error).toBeInstanceOf(AppError);
        expect(error?.code).toBe(Code.Unavailable);
      }
      expect(await store.getPayment(lost.id)).toBeUndefined();
      expect(await store.decisionsOf([lost.id])).toEqual(new Map());
      // The key is free: the client's resend claims it afresh.
      expect((await store.claim({ ...payment(), idempotencyKey: lost.idempotencyKey })).claimed).toBe(true);
    });

    test("a write that fails among the writes grouped with it fails alone: the others are claimed and decided", async () => {
      // A payee the schema does not know breaks a foreign key: only a bug or
      // a damaged database can write such a row, and only its caller may see it.
      const outcomes = await Promise.allSettled([store.claim(payment()), store.claim(payment({ payee: "nobody" })), store.claim(payment())]);
      expect(outcomes.map((outcome) => outcome.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
      const claimed = outcomes.flatMap((outcome) => (outcome.status === "fulfilled" ? [outcome.value.row] : []));
      const decided = await Promise.allSettled([
        ...claimed.map((row, i) => store.decide({ id: row.id, decision: "COMMIT", failureCode: null, failureMessage: null, decidedAtMs: 6_500 + i }, row)),
        store.claim(payment({ payer: "nobody" })),
      ]);
      expect(decided.map((outcome) => outcome.status)).toEqual(["fulfilled", "fulfilled", "rejected"]);
      for (const row of claimed) expect((await store.getPayment(row.id))?.decision).toBe("COMMIT");
      await Promise.all(claimed.map((row, i) => store.markPhaseTwoDone(row.id, 6_600 + i)));
      expect(await Promise.all(claimed.map(async (row) => (await store.getPayment(row.id))?.phaseTwoDoneAtMs))).toEqual([6_600, 6_601]);
    });

    test("undecided and phase-two-unfinished payments are listed for recovery; listings page newest first", async () => {
      const a = (await store.claim(payment({ createdAtMs: 100 }))).row;
      const b = (await store.claim(payment({ createdAtMs: 101 }))).row;
      expect((await store.listUndecided(101, 10)).map((r) => r.id)).toContain(a.id);
      expect((await store.listUndecided(101, 10)).map((r) => r.id)).not.toContain(b.id);
      await store.decide({ id: a.id, decision: "ABORT", failureCode: "insufficient_funds", failureMessage: "low", decidedAtMs: 7_000 }, a);
      expect((await store.listPhaseTwoUnfinished(undefined, 100)).map((r) => r.id)).toContain(a.id);
      await store.markPhaseTwoDone(a.id, 7_001);
      expect((await store.listPhaseTwoUnfinished(undefined, 100)).map((r) => r.id)).not.toContain(a.id);
      expect((await store.getPayment(a.id))?.phaseTwoDoneAtMs).toBe(7_001);
      const mine = await store.listPaymentsOf("bob", undefined, 500);
      expect(mine.map((r) => r.id)).toEqual([...mine.map((r) => r.id)].sort().reverse());
      expect((await store.listPaymentsOf("bob", b.id, 1)).map((r) => r.id)).toEqual([a.id]);
      expect((await store.listAllPayments(undefined, 2)).map((r) => r.id)).toEqual([b.id, a.id]);
      expect((await store.findPayments(b.id, undefined, 5)).map((r) => r.id)).toEqual([b.id]);
      // A search by user pages as the listings do: the page after b holds a, not b again.
      const payers = (await store.findPayments(a.payer, undefined, 500)).map((r) => r.id);
      expect(payers.slice(0, 2)).toEqual([b.id, a.id]);
      expect((await store.findPayments(a.payer, b.id, 1)).map((r) => r.id)).toEqual([a.id]);
      await store.decide({ id: b.id, decision: "ABORT", failureCode: null, failureMessage: null, decidedAtMs: 7_002 }, b);
    });

    test("refunds reserve the original's remainder: racing ones never exceed it, an abort gives its share back", async () => {
      const original = (await store.claim(payment({ amountMinor: 1_000n }))).row;
      await store.decide({ id: original.id, decision: "COMMIT", failureCode: null, failureMessage: null, decidedAtMs: 8_000 }, original);
      const refund = () => payment({ payer: "bob", payee: "alice", payerBank: "icici", payerAccount: "2001", payeeBank: "hdfc", payeeAccount: "1001", amountMinor: 300n });
      const results = await Promise.all(Array.from({ length: 6 }, () => store.claimRefund({ row: refund(), refundOf: original.id, allRemaining: false })));
      const claimed = results.filter((r) => r.kind === "claimed");
      expect(claimed).toHaveLength(3);
      expect(results.filter((r) => r.kind === "exceeds")).toHaveLength(3);
      expect((await store.getPayment(original.id))?.refundReservedMinor).toBe(900n);
      const [first, second] = claimed.map((r) => (r.kind === "claimed" ? r.row : undefined)!);
      await store.decide({ id: first!.id, decision: "ABORT", failureCode: "insufficient_funds", failureMessage: null, decidedAtMs: 8_100 }, first);
      await store.decide({ id: second!.id, decision: "COMMIT", failureCode: null, failureMessage: null, decidedAtMs: 8_200 }, second);
      expect((await store.getPayment(original.id))?.refundReservedMinor).toBe(600n);
      const rest = await store.claimRefund({ row: refund(), refundOf: original.id, allRemaining: true });
      expect(rest.kind === "claimed" && rest.row.amountMinor).toBe(400n);
      const reused = await store.claimRefund({ row: { ...refund(), idempotencyKey: second!.idempotencyKey }, refundOf: original.id, allRemaining: false });
      expect(reused.kind === "key_used" && reused.row.id).toBe(second!.id);
      expect((await store.refundsOf(original.id, 10)).length).toBe(4);
      expect(await store.refundedTotals([original.id])).toEqual(new Map([[original.id, 300n]]));
      expect(await store.refundViolations(10)).toEqual([]);
      expect(await store.misdirectedRefunds(10)).toEqual([]);
    });

    test("the audit's reads: committed payments per bank with what they moved, counts, keys pruned after their retention", async () => {
      const rows = await store.listCommittedAt("icici", "", 1_000);
      for (const row of rows) {
        const { id, amountMinor, payerBank, payerAccount, payeeBank, payeeAccount, phaseTwoDoneAtMs } = (await store.getPayment(row.id))!;
        expect(row).toEqual({ id, amountMinor, payerBank, payerAccount, payeeBank, payeeAccount, phaseTwoDoneAtMs });
      }
      const committed = rows.map((row) => row.id);
      expect(committed).toEqual([...committed].sort());
      expect(await store.committedAt("icici", committed)).toEqual(new Set(committed));
      expect(await store.committedAt("sbi", committed)).toEqual(new Set());
      const counts = await store.counts();
      expect(counts.succeeded).toBe(committed.length);
      expect(counts.succeeded + counts.failed + counts.undecided).toBe((await store.listAllPayments(undefined, 500)).length);
      expect(await store.countDecidedSince(8_000)).toBeGreaterThan(0);
      const pruned = await store.pruneKeys(0, 1_000_000);
      expect(pruned).toBeGreaterThan(0);
      expect(await store.pruneKeys(0, 1_000_000)).toBe(0);
    });
  });
}
