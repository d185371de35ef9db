// The gateway's SQLite engine (one gateway, the default): users, sessions and
// payments. Payment rows are also the coordinator's log. SqliteGatewayRows
// reads and writes rows synchronously; SqliteGatewayStore is the engine-neutral
// GatewayStore over it, with the coordinator's writes grouped into one
// transaction per turn of the event loop (group-commit.ts). Only rows here;
// the protocol lives in src/gateway.
import { and, asc, desc, eq, gt, isNotNull, isNull, lt, or, sql } from "drizzle-orm";
import { sqliteTable, text } from "drizzle-orm/sqlite-core";
import { assert } from "../lib/assert";
import { BoundedCache } from "../lib/bounded-cache";
import { limits } from "../lib/limits";
import { minor, ms } from "./columns";
import { changesOf, notRecorded, type Durability } from "./sqlite";
import type { CommittedPayment, Decision, DecisionWrite, GatewayStore, NewPaymentRow, PaymentCounts, PaymentRow, RefundClaim, RefundClaimResult, RefundViolation, Session, SessionCredentials, User } from "./gateway-store";
import { claimLost } from "./gateway-store";
import { GroupCommit } from "./group-commit";
import { Store } from "./store";
import init from "./migrations/gateway/0001_init.sql" with { type: "text" };
import totpLastStep from "./migrations/gateway/0002_totp_last_step.sql" with { type: "text" };
import refunds from "./migrations/gateway/0003_refunds.sql" with { type: "text" };
import sessionCertificate from "./migrations/gateway/0004_session_certificate.sql" with { type: "text" };
import totpPendingSecret from "./migrations/gateway/0005_totp_pending_secret.sql" with { type: "text" };

export const users = sqliteTable("users", {
  username: text("username").primaryKey(),
  bank: text("bank").notNull(),
  account: text("account").notNull(),
  passwordHash: text("password_hash").notNull(),
  totpSecret: text("totp_secret"),
  totpLastStep: ms("totp_last_step"),
  totpPendingSecret: text("totp_pending_secret"),
  createdAtMs: ms("created_at_ms").notNull(),
  passwordChangedAtMs: ms("password_changed_at_ms").notNull(),
});

export const sessions = sqliteTable("sessions", {
  tokenHash: text("token_hash").primaryKey(),
  username: text("username").notNull(),
  createdAtMs: ms("created_at_ms").notNull(),
  expiresAtMs: ms("expires_at_ms").notNull(),
  revokedAtMs: ms("revoked_at_ms"),
  /** SHA-256 of the DER of the client certificate the session was opened over, hex. */
  certSha256: text("cert_sha256").notNull(),
});

export const payments = sqliteTable("payments", {
  id: text("id").primaryKey(),
  payer: text("payer").notNull(),
  idempotencyKey: text("idempotency_key"),
  fingerprint: text("fingerprint").notNull(),
  payee: text("payee").notNull(),
  payerBank: text("payer_bank").notNull(),
  payerAccount: text("payer_account").notNull(),
  payeeBank: text("payee_bank").notNull(),
  payeeAccount: text("payee_account").notNull(),
  amountMinor: minor("amount_minor").notNull(),
  currency: text("currency").notNull(),
  note: text("note").notNull(),
  requestId: text("request_id").notNull(),
  decision: text("decision").$type<Decision>(),
  failureCode: text("failure_code"),
  failureMessage: text("failure_message"),
  createdAtMs: ms("created_at_ms").notNull(),
  decidedAtMs: ms("decided_at_ms"),
  phaseTwoDoneAtMs: ms("phase_two_done_at_ms"),
  /** On a refund: the payment it refunds. */
  refundOf: text("refund_of"),
  /** On a payment: its refunds' total that is not aborted (undecided or succeeded). */
  refundReservedMinor: minor("refund_reserved_minor").notNull().default(0n),
});


// The tables' rows are the engine-neutral ones, field for field.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const rowsMatch: [Same<typeof users.$inferSelect, User>, Same<typeof sessions.$inferSelect, Session>, Same<typeof payments.$inferSelect, PaymentRow>] = [true, true, true];
void rowsMatch;

export class SqliteGatewayRows extends Store {
  private readonly q;
  /**
   * The session and both users are read on every payment. This process is the
   * only writer of its database, and every write below drops what it changes
   * (a write never fills the cache, so a rolled-back one leaves nothing stale).
   */
  private readonly usersCached = new BoundedCache<string, User>(limits.cachedRowsMax);
  private readonly sessionsCached = new BoundedCache<string, Session>(limits.cachedRowsMax);

  constructor(path: string, durability: Durability = "full") {
    super(path, [
      { id: "gateway/0001_init", sql: init },
      { id: "gateway/0002_totp_last_step", sql: totpLastStep },
      { id: "gateway/0003_refunds", sql: refunds },
      { id: "gateway/0004_session_certificate", sql: sessionCertificate },
      { id: "gateway/0005_totp_pending_secret", sql: totpPendingSecret },
    ], durability);
    const db = this.opened.db;
    const p = sql.placeholder;
    this.q = {
      user: db.select().from(users).where(eq(users.username, p("username"))).prepare(),
      session: db.select().from(sessions).where(eq(sessions.tokenHash, p("tokenHash"))).prepare(),
      payment: db.select().from(payments).where(eq(payments.id, p("id"))).prepare(),
      decision: db.select({ decision: payments.decision }).from(payments).where(eq(payments.id, p("id"))).prepare(),
      paymentByKey: db
        .select()
        .from(payments)
        .where(and(eq(payments.payer, p("payer")), eq(payments.idempotencyKey, p("key"))))
        .prepare(),
      claim: db
        .insert(payments)
        .values({
          id: p("id"),
          payer: p("payer"),
          idempotencyKey: p("idempotencyKey"),
          fingerprint: p("fingerprint"),
          payee: p("payee"),
          payerBank: p("payerBank"),
          payerAccount: p("payerAccount"),
          payeeBank: p("payeeBank"),
          payeeAccount: p("payeeAccount"),
          amountMinor: p("amountMinor"),
          currency: p("currency"),
          note: p("note"),
          requestId: p("requestId"),
          createdAtMs: p("createdAtMs"),
          refundOf: p("refundOf"),
        })
        .onConflictDoNothing()
        .prepare(),
      decide: db
        .update(payments)
        .set({
          decision: sql`${p("decision")}`,
          failureCode: sql`${p("failureCode")}`,
          failureMessage: sql`${p("failureMessage")}`,
          decidedAtMs: sql`${p("decidedAtMs")}`,
        })
        .where(and(eq(payments.id, p("id")), isNull(payments.decision)))
        .prepare(),
      reserveRefund: db
        .update(payments)
        .set({ refundReservedMinor: sql`${payments.refundReservedMinor} + ${p("amountMinor")}` })
        .where(
          and(
            eq(payments.id, p("id")),
            eq(payments.decision, "COMMIT"),
            isNull(payments.refundOf),
            sql`${payments.refundReservedMinor} + ${p("amountMinor")} <= ${payments.amountMinor}`,
          ),
        )
        .prepare(),
      releaseRefund: this.opened.sqlite.query<unknown, { id: string }>(
        `UPDATE payments SET refund_reserved_minor = refund_reserved_minor - (SELECT r.amount_minor FROM payments r WHERE r.id = $id)
          WHERE id = (SELECT r.refund_of FROM payments r WHERE r.id = $id)`,
      ),
      refunded: this.opened.sqlite.query<{ total: bigint | null }, { id: string }>(
        "SELECT SUM(amount_minor) AS total FROM payments WHERE refund_of = $id AND decision = 'COMMIT'",
      ),
      phaseTwoDone: db
        .update(payments)
        .set({ phaseTwoDoneAtMs: sql`${p("atMs")}` })
        .where(and(eq(payments.id, p("id")), isNull(payments.phaseTwoDoneAtMs)))
        .prepare(),
    };
  }

  // --- users and sessions -------------------------------------------------

  getUser(username: string): User | undefined {
    return this.usersCached.get(username, () => this.q.user.get({ username }));
  }

  userOfAccount(bank: string, account: string): User | undefined {
    return this.opened.db.select().from(users).where(and(eq(users.bank, bank), eq(users.account, account))).get();
  }

  registeredBanks(): string[] {
    return this.opened.db.selectDistinct({ bank: users.bank }).from(users).all().map((row) => row.bank);
  }

  /** false when the username or the account is taken (the schema decides, not an if). */
  insertUser(user: User): boolean {
    return changesOf(this.opened.db.insert(users).values(user).onConflictDoNothing().run()) > 0;
  }

  setPassword(username: string, passwordHash: string, atMs: number): void {
    this.usersCached.delete(username);
    this.opened.db.update(users).set({ passwordHash, passwordChangedAtMs: atMs }).where(eq(users.username, username)).run();
  }

  setTotpSecret(username: string, secret: string | null): void {
    this.usersCached.delete(username);
    this.opened.db.update(users).set({ totpSecret: secret, totpLastStep: null, totpPendingSecret: null }).where(eq(users.username, username)).run();
  }

  setTotpPending(username: string, secret: string): void {
    this.usersCached.delete(username);
    this.opened.db.update(users).set({ totpPendingSecret: secret }).where(eq(users.username, username)).run();
  }

  confirmTotp(username: string, secret: string, step: number): boolean {
    this.usersCached.delete(username);
    const confirmed = this.opened.db
      .update(users)
      .set({ totpSecret: secret, totpLastStep: step, totpPendingSecret: null })
      // Or confirmed already with this code (a confirmation sent again): as the PostgreSQL engine answers it.
      .where(and(eq(users.username, username), or(eq(users.totpPendingSecret, secret), and(eq(users.totpSecret, secret), eq(users.totpLastStep, step), isNull(users.totpPendingSecret)))))
      .run();
    return changesOf(confirmed) > 0;
  }

  /** Records a TOTP time step as used; false when it (or a later one) was used already: a replayed code. */
  useTotpStep(username: string, step: number): boolean {
    this.usersCached.delete(username);
    return (
      changesOf(
        this.opened.db
          .update(users)
          .set({ totpLastStep: step })
          .where(and(eq(users.username, username), or(isNull(users.totpLastStep), lt(users.totpLastStep, step))))
          .run(),
      ) > 0
    );
  }

  insertSession(session: Session, checked: SessionCredentials): boolean {
    // One statement (SQLite has one writer): the user row read and the session written with nothing in between.
    const result = this.opened.sqlite
      .query(
        `INSERT INTO sessions (token_hash, username, created_at_ms, expires_at_ms, revoked_at_ms, cert_sha256)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6 FROM users WHERE username = ?2 AND password_hash = ?7 AND totp_secret IS ?8`,
      )
      .run(session.tokenHash, session.username, session.createdAtMs, session.expiresAtMs, session.revokedAtMs, session.certSha256, checked.passwordHash, checked.totpSecret);
    return changesOf(result) > 0;
  }

  getSession(tokenHash: string): Session | undefined {
    return this.sessionsCached.get(tokenHash, () => this.q.session.get({ tokenHash }));
  }

  revokeSession(tokenHash: string, atMs: number): void {
    this.sessionsCached.delete(tokenHash);
    this.opened.db.update(sessions).set({ revokedAtMs: atMs }).where(and(eq(sessions.tokenHash, tokenHash), isNull(sessions.revokedAtMs))).run();
  }

  /** Sets the password and ends every open session of the user, in one transaction. */
  changePassword(username: string, passwordHash: string, atMs: number): number {
    return this.transaction(() => {
      this.setPassword(username, passwordHash, atMs);
      return this.revokeSessionsOf(username, atMs);
    });
  }

  revokeSessionsOf(username: string, atMs: number): number {
    this.sessionsCached.deleteWhere((session) => session.username === username);
    return changesOf(this.opened.db
      .update(sessions)
      .set({ revokedAtMs: atMs })
      .where(and(eq(sessions.username, username), isNull(sessions.revokedAtMs)))
      .run());
  }

  pruneSessions(expiredBeforeAtMs: number): number {
    this.sessionsCached.clear();
    return changesOf(this.opened.db.delete(sessions).where(lt(sessions.expiresAtMs, expiredBeforeAtMs)).run());
  }

  // --- payments -----------------------------------------------------------

  getPayment(id: string): PaymentRow | undefined {
    return this.q.payment.get({ id });
  }

  paymentByKey(payer: string, key: string): PaymentRow | undefined {
    return this.q.paymentByKey.get({ payer, key });
  }

  /** Inserts the payment unless the payer already used this key; returns the row that holds the key. */
  claim(row: NewPaymentRow): { claimed: boolean; row: PaymentRow } {
    // The row is built from what was written, not read back: every payment
    // would otherwise pay for 19 columns turned into JS values twice.
    if (changesOf(this.q.claim.run({ ...row, refundOf: null })) > 0) return { claimed: true, row: undecidedRow(row, null) };
    const holder = this.paymentByKey(row.payer, row.idempotencyKey!);
    assert(holder, "a claimed key has a payment row");
    return { claimed: false, row: holder };
  }

  /**
   * Records a decision unless one exists; returns the row with the decision
   * that stands. `undecided`, the row as the caller holds it, saves reading it back.
   */
  decide(write: DecisionWrite, undecided?: PaymentRow): PaymentRow {
    // A savepoint inside the caller's transaction: the decision and the
    // release of a refund's reservation are written together or not at all.
    const changed = this.opened.sqlite.transaction(() => {
      const decided = changesOf(this.q.decide.run({ ...write })) > 0;
      if (decided && write.decision === "ABORT") this.releaseRefundReservation(write.id);
      return decided;
    })();
    if (changed && undecided) {
      assert(undecided.id === write.id && undecided.decision === null, "the row given is this undecided payment");
      return { ...undecided, decision: write.decision, failureCode: write.failureCode, failureMessage: write.failureMessage, decidedAtMs: write.decidedAtMs };
    }
    const row = this.getPayment(write.id);
    if (!row) throw claimLost(write.id);
    assert(row.decision, `payment ${write.id} has a decision after deciding`);
    return row;
  }

  // --- refunds -------------------------------------------------------------

  /**
   * Claims a refund: its key, its row and its reservation of the original's
   * remainder in one transaction (a savepoint inside the caller's), so racing
   * refunds never together reserve more than the payment's amount. The
   * reservation's UPDATE is conditional and the CHECK on the column backs it.
   */
  claimRefund(claim: RefundClaim): RefundClaimResult {
    return this.opened.sqlite.transaction((): RefundClaimResult => {
      const holder = this.paymentByKey(claim.row.payer, claim.row.idempotencyKey!);
      if (holder) return { kind: "key_used", row: holder };
      const original = this.getPayment(claim.refundOf);
      assert(original && original.decision === "COMMIT" && original.refundOf === null, "a refund is claimed against a succeeded payment");
      const remainingMinor = original.amountMinor - original.refundReservedMinor;
      const amountMinor = claim.allRemaining ? remainingMinor : claim.row.amountMinor;
      if (amountMinor <= 0n || amountMinor > remainingMinor) return { kind: "exceeds", remainingMinor };
      const row = { ...claim.row, amountMinor };
      if (changesOf(this.q.claim.run({ ...row, refundOf: claim.refundOf })) === 0) {
        const used = this.paymentByKey(row.payer, row.idempotencyKey!);
        assert(used, "a claimed key has a payment row");
        return { kind: "key_used", row: used };
      }
      if (changesOf(this.q.reserveRefund.run({ id: claim.refundOf, amountMinor })) === 0) {
        // Another writer (another gateway on a shared database) reserved first.
        this.opened.db.delete(payments).where(eq(payments.id, row.id)).run();
        const now = this.getPayment(claim.refundOf)!;
        return { kind: "exceeds", remainingMinor: now.amountMinor - now.refundReservedMinor };
      }
      return { kind: "claimed", row: undecidedRow(row, claim.refundOf) };
    })();
  }

  /**
   * Gives a refund's amount back to its original's remainder. Only as the
   * refund is aborted, in the same transaction (see decide); a no-op for a
   * payment that is not a refund.
   */
  releaseRefundReservation(refundId: string): void {
    this.q.releaseRefund.run({ id: refundId });
  }

  /** A payment's refunds, newest first. */
  refundsOf(paymentId: string, limit: number): PaymentRow[] {
    return this.opened.db.select().from(payments).where(eq(payments.refundOf, paymentId)).orderBy(desc(payments.id)).limit(limit).all();
  }

  /** The total of each payment's SUCCEEDED refunds (absent: none). */
  refundedTotals(paymentIds: string[]): Map<string, bigint> {
    const totals = new Map<string, bigint>();
    for (const id of paymentIds) {
      const row = this.q.refunded.get({ id });
      if (row && row.total !== null) totals.set(id, BigInt(row.total));
    }
    return totals;
  }

  /**
   * Payments whose succeeded refunds exceed them, or whose reservation is not
   * the total of their refunds not aborted (a scan, for the audit).
   */
  refundViolations(limit: number): RefundViolation[] {
    const rows = this.opened.sqlite
      .query<{ id: string; amount_minor: bigint; reserved: bigint; refunded: bigint | null; not_aborted: bigint | null }, [number]>(
        `SELECT p.id, p.amount_minor, p.refund_reserved_minor AS reserved,
                SUM(CASE WHEN r.decision = 'COMMIT' THEN r.amount_minor ELSE 0 END) AS refunded,
                SUM(CASE WHEN r.decision IS NULL OR r.decision = 'COMMIT' THEN r.amount_minor ELSE 0 END) AS not_aborted
           FROM payments p LEFT JOIN payments r ON r.refund_of = p.id
          WHERE p.refund_reserved_minor > 0 OR p.id IN (SELECT refund_of FROM payments WHERE refund_of IS NOT NULL)
          GROUP BY p.id
         HAVING COALESCE(refunded, 0) > p.amount_minor OR COALESCE(not_aborted, 0) <> p.refund_reserved_minor
          LIMIT ?`,
      )
      .all(limit);
    return rows.map((row) => ({
      paymentId: row.id,
      amountMinor: BigInt(row.amount_minor),
      refundedMinor: BigInt(row.refunded ?? 0n),
      reservedMinor: BigInt(row.reserved),
      notAbortedMinor: BigInt(row.not_aborted ?? 0n),
    }));
  }

  /** Refunds that do not mirror their original (not a succeeded payment, or other parties or accounts). */
  misdirectedRefunds(limit: number): string[] {
    return this.opened.sqlite
      .query<{ id: string }, [number]>(
        `SELECT r.id FROM payments r JOIN payments p ON p.id = r.refund_of
          WHERE p.decision IS NOT 'COMMIT' OR p.refund_of IS NOT NULL
             OR r.payer <> p.payee OR r.payee <> p.payer
             OR r.payer_bank <> p.payee_bank OR r.payer_account <> p.payee_account
             OR r.payee_bank <> p.payer_bank OR r.payee_account <> p.payer_account
          LIMIT ?`,
      )
      .all(limit)
      .map((row) => row.id);
  }

  markPhaseTwoDone(id: string, atMs: number): void {
    this.q.phaseTwoDone.run({ id, atMs });
  }

  /** Undecided payments created before the cut-off, oldest first. */
  listUndecided(createdBeforeAtMs: number, limit: number): PaymentRow[] {
    return this.opened.db
      .select()
      .from(payments)
      .where(and(isNull(payments.decision), lt(payments.createdAtMs, createdBeforeAtMs)))
      .orderBy(asc(payments.createdAtMs))
      .limit(limit)
      .all();
  }

  /** Decided payments some participant has not acknowledged, in (decided_at, id) order after a cursor. */
  listPhaseTwoUnfinished(after: { decidedAtMs: number; id: string } | undefined, limit: number): PaymentRow[] {
    const unfinished = and(isNotNull(payments.decision), isNull(payments.phaseTwoDoneAtMs));
    const afterCursor = after
      ? or(gt(payments.decidedAtMs, after.decidedAtMs), and(eq(payments.decidedAtMs, after.decidedAtMs), gt(payments.id, after.id)))
      : undefined;
    return this.opened.db
      .select()
      .from(payments)
      .where(and(unfinished, afterCursor))
      .orderBy(asc(payments.decidedAtMs), asc(payments.id))
      .limit(limit)
      .all();
  }

  /** A user's payments, sent or received, newest first. */
  listPaymentsOf(username: string, beforeId: string | undefined, limit: number): PaymentRow[] {
    const mine = or(eq(payments.payer, username), eq(payments.payee, username));
    return this.opened.db
      .select()
      .from(payments)
      .where(beforeId ? and(mine, lt(payments.id, beforeId)) : mine)
      .orderBy(desc(payments.id))
      .limit(limit)
      .all();
  }

  /** Payments whose id or idempotency key (of any payer) is `query`, or whose payer or payee it names; newest first. */
  findPayments(query: string, beforeId: string | undefined, limit: number): PaymentRow[] {
    const matching = or(eq(payments.id, query), eq(payments.idempotencyKey, query), eq(payments.payer, query), eq(payments.payee, query));
    return this.opened.db
      .select()
      .from(payments)
      .where(beforeId ? and(matching, lt(payments.id, beforeId)) : matching)
      .orderBy(desc(payments.id))
      .limit(limit)
      .all();
  }

  listAllPayments(beforeId: string | undefined, limit: number): PaymentRow[] {
    return this.opened.db
      .select()
      .from(payments)
      .where(beforeId ? lt(payments.id, beforeId) : undefined)
      .orderBy(desc(payments.id))
      .limit(limit)
      .all();
  }

  /** Committed payments touching a bank (what each moves, and where), in id order, after a cursor. */
  listCommittedAt(bank: string, afterId: string, limit: number): CommittedPayment[] {
    const { id, amountMinor, payerBank, payerAccount, payeeBank, payeeAccount, phaseTwoDoneAtMs } = payments;
    return this.opened.db
      .select({ id, amountMinor, payerBank, payerAccount, payeeBank, payeeAccount, phaseTwoDoneAtMs })
      .from(payments)
      .where(and(eq(payments.decision, "COMMIT"), or(eq(payments.payerBank, bank), eq(payments.payeeBank, bank)), gt(payments.id, afterId)))
      .orderBy(asc(payments.id))
      .limit(limit)
      .all();
  }

  decisionsOf(ids: string[]): Map<string, Decision | null> {
    const found = new Map<string, Decision | null>();
    // The decision column only: the audit asks about every committed payment.
    for (const id of ids) {
      const row = this.q.decision.get({ id });
      if (row) found.set(id, row.decision);
    }
    return found;
  }

  /** Of `ids`, those the coordinator committed with `bank` as the payer's or the payee's bank. */
  committedAt(bank: string, ids: string[]): Set<string> {
    const found = new Set<string>();
    for (const id of ids) {
      const row = this.getPayment(id);
      if (row?.decision === "COMMIT" && (row.payerBank === bank || row.payeeBank === bank)) found.add(id);
    }
    return found;
  }

  /** Payments decided at or after `sinceAtMs` (a scan: for the audit, not a hot path). */
  countDecidedSince(sinceAtMs: number): number {
    return Number(this.opened.sqlite.query<{ n: bigint }, [number]>("SELECT COUNT(*) AS n FROM payments WHERE decided_at_ms >= ?").get(sinceAtMs)!.n);
  }

  counts(): PaymentCounts {
    const row = this.opened.sqlite
      .query<{ ok: bigint | null; failed: bigint | null; undecided: bigint | null; unfinished: bigint | null }, []>(
        `SELECT SUM(decision = 'COMMIT') AS ok, SUM(decision = 'ABORT') AS failed, SUM(decision IS NULL) AS undecided,
                SUM(decision IS NOT NULL AND phase_two_done_at_ms IS NULL) AS unfinished FROM payments`,
      )
      .get()!;
    return {
      succeeded: Number(row.ok ?? 0n),
      failed: Number(row.failed ?? 0n),
      undecided: Number(row.undecided ?? 0n),
      phaseTwoUnfinished: Number(row.unfinished ?? 0n),
    };
  }

  /** Forgets idempotency keys past their retention; the payments stay. */
  pruneKeys(createdBeforeAtMs: number): number {
    return changesOf(this.opened.db
      .update(payments)
      .set({ idempotencyKey: null })
      .where(and(isNotNull(payments.idempotencyKey), lt(payments.createdAtMs, createdBeforeAtMs), isNotNull(payments.decision)))
      .run());
  }
}

/** A row just claimed, as written: nothing decided, nothing reserved. */
function undecidedRow(row: NewPaymentRow, refundOf: string | null): PaymentRow {
  return { ...row, decision: null, failureCode: null, failureMessage: null, decidedAtMs: null, phaseTwoDoneAtMs: null, refundOf, refundReservedMinor: 0n };
}

/**
 * The SQLite engine as a GatewayStore. Reads answer at once. The coordinator's
 * writes (claims, decisions, phase-two marks) of one turn of the event loop
 * share one transaction, fsynced when it holds a decision; an account change
 * (user, session, password, MFA) is its own transaction, fsynced before it is
 * answered.
 */
export class SqliteGatewayStore implements GatewayStore {
  readonly engine = "sqlite";
  readonly rows: SqliteGatewayRows;
  private readonly writes: GroupCommit;

  constructor(path: string, durability: Durability = "full") {
    this.rows = new SqliteGatewayRows(path, durability);
    this.writes = new GroupCommit(this.rows);
  }

  /**
   * An account change is fsynced before it is answered. Said here because a
   * lone statement commits at whatever level the connection is left in, and
   * the payment writes leave it at NORMAL (group-commit.ts).
   */
  private durably<T>(write: () => T): Promise<T> {
    try {
      return Promise.resolve(this.rows.transaction(write, "full"));
    } catch (error) {
      // The database failed, not the request (disk full, read-only, I/O): said so, as something to try again.
      return Promise.reject(notRecorded(error, "try again later") ?? error);
    }
  }

  async getUser(username: string) {
    return this.rows.getUser(username);
  }
  async accountOf(username: string) {
    return this.rows.getUser(username);
  }
  async registeredBanks() {
    return this.rows.registeredBanks();
  }
  async userOfAccount(bank: string, account: string) {
    return this.rows.userOfAccount(bank, account);
  }
  insertUser(user: User) {
    return this.durably(() => this.rows.insertUser(user));
  }
  changePassword(username: string, passwordHash: string, atMs: number) {
    return this.durably(() => this.rows.changePassword(username, passwordHash, atMs));
  }
  setTotpSecret(username: string, secret: string | null) {
    return this.durably(() => this.rows.setTotpSecret(username, secret));
  }
  setTotpPending(username: string, secret: string) {
    return this.durably(() => this.rows.setTotpPending(username, secret));
  }
  confirmTotp(username: string, secret: string, step: number) {
    return this.durably(() => this.rows.confirmTotp(username, secret, step));
  }
  useTotpStep(username: string, step: number) {
    return this.durably(() => this.rows.useTotpStep(username, step));
  }
  insertSession(session: Session, checked: SessionCredentials) {
    return this.durably(() => this.rows.insertSession(session, checked));
  }
  async getSession(tokenHash: string) {
    return this.rows.getSession(tokenHash);
  }
  revokeSession(tokenHash: string, atMs: number) {
    return this.durably(() => this.rows.revokeSession(tokenHash, atMs));
  }
  async pruneSessions(expiredBeforeAtMs: number) {
    return this.rows.pruneSessions(expiredBeforeAtMs);
  }

  async getPayment(id: string) {
    return this.rows.getPayment(id);
  }
  async paymentByKey(payer: string, key: string) {
    return this.rows.paymentByKey(payer, key);
  }
  claim(row: NewPaymentRow) {
    // Not fsynced on its own: if a power cut loses a claim, no decision was
    // written after it (that fsync would have kept it), so presumed abort
    // applies and the client's retry with the key claims afresh.
    return this.writes.unsynced(() => this.rows.claim(row));
  }
  decide(write: DecisionWrite, undecided?: PaymentRow) {
    return this.writes.durable(() => this.rows.decide(write, undecided));
  }
  markPhaseTwoDone(id: string, atMs: number) {
    return this.writes.unsynced(() => this.rows.markPhaseTwoDone(id, atMs));
  }
  claimRefund(claim: RefundClaim) {
    // Like a payment's claim, not fsynced on its own: a claim lost in a power
    // cut loses its reservation with it (one transaction), and no decision
    // can have been written after it.
    return this.writes.unsynced(() => this.rows.claimRefund(claim));
  }
  async refundsOf(paymentId: string, limit: number) {
    return this.rows.refundsOf(paymentId, limit);
  }
  async refundedTotals(paymentIds: string[]) {
    return this.rows.refundedTotals(paymentIds);
  }
  async refundViolations(limit: number) {
    return this.rows.refundViolations(limit);
  }
  async misdirectedRefunds(limit: number) {
    return this.rows.misdirectedRefunds(limit);
  }
  async listUndecided(createdBeforeAtMs: number, limit: number) {
    return this.rows.listUndecided(createdBeforeAtMs, limit);
  }
  async listPhaseTwoUnfinished(after: { decidedAtMs: number; id: string } | undefined, limit: number) {
    return this.rows.listPhaseTwoUnfinished(after, limit);
  }
  async listPaymentsOf(username: string, beforeId: string | undefined, limit: number) {
    return this.rows.listPaymentsOf(username, beforeId, limit);
  }
  async listAllPayments(beforeId: string | undefined, limit: number) {
    return this.rows.listAllPayments(beforeId, limit);
  }
  async findPayments(query: string, beforeId: string | undefined, limit: number) {
    return this.rows.findPayments(query, beforeId, limit);
  }
  observeWriteBatches(onBatch: (size: number) => void): void {
    this.writes.observeBatches(onBatch);
  }
  async listCommittedAt(bank: string, afterId: string, limit: number) {
    return this.rows.listCommittedAt(bank, afterId, limit);
  }
  async decisionsOf(ids: string[]) {
    return this.rows.decisionsOf(ids);
  }
  async committedAt(bank: string, ids: string[]) {
    return this.rows.committedAt(bank, ids);
  }
  async countDecidedSince(sinceAtMs: number) {
    return this.rows.countDecidedSince(sinceAtMs);
  }
  async counts() {
    return this.rows.counts();
  }
  /** By this gateway's clock: with SQLite it is the only one that claims and prunes. */
  async pruneKeys(retentionMs: number, nowMs: number) {
    return this.rows.pruneKeys(nowMs - retentionMs);
  }
  async close() {
    this.rows.close();
  }
}
