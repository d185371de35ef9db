// The gateway's PostgreSQL engine: any number of gateways on one database.
// Every gateway sees every write at once, so nothing that another gateway can
// change is cached here (a logout or a password change holds everywhere at
// once). What keeps two gateways from both executing a key or deciding a
// payment differently is the schema, not a lock: the key is a unique
// constraint, a decision is written only WHERE decision IS NULL.
// SQL kept to what CockroachDB and YugabyteDB also run (docs/scaling.md).
import { SQL } from "bun";
import { assert } from "../lib/assert";
import { sleepMs } from "../lib/clock";
import { AppError, Code, Reason } from "../lib/errors";
import { limits } from "../lib/limits";
import { BoundedCache } from "../lib/bounded-cache";
import type { CommittedPayment, Decision, DecisionWrite, GatewayStore, NewPaymentRow, UserAccount, PaymentCounts, PaymentRow, RefundClaim, RefundClaimResult, RefundViolation, Session, SessionCredentials, User } from "./gateway-store";
import { claimLost } from "./gateway-store";
import { openPostgres, type PostgresPools, type PostgresTarget } from "./postgres";
import { firstOfEach, StatementGroup } from "./postgres-groups";
import init from "./migrations/gateway-postgres/0001_init.sql" with { type: "text" };
import keyAge from "./migrations/gateway-postgres/0002_key_age_by_the_databases_clock.sql" with { type: "text" };
import totpPendingSecret from "./migrations/gateway-postgres/0003_totp_pending_secret.sql" with { type: "text" };

const postgresMigrations = [
  { version: 1, sql: init },
  { version: 2, sql: keyAge },
  { version: 3, sql: totpPendingSecret },
];

/** A payment whose coordinator fell silent, adopted by this gateway. */
export interface Adopted {
  id: string;
  decision: Decision | null;
}

type Row = Record<string, unknown>;

/** One key's failed logins (src/gateway/login-throttle.ts keeps the policy). */
export interface LoginFailures {
  count: number;
  unlockedAtMs: number;
  lastFailureAtMs: number;
}

const num = (value: unknown): number => Number(value);
const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

function userOf(row: Row | undefined): User | undefined {
  if (!row) return undefined;
  return {
    username: row.username as string,
    bank: row.bank as string,
    account: row.account as string,
    passwordHash: row.password_hash as string,
    totpSecret: (row.totp_secret as string | null) ?? null,
    totpLastStep: numOrNull(row.totp_last_step),
    totpPendingSecret: (row.totp_pending_secret as string | null) ?? null,
    createdAtMs: num(row.created_at_ms),
    passwordChangedAtMs: num(row.password_changed_at_ms),
  };
}

function sessionOf(row: Row | undefined): Session | undefined {
  if (!row) return undefined;
  return {
    tokenHash: row.token_hash as string,
    username: row.username as string,
    createdAtMs: num(row.created_at_ms),
    expiresAtMs: num(row.expires_at_ms),
    revokedAtMs: numOrNull(row.revoked_at_ms),
    certSha256: row.cert_sha256 as string,
  };
}

function paymentOf(row: Row): PaymentRow {
  return {
    id: row.id as string,
    payer: row.payer as string,
    idempotencyKey: (row.idempotency_key as string | null) ?? null,
    fingerprint: row.fingerprint as string,
    payee: row.payee as string,
    payerBank: row.payer_bank as string,
    payerAccount: row.payer_account as string,
    payeeBank: row.payee_bank as string,
    payeeAccount: row.payee_account as string,
    amountMinor: BigInt(row.amount_minor as bigint | string),
    currency: row.currency as string,
    note: row.note as string,
    requestId: row.request_id as string,
    decision: (row.decision as Decision | null) ?? null,
    failureCode: (row.failure_code as string | null) ?? null,
    failureMessage: (row.failure_message as string | null) ?? null,
    createdAtMs: num(row.created_at_ms),
    decidedAtMs: numOrNull(row.decided_at_ms),
    phaseTwoDoneAtMs: numOrNull(row.phase_two_done_at_ms),
    refundOf: (row.refund_of as string | null) ?? null,
    refundReservedMinor: BigInt((row.refund_reserved_minor as bigint | string | undefined) ?? 0),
  };
}

/** A failure of the connection rather than of the statement: the statement may or may not have run. */
function isConnectionLost(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code ?? "";
  const sqlState = (error as { errno?: string } | undefined)?.errno ?? "";
  return (
    code.startsWith("ERR_POSTGRES_CONNECTION") ||
    code === "ERR_POSTGRES_IDLE_TIMEOUT" ||
    code === "ERR_POSTGRES_LIFETIME_TIMEOUT" ||
    code === "ERR_POSTGRES_CONNECTION_TIMEOUT" ||
    code === "ECONNRESET" ||
    code === "ECONNREFUSED" ||
    // admin_shutdown, crash_shutdown, cannot_connect_now: the server is going down or coming up.
    sqlState.startsWith("57P") ||
    sqlState.startsWith("08")
  );
}

export class PostgresGatewayStore implements GatewayStore {
  readonly engine = "postgres";
  /** This process among gateways of the same name: a later start takes the name over only from a silent one. */
  readonly instance = crypto.randomUUID();
  private readonly accounts = new BoundedCache<string, UserAccount>(limits.cachedRowsMax);
  // The hot path's statements, grouped (postgres-groups.ts): one statement for the payments of one turn.
  private readonly claims = new StatementGroup<NewPaymentRow, boolean>({
    together: (rows) => this.retried(() => this.insertClaims(rows)),
    alone: (row) => this.retried(() => this.insertClaims([row])).then(([inserted]) => inserted!),
    sharedFailure: (error) => error instanceof AppError,
  });
  private readonly decisions = new StatementGroup<DecisionWrite, boolean>({
    together: (writes) => this.retried(() => this.writeDecisions(writes)),
    alone: (write) => this.retried(() => this.writeDecisions([write])).then(([written]) => written!),
    sharedFailure: (error) => error instanceof AppError,
  });
  private readonly phaseTwoMarks = new StatementGroup<{ id: string; atMs: number }, void>({
    together: (marks) => this.retried(() => this.writePhaseTwoMarks(marks)),
    alone: (mark) => this.retried(() => this.writePhaseTwoMarks([mark])).then(() => undefined),
    sharedFailure: (error) => error instanceof AppError,
  });
  private readonly sessionReads = new StatementGroup<string, Session | undefined>({
    together: (tokenHashes) => this.read(() => this.readSessions(tokenHashes)),
    alone: (tokenHash) => this.read(() => this.readSessions([tokenHash])).then(([session]) => session),
    sharedFailure: (error) => error instanceof AppError,
  });

  private constructor(
    /** Replaced as a whole when a statement outlives its deadline (a silent database host): always read through sql and lazy. */
    private readonly pools: PostgresPools,
    /** This gateway's --name: the coordinator of the payments it claims. */
    readonly name: string,
  ) {}

  /** Commits waiting for the WAL flush. */
  get sql(): SQL {
    return this.pools.sql;
  }

  /** Commits not waiting for the WAL flush (see PostgresPools.lazy). */
  private get lazy(): SQL {
    return this.pools.lazy;
  }

  /** Connects, migrates (once, however many gateways start at once) and returns the engine. Start-up errors per SPEC. */
  static async open(target: PostgresTarget, name: string): Promise<PostgresGatewayStore> {
    return new PostgresGatewayStore(await openPostgres(target, postgresMigrations), name);
  }

  /**
   * Runs `statement` again while the connection fails (the database
   * restarting, or silent past a statement's deadline), up to the write
   * deadline; then UNAVAILABLE. Only for statements that are safe to run
   * twice (each write below is).
   */
  private async retried<T>(statement: () => Promise<T>): Promise<T> {
    const deadlineAtMs = Date.now() + limits.databaseRetryMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.pools.withinDeadline(statement, limits.databaseStatementDeadlineMs);
      } catch (error) {
        if (!isConnectionLost(error)) throw error;
        if (Date.now() >= deadlineAtMs) throw new AppError(Code.Unavailable, "the gateway's database cannot be reached; try again shortly", error, Reason.DatabaseUnreachable);
        await sleepMs(Math.min(1000, 50 * 2 ** Math.min(attempt, 5)));
      }
    }
  }

  /**
   * A read, or a write not to be repeated blindly: one attempt, a lost
   * connection (or none answering within `deadlineMs`) is UNAVAILABLE (the caller may retry).
   */
  private async read<T>(statement: () => Promise<T>, deadlineMs: number = limits.databaseStatementDeadlineMs): Promise<T> {
    try {
      return await this.pools.withinDeadline(statement, deadlineMs);
    } catch (error) {
      if (isConnectionLost(error)) throw new AppError(Code.Unavailable, "the gateway's database cannot be reached; try again shortly", error, Reason.DatabaseUnreachable);
      throw error;
    }
  }

  // --- users and sessions -------------------------------------------------

  async getUser(username: string): Promise<User | undefined> {
    const rows = await this.read(() => this.sql`SELECT * FROM users WHERE username = ${username}`);
    return userOf(rows[0]);
  }

  /** Cached: a user is never deleted and their bank account never changes, whichever gateway registered them. */
  async accountOf(username: string): Promise<UserAccount | undefined> {
    const cached = this.accounts.get(username, () => undefined);
    if (cached) return cached;
    const user = await this.getUser(username);
    if (!user) return undefined;
    const account = { username: user.username, bank: user.bank, account: user.account };
    this.accounts.get(username, () => account);
    return account;
  }

  async registeredBanks(): Promise<string[]> {
    const rows = await this.read(() => this.sql`SELECT DISTINCT bank FROM users`);
    return rows.map((row: Row) => row.bank as string);
  }

  async userOfAccount(bank: string, account: string): Promise<User | undefined> {
    const rows = await this.read(() => this.sql`SELECT * FROM users WHERE bank = ${bank} AND account = ${account}`);
    return userOf(rows[0]);
  }

  async insertUser(user: User): Promise<boolean> {
    let attempts = 0;
    const rows = await this.retried(
      () => (attempts++, this.sql`INSERT INTO users (username, bank, account, password_hash, totp_secret, totp_last_step, created_at_ms, password_changed_at_ms)
        VALUES (${user.username}, ${user.bank}, ${user.account}, ${user.passwordHash}, ${user.totpSecret}, ${user.totpLastStep}, ${user.createdAtMs}, ${user.passwordChangedAtMs})
        ON CONFLICT DO NOTHING RETURNING username`),
    );
    if (rows.length > 0) return true;
    if (attempts === 1) return false;
    // Sent again after a lost reply: the row found may be this one's (the same salted hash).
    const existing = await this.getUser(user.username);
    return existing?.passwordHash === user.passwordHash && existing.account === user.account;
  }

  async changePassword(username: string, passwordHash: string, atMs: number): Promise<number> {
    return this.retried(() =>
      this.sql.begin(async (tx) => {
        await tx`UPDATE users SET password_hash = ${passwordHash}, password_changed_at_ms = ${atMs} WHERE username = ${username}`;
        const revoked = await tx`UPDATE sessions SET revoked_at_ms = ${atMs} WHERE username = ${username} AND revoked_at_ms IS NULL RETURNING token_hash`;
        return revoked.length;
      }),
    );
  }

  async setTotpSecret(username: string, secret: string | null): Promise<void> {
    await this.retried(() => this.sql`UPDATE users SET totp_secret = ${secret}, totp_last_step = NULL, totp_pending_secret = NULL WHERE username = ${username}`);
  }

  async setTotpPending(username: string, secret: string): Promise<void> {
    await this.retried(() => this.sql`UPDATE users SET totp_pending_secret = ${secret} WHERE username = ${username}`);
  }

  async confirmTotp(username: string, secret: string, step: number): Promise<boolean> {
    // Sent again after a lost reply, a confirmation that applied finds its secret in force.
    const rows = await this.retried(
      () => this.sql`UPDATE users SET totp_secret = ${secret}, totp_last_step = ${step}, totp_pending_secret = NULL
        WHERE username = ${username} AND (totp_pending_secret = ${secret} OR (totp_secret = ${secret} AND totp_last_step = ${step} AND totp_pending_secret IS NULL)) RETURNING username`,
    );
    return rows.length > 0;
  }

  async useTotpStep(username: string, step: number): Promise<boolean> {
    const rows = await this.read(
      () => this.sql`UPDATE users SET totp_last_step = ${step} WHERE username = ${username} AND (totp_last_step IS NULL OR totp_last_step < ${step}) RETURNING username`,
    );
    return rows.length > 0;
  }

  async insertSession(session: Session, checked: SessionCredentials): Promise<boolean> {
    // The user row locked (FOR SHARE) as the session is written: a password
    // change (which updates that row, then ends the user's sessions) either
    // waits for this one and ends it too, or is seen here and nothing is written.
    const inserted = await this.retried(
      () => this.sql`INSERT INTO sessions (token_hash, username, created_at_ms, expires_at_ms, revoked_at_ms, cert_sha256)
        SELECT ${session.tokenHash}, ${session.username}, ${session.createdAtMs}::int8, ${session.expiresAtMs}::int8, ${session.revokedAtMs}::int8, ${session.certSha256}
        FROM users WHERE username = ${session.username} AND password_hash = ${checked.passwordHash} AND totp_secret IS NOT DISTINCT FROM ${checked.totpSecret}::text FOR SHARE
        ON CONFLICT (token_hash) DO NOTHING RETURNING token_hash`,
    );
    if (inserted.length > 0) return true;
    // Sent again after a lost reply: the first try's row is this session.
    return (await this.getSession(session.tokenHash)) !== undefined;
  }

  /** Read on every call (never cached: a logout on any gateway holds at once), the reads of one turn in one statement. */
  getSession(tokenHash: string): Promise<Session | undefined> {
    return this.sessionReads.submit(tokenHash);
  }

  private async readSessions(tokenHashes: string[]): Promise<(Session | undefined)[]> {
    const rows = (await this.sql`SELECT * FROM sessions WHERE token_hash = ANY(${tokenHashes}::text[])`) as Row[];
    const byHash = new Map(rows.map((row) => [row.token_hash as string, row]));
    return tokenHashes.map((tokenHash) => sessionOf(byHash.get(tokenHash)));
  }

  async revokeSession(tokenHash: string, atMs: number): Promise<void> {
    await this.retried(() => this.sql`UPDATE sessions SET revoked_at_ms = ${atMs} WHERE token_hash = ${tokenHash} AND revoked_at_ms IS NULL`);
  }

  async pruneSessions(expiredBeforeAtMs: number): Promise<number> {
    const rows = await this.read(() => this.sql`DELETE FROM sessions WHERE expires_at_ms < ${expiredBeforeAtMs} RETURNING token_hash`);
    return rows.length;
  }

  // --- payments -----------------------------------------------------------

  async getPayment(id: string): Promise<PaymentRow | undefined> {
    const rows = await this.read(() => this.sql`SELECT * FROM payments WHERE id = ${id}`);
    return rows[0] ? paymentOf(rows[0]) : undefined;
  }

  async paymentByKey(payer: string, key: string): Promise<PaymentRow | undefined> {
    const rows = await this.read(() => this.sql`SELECT * FROM payments WHERE payer = ${payer} AND idempotency_key = ${key}`);
    return rows[0] ? paymentOf(rows[0]) : undefined;
  }

  async claim(row: NewPaymentRow): Promise<{ claimed: boolean; row: PaymentRow }> {
    assert(row.idempotencyKey !== null, "a claim carries its key");
    return untilTheKeyStays(async () => {
      // The row is built from what was written, not read back (one round trip fewer per payment).
      if (await this.claims.submit(row)) return { claimed: true, row: undecidedRow(row, null) };
      const holder = await this.paymentByKey(row.payer, row.idempotencyKey!);
      // No holder: the key was pruned between the INSERT and this read (each
      // statement sees what was committed when it began).
      if (!holder) return keyPruned;
      // A retry after a lost reply finds its own row: still this claim's, unless
      // it was decided meanwhile (another gateway adopted it while this one was
      // cut off, and presumed it aborted): then that outcome is the answer.
      return { claimed: holder.id === row.id && holder.decision === null, row: holder };
    });
  }

  /**
   * Claims in one INSERT; which of `rows` it inserted. Not waiting for the
   * flush: a claim lost in a power cut had no decision after it (that one
   * waits), so presumed abort applies. A row whose key is taken (by an
   * earlier payment, or by a row before it in this group) is not inserted.
   * Safe to run again: a retry after a lost reply inserts nothing, and each
   * caller finds its own row by its key.
   */
  private async insertClaims(rows: NewPaymentRow[]): Promise<boolean[]> {
    const column = <K extends keyof NewPaymentRow>(key: K) => rows.map((row) => row[key]);
    const inserted = (await this.lazy`INSERT INTO payments (id, payer, idempotency_key, fingerprint, payee, payer_bank, payer_account, payee_bank, payee_account, amount_minor, currency, note, request_id, created_at_ms, coordinator)
        SELECT v.*, ${this.name} FROM unnest(${column("id")}::text[], ${column("payer")}::text[], ${column("idempotencyKey")}::text[], ${column("fingerprint")}::text[], ${column("payee")}::text[],
          ${column("payerBank")}::text[], ${column("payerAccount")}::text[], ${column("payeeBank")}::text[], ${column("payeeAccount")}::text[], ${column("amountMinor")}::int8[],
          ${column("currency")}::text[], ${column("note")}::text[], ${column("requestId")}::text[], ${column("createdAtMs")}::int8[])
          AS v(id, payer, idempotency_key, fingerprint, payee, payer_bank, payer_account, payee_bank, payee_account, amount_minor, currency, note, request_id, created_at_ms)
        ON CONFLICT DO NOTHING RETURNING id`) as Row[];
    const ids = new Set(inserted.map((row) => row.id as string));
    return rows.map((row) => ids.has(row.id));
  }

  /**
   * Decisions in one UPDATE, durable (synchronous_commit on) when it
   * returns; which of `writes` it recorded. Only where no decision stands,
   * and not a refund's ABORT (that one gives back its reservation in the
   * same transaction: decideAlone). A write not recorded here is recorded
   * alone or read back by its caller.
   */
  private async writeDecisions(writes: DecisionWrite[]): Promise<boolean[]> {
    const first = firstOfEach(writes.map((write) => write.id));
    const sent = writes.filter((_, i) => first[i]);
    const column = <K extends keyof DecisionWrite>(key: K) => sent.map((write) => write[key]);
    const updated = (await this.sql`UPDATE payments AS p SET decision = v.decision, failure_code = v.failure_code, failure_message = v.failure_message, decided_at_ms = v.decided_at_ms
        FROM unnest(${column("id")}::text[], ${column("decision")}::text[], ${column("failureCode")}::text[], ${column("failureMessage")}::text[], ${column("decidedAtMs")}::int8[])
          AS v(id, decision, failure_code, failure_message, decided_at_ms)
        WHERE p.id = v.id AND p.decision IS NULL AND (p.refund_of IS NULL OR v.decision <> 'ABORT')
        RETURNING p.id`) as Row[];
    const ids = new Set(updated.map((row) => row.id as string));
    return writes.map((write, i) => first[i]! && ids.has(write.id));
  }

  /**
   * The first decision stands. A connection lost while the UPDATE was on its
   * way leaves its outcome unknown: it is run again (a no-op if it had
   * committed) and the row read back, never guessed.
   */
  async decide(write: DecisionWrite, undecided?: PaymentRow): Promise<PaymentRow> {
    const recorded = await this.decisions.submit(write);
    if (recorded && undecided) {
      assert(undecided.id === write.id && undecided.decision === null, "the row given is this undecided payment");
      return { ...undecided, decision: write.decision, failureCode: write.failureCode, failureMessage: write.failureMessage, decidedAtMs: write.decidedAtMs };
    }
    if (recorded) return this.decidedRow(write.id);
    return this.decideAlone(write, undecided);
  }

  /** A decision the group did not record: a refund's ABORT, one decided already, or one a lost reply left unknown. */
  private async decideAlone(write: DecisionWrite, undecided?: PaymentRow): Promise<PaymentRow> {
    // One transaction: the decision and the release of a refund's reservation together or not at all.
    const updated = await this.retried(() =>
      this.sql.begin(async (tx) => {
        const rows = await tx`UPDATE payments SET decision = ${write.decision}, failure_code = ${write.failureCode}, failure_message = ${write.failureMessage}, decided_at_ms = ${write.decidedAtMs}
          WHERE id = ${write.id} AND decision IS NULL RETURNING refund_of, amount_minor`;
        const refund = rows[0] as Row | undefined;
        if (refund && write.decision === "ABORT" && refund.refund_of) {
          await tx`UPDATE payments SET refund_reserved_minor = refund_reserved_minor - ${refund.amount_minor} WHERE id = ${refund.refund_of}`;
        }
        return rows;
      }),
    );
    if (updated.length > 0 && undecided) {
      assert(undecided.id === write.id && undecided.decision === null, "the row given is this undecided payment");
      return { ...undecided, decision: write.decision, failureCode: write.failureCode, failureMessage: write.failureMessage, decidedAtMs: write.decidedAtMs };
    }
    return this.decidedRow(write.id);
  }

  /**
   * The decision that stands, read back. No row: its claim, committed without
   * waiting for the flush, was lost in a crash of the database; nothing was
   * decided, so presumed abort holds (claimLost).
   */
  private async decidedRow(id: string): Promise<PaymentRow> {
    const rows = await this.retried(() => this.sql`SELECT * FROM payments WHERE id = ${id}`);
    if (!rows[0]) throw claimLost(id);
    const row = paymentOf(rows[0]);
    assert(row.decision, `payment ${id} has a decision after deciding`);
    return row;
  }

  markPhaseTwoDone(id: string, atMs: number): Promise<void> {
    return this.phaseTwoMarks.submit({ id, atMs });
  }

  /** Phase-two marks in one UPDATE, not waiting for the flush: lost in a power cut, phase two is only sent again. */
  private async writePhaseTwoMarks(marks: { id: string; atMs: number }[]): Promise<void[]> {
    await this.lazy`UPDATE payments AS p SET phase_two_done_at_ms = v.at_ms
      FROM unnest(${marks.map((mark) => mark.id)}::text[], ${marks.map((mark) => mark.atMs)}::int8[]) AS v(id, at_ms)
      WHERE p.id = v.id AND p.phase_two_done_at_ms IS NULL`;
    return marks.map(() => undefined);
  }

  // --- refunds ------------------------------------------------------------

  claimRefund(claim: RefundClaim): Promise<RefundClaimResult> {
    return untilTheKeyStays(() => this.claimRefundOnce(claim));
  }

  private claimRefundOnce(claim: RefundClaim): Promise<RefundClaimResult | typeof keyPruned> {
    return this.retried(() =>
      this.sql.begin(async (tx): Promise<RefundClaimResult | typeof keyPruned> => {
        // The original's row locked for this transaction: racing refunds, on any gateway, reserve one after another.
        const originals = await tx`SELECT * FROM payments WHERE id = ${claim.refundOf} FOR UPDATE`;
        const original = originals[0] ? paymentOf(originals[0]) : undefined;
        assert(original && original.decision === "COMMIT" && original.refundOf === null, "a refund is claimed against a succeeded payment");
        // The key looked up only under the lock: this claim sent again while
        // its first attempt was still committing (its reply cut off) waits for
        // it here, then finds its own row.
        const used = await tx`SELECT * FROM payments WHERE payer = ${claim.row.payer} AND idempotency_key = ${claim.row.idempotencyKey}`;
        if (used[0]) return ownClaimOrKeyUsed(paymentOf(used[0]), claim.row.id);
        const remainingMinor = original.amountMinor - original.refundReservedMinor;
        const amountMinor = claim.allRemaining ? remainingMinor : claim.row.amountMinor;
        if (amountMinor <= 0n || amountMinor > remainingMinor) return { kind: "exceeds", remainingMinor };
        const row = { ...claim.row, amountMinor };
        const inserted = await tx`INSERT INTO payments (id, payer, idempotency_key, fingerprint, payee, payer_bank, payer_account, payee_bank, payee_account, amount_minor, currency, note, request_id, created_at_ms, coordinator, refund_of)
          VALUES (${row.id}, ${row.payer}, ${row.idempotencyKey}, ${row.fingerprint}, ${row.payee}, ${row.payerBank}, ${row.payerAccount}, ${row.payeeBank}, ${row.payeeAccount},
                  ${row.amountMinor}, ${row.currency}, ${row.note}, ${row.requestId}, ${row.createdAtMs}, ${this.name}, ${claim.refundOf})
          ON CONFLICT DO NOTHING RETURNING id`;
        if (inserted.length === 0) {
          const holder = await tx`SELECT * FROM payments WHERE payer = ${row.payer} AND idempotency_key = ${row.idempotencyKey}`;
          // Nothing inserted, nothing reserved: this transaction changed nothing yet.
          if (!holder[0]) return keyPruned;
          return ownClaimOrKeyUsed(paymentOf(holder[0]), row.id);
        }
        await tx`UPDATE payments SET refund_reserved_minor = refund_reserved_minor + ${amountMinor} WHERE id = ${claim.refundOf}`;
        return { kind: "claimed", row: undecidedRow(row, claim.refundOf) };
      }),
    );
  }

  async refundsOf(paymentId: string, limit: number): Promise<PaymentRow[]> {
    const rows = await this.read(() => this.sql`SELECT * FROM payments WHERE refund_of = ${paymentId} ORDER BY id DESC LIMIT ${limit}`);
    return rows.map(paymentOf);
  }

  async refundedTotals(paymentIds: string[]): Promise<Map<string, bigint>> {
    const totals = new Map<string, bigint>();
    if (paymentIds.length === 0) return totals;
    const rows = await this.read(
      () => this.sql`SELECT refund_of, SUM(amount_minor) AS total FROM payments WHERE refund_of IN ${this.sql(paymentIds)} AND decision = 'COMMIT' GROUP BY refund_of`,
    );
    for (const row of rows as Row[]) totals.set(row.refund_of as string, BigInt(row.total as bigint | string));
    return totals;
  }

  async refundViolations(limit: number): Promise<RefundViolation[]> {
    const rows = await this.read(
      () => this.sql`SELECT p.id, p.amount_minor, p.refund_reserved_minor AS reserved,
               SUM(CASE WHEN r.decision = 'COMMIT' THEN r.amount_minor ELSE 0 END) AS refunded,
               SUM(CASE WHEN r.decision IS NULL OR r.decision = 'COMMIT' THEN r.amount_minor ELSE 0 END) AS not_aborted
          FROM payments p LEFT JOIN payments r ON r.refund_of = p.id
         WHERE p.refund_reserved_minor > 0 OR p.id IN (SELECT refund_of FROM payments WHERE refund_of IS NOT NULL)
         GROUP BY p.id, p.amount_minor, p.refund_reserved_minor
        HAVING COALESCE(SUM(CASE WHEN r.decision = 'COMMIT' THEN r.amount_minor ELSE 0 END), 0) > p.amount_minor
            OR COALESCE(SUM(CASE WHEN r.decision IS NULL OR r.decision = 'COMMIT' THEN r.amount_minor ELSE 0 END), 0) <> p.refund_reserved_minor
         LIMIT ${limit}`,
      limits.databaseScanDeadlineMs,
    );
    return (rows as Row[]).map((row) => ({
      paymentId: row.id as string,
      amountMinor: BigInt(row.amount_minor as bigint),
      refundedMinor: BigInt((row.refunded as bigint | null) ?? 0n),
      reservedMinor: BigInt(row.reserved as bigint),
      notAbortedMinor: BigInt((row.not_aborted as bigint | null) ?? 0n),
    }));
  }

  async misdirectedRefunds(limit: number): Promise<string[]> {
    const rows = await this.read(
      () => this.sql`SELECT r.id FROM payments r JOIN payments p ON p.id = r.refund_of
         WHERE p.decision IS DISTINCT FROM 'COMMIT' OR p.refund_of IS NOT NULL
            OR r.payer <> p.payee OR r.payee <> p.payer
            OR r.payer_bank <> p.payee_bank OR r.payer_account <> p.payee_account
            OR r.payee_bank <> p.payer_bank OR r.payee_account <> p.payer_account
         LIMIT ${limit}`,
      limits.databaseScanDeadlineMs,
    );
    return (rows as Row[]).map((row) => row.id as string);
  }

  async findPayments(query: string, beforeId: string | undefined, limit: number): Promise<PaymentRow[]> {
    const before = beforeId ?? "\u{10FFFF}";
    const rows = await this.read(
      () => this.sql`SELECT * FROM payments WHERE (id = ${query} OR idempotency_key = ${query} OR payer = ${query} OR payee = ${query}) AND id < ${before} ORDER BY id DESC LIMIT ${limit}`,
      limits.databaseScanDeadlineMs,
    );
    return rows.map(paymentOf);
  }

  /** This gateway's undecided payments created before the cut-off, oldest first. */
  async listUndecided(createdBeforeAtMs: number, limit: number): Promise<PaymentRow[]> {
    const rows = await this.read(
      () => this.sql`SELECT * FROM payments WHERE coordinator = ${this.name} AND decision IS NULL AND created_at_ms < ${createdBeforeAtMs} ORDER BY created_at_ms LIMIT ${limit}`,
    );
    return rows.map(paymentOf);
  }

  /** This gateway's decided payments some participant has not acknowledged. */
  async listPhaseTwoUnfinished(after: { decidedAtMs: number; id: string } | undefined, limit: number): Promise<PaymentRow[]> {
    const rows = after
      ? await this.read(
          () => this.sql`SELECT * FROM payments WHERE coordinator = ${this.name} AND decision IS NOT NULL AND phase_two_done_at_ms IS NULL
            AND (decided_at_ms > ${after.decidedAtMs} OR (decided_at_ms = ${after.decidedAtMs} AND id > ${after.id}))
            ORDER BY decided_at_ms, id LIMIT ${limit}`,
        )
      : await this.read(
          () => this.sql`SELECT * FROM payments WHERE coordinator = ${this.name} AND decision IS NOT NULL AND phase_two_done_at_ms IS NULL
            ORDER BY decided_at_ms, id LIMIT ${limit}`,
        );
    return rows.map(paymentOf);
  }

  async listPaymentsOf(username: string, beforeId: string | undefined, limit: number): Promise<PaymentRow[]> {
    const before = beforeId ?? "\u{10FFFF}";
    // Two index range scans merged, rather than one OR that no index serves.
    const rows = await this.read(
      () => this.sql`SELECT * FROM (
          (SELECT * FROM payments WHERE payer = ${username} AND id < ${before} ORDER BY id DESC LIMIT ${limit})
          UNION
          (SELECT * FROM payments WHERE payee = ${username} AND id < ${before} ORDER BY id DESC LIMIT ${limit})
        ) AS mine ORDER BY id DESC LIMIT ${limit}`,
    );
    return rows.map(paymentOf);
  }

  async listAllPayments(beforeId: string | undefined, limit: number): Promise<PaymentRow[]> {
    const rows = beforeId
      ? await this.read(() => this.sql`SELECT * FROM payments WHERE id < ${beforeId} ORDER BY id DESC LIMIT ${limit}`)
      : await this.read(() => this.sql`SELECT * FROM payments ORDER BY id DESC LIMIT ${limit}`);
    return rows.map(paymentOf);
  }

  async listCommittedAt(bank: string, afterId: string, limit: number): Promise<CommittedPayment[]> {
    const rows = await this.read(
      () =>
        this.sql`SELECT id, amount_minor, payer_bank, payer_account, payee_bank, payee_account, phase_two_done_at_ms FROM payments
          WHERE decision = 'COMMIT' AND (payer_bank = ${bank} OR payee_bank = ${bank}) AND id > ${afterId} ORDER BY id LIMIT ${limit}`,
      limits.databaseScanDeadlineMs,
    );
    return rows.map((row: Row) => ({
      id: row.id as string,
      amountMinor: BigInt(row.amount_minor as bigint | string),
      payerBank: row.payer_bank as string,
      payerAccount: row.payer_account as string,
      payeeBank: row.payee_bank as string,
      payeeAccount: row.payee_account as string,
      phaseTwoDoneAtMs: numOrNull(row.phase_two_done_at_ms),
    }));
  }

  async decisionsOf(ids: string[]): Promise<Map<string, Decision | null>> {
    const found = new Map<string, Decision | null>();
    if (ids.length === 0) return found;
    const rows = await this.read(() => this.sql`SELECT id, decision FROM payments WHERE id IN ${this.sql(ids)}`);
    for (const row of rows as Row[]) found.set(row.id as string, (row.decision as Decision | null) ?? null);
    return found;
  }

  async committedAt(bank: string, ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.read(
      () => this.sql`SELECT id FROM payments WHERE id IN ${this.sql(ids)} AND decision = 'COMMIT' AND (payer_bank = ${bank} OR payee_bank = ${bank})`,
    );
    return new Set(rows.map((row: Row) => row.id as string));
  }

  async countDecidedSince(sinceAtMs: number): Promise<number> {
    const rows = await this.read(() => this.sql`SELECT COUNT(*) AS n FROM payments WHERE decided_at_ms >= ${sinceAtMs}`, limits.databaseScanDeadlineMs);
    return num(rows[0].n);
  }

  async counts(): Promise<PaymentCounts> {
    const rows = await this.read(
      () => this.sql`SELECT
          SUM(CASE WHEN decision = 'COMMIT' THEN 1 ELSE 0 END) AS ok,
          SUM(CASE WHEN decision = 'ABORT' THEN 1 ELSE 0 END) AS failed,
          SUM(CASE WHEN decision IS NULL THEN 1 ELSE 0 END) AS undecided,
          SUM(CASE WHEN decision IS NOT NULL AND phase_two_done_at_ms IS NULL THEN 1 ELSE 0 END) AS unfinished
        FROM payments`,
      limits.databaseScanDeadlineMs,
    );
    const row = rows[0] as Row;
    return { succeeded: num(row.ok ?? 0), failed: num(row.failed ?? 0), undecided: num(row.undecided ?? 0), phaseTwoUnfinished: num(row.unfinished ?? 0) };
  }

  /**
   * A key's age by the database's clock (claimed_at, set by the server at the
   * claim), never by created_at_ms: that is the claiming gateway's clock, and
   * a pruning gateway whose clock runs ahead would free a key its client may
   * still resend, and the resend would pay again. `_nowMs` is not read.
   */
  async pruneKeys(retentionMs: number, _nowMs: number): Promise<number> {
    const rows = await this.read(
      () => this.sql`UPDATE payments SET idempotency_key = NULL
        WHERE idempotency_key IS NOT NULL AND claimed_at < now() - ${retentionMs} * INTERVAL '1 millisecond' AND decision IS NOT NULL RETURNING id`,
      limits.databaseScanDeadlineMs,
    );
    return rows.length;
  }

  // --- several gateways ---------------------------------------------------

  /**
   * The login throttle's counts, shared by every gateway: the rows of `keys`
   * created if missing, then locked (SELECT ... FOR UPDATE) for the
   * transaction, so attempts on one key run one after another whichever
   * gateway they reach. What `change` leaves is written back; undefined deletes.
   * Every login and password check starts here, so a lost connection must be
   * UNAVAILABLE like any other statement's, never a raw driver error. One attempt, not
   * retried: a COMMIT whose reply was lost would count the attempt twice, and
   * the client tries the call again itself.
   */
  async updateLoginFailures<T>(keys: string[], change: (entries: (LoginFailures | undefined)[]) => T): Promise<T> {
    return this.read(() => this.lockedLoginFailures(keys, change));
  }

  private async lockedLoginFailures<T>(keys: string[], change: (entries: (LoginFailures | undefined)[]) => T): Promise<T> {
    return this.sql.begin(async (tx) => {
      for (const key of [...keys].sort()) await tx`INSERT INTO login_failures (key, failures, locked_until_ms, last_ms) VALUES (${key}, 0, 0, 0) ON CONFLICT (key) DO NOTHING`;
      const rows = (await tx`SELECT key, failures, locked_until_ms, last_ms FROM login_failures WHERE key IN ${this.sql(keys)} ORDER BY key FOR UPDATE`) as Row[];
      const byKey = new Map(rows.map((row) => [row.key as string, row]));
      const entries = keys.map((key): LoginFailures | undefined => {
        const row = byKey.get(key);
        if (!row || num(row.failures) === 0) return undefined;
        return { count: num(row.failures), unlockedAtMs: num(row.locked_until_ms), lastFailureAtMs: num(row.last_ms) };
      });
      const result = change(entries);
      for (const [i, key] of keys.entries()) {
        const entry = entries[i];
        if (entry === undefined) await tx`DELETE FROM login_failures WHERE key = ${key}`;
        // An upsert: a prune may have deleted the row between its insert above and the lock.
        else await tx`INSERT INTO login_failures (key, failures, locked_until_ms, last_ms) VALUES (${key}, ${entry.count}, ${entry.unlockedAtMs}, ${entry.lastFailureAtMs})
          ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, locked_until_ms = excluded.locked_until_ms, last_ms = excluded.last_ms`;
      }
      return result;
    });
  }

  /**
   * Deletes the failed-login rows that no longer count, as the throttle reads
   * them (src/gateway/login-throttle.ts, currentOf): failures older than the
   * window and no lockout, or a lockout that has ended. Without it every
   * username ever guessed kept its rows for good (the memory table is bounded).
   */
  async pruneLoginFailures(nowMs: number, windowMs: number): Promise<number> {
    const rows = await this.read(
      () => this.sql`DELETE FROM login_failures
        WHERE (locked_until_ms = 0 AND last_ms < ${nowMs - windowMs}) OR (locked_until_ms <> 0 AND locked_until_ms <= ${nowMs})
        RETURNING key`,
    );
    return rows.length;
  }

  /**
   * Takes this gateway's name in the gateways table. A row of that name
   * whose sign of life is older than `silentMs` (by the database's clock) is
   * taken over; a live one is refused: two live gateways with one name would
   * both adopt and finish the same payments as theirs.
   */
  async takeName(silentMs: number): Promise<boolean> {
    const rows = await this.read(() => this.sql`INSERT INTO gateways (name, instance, started_at, beat_at) VALUES (${this.name}, ${this.instance}, now(), now())
      ON CONFLICT (name) DO UPDATE SET instance = excluded.instance, started_at = now(), beat_at = now()
      WHERE gateways.beat_at < now() - ${silentMs} * INTERVAL '1 millisecond'
      RETURNING instance`);
    return rows.length > 0 && (rows[0] as Row).instance === this.instance;
  }

  /** How long ago (by the database's clock) the gateway of this name last showed life; undefined when none has. */
  async silenceOfName(): Promise<number | undefined> {
    const rows = await this.read(() => this.sql`SELECT EXTRACT(EPOCH FROM (now() - beat_at)) * 1000 AS silent_ms FROM gateways WHERE name = ${this.name}`);
    return rows[0] ? num((rows[0] as Row).silent_ms) : undefined;
  }

  /** A sign of life; false when another instance has taken this name (this one was judged dead). */
  async beat(): Promise<boolean> {
    const rows = await this.read(() => this.sql`UPDATE gateways SET beat_at = now() WHERE name = ${this.name} AND instance = ${this.instance} RETURNING name`);
    return rows.length > 0;
  }

  /** A clean stop: this gateway's name shown silent at once, so others adopt what is left and a restart takes the name without waiting. */
  async releaseName(): Promise<void> {
    await this.read(() => this.sql`UPDATE gateways SET beat_at = now() - INTERVAL '1 day' WHERE name = ${this.name} AND instance = ${this.instance}`);
  }

  /**
   * Makes this gateway the coordinator of every unfinished payment of a
   * gateway silent longer than `silentMs` (by the database's clock). One
   * statement: of several gateways adopting at once, each payment goes to one.
   * Unfinished is undecided, or decided with phase two not done: asked as
   * two parts, each what one partial index holds (payments_undecided,
   * payments_phase_two), so a beat reads only the unfinished rows; as one
   * `phase_two_done_at_ms IS NULL` it read the whole table every beat.
   * The row is taken only while its coordinator is still the silent gateway
   * the selection read: under READ COMMITTED an UPDATE that waited for
   * another gateway's adoption of the row rechecks its own conditions on the
   * row as that one left it, not the selection, so without the coordinator
   * in them both gateways adopted it (and both finished it).
   */
  async adoptOrphans(silentMs: number, limit: number): Promise<Adopted[]> {
    const rows = await this.read(() => this.sql`UPDATE payments AS p SET coordinator = ${this.name}
      FROM (
        SELECT u.id, u.coordinator FROM gateways g JOIN payments u ON u.coordinator = g.name
        WHERE g.name <> ${this.name} AND g.beat_at < now() - ${silentMs} * INTERVAL '1 millisecond' AND u.decision IS NULL
        UNION ALL
        SELECT d.id, d.coordinator FROM gateways g JOIN payments d ON d.coordinator = g.name
        WHERE g.name <> ${this.name} AND g.beat_at < now() - ${silentMs} * INTERVAL '1 millisecond' AND d.decision IS NOT NULL AND d.phase_two_done_at_ms IS NULL
        LIMIT ${limit}) AS orphan
      WHERE p.id = orphan.id AND p.coordinator = orphan.coordinator
      RETURNING p.id, p.decision`);
    return (rows as Row[]).map((row) => ({ id: row.id as string, decision: (row.decision as Decision | null) ?? null }));
  }

  /** Of `ids`, the undecided ones whose coordinator is another gateway that is alive: only it may decide them yet. */
  async undecidedElsewhere(ids: string[], silentMs: number): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.read(
      () => this.sql`SELECT p.id FROM payments p JOIN gateways g ON g.name = p.coordinator
        WHERE p.id IN ${this.sql(ids)} AND p.decision IS NULL AND p.coordinator <> ${this.name}
          AND g.beat_at >= now() - ${silentMs} * INTERVAL '1 millisecond'`,
    );
    return new Set((rows as Row[]).map((row) => row.id as string));
  }

  async close(): Promise<void> {
    await this.pools.close(5);
  }
}

/** A claim that found its key taken, then gone before it read the holder: pruned meanwhile, so free now. */
const keyPruned = "key_pruned";

/** Runs a claim again while its key is pruned under it (bounded: a key is pruned once, after a day). */
async function untilTheKeyStays<T>(claimOnce: () => Promise<T | typeof keyPruned>): Promise<T> {
  for (let attempt = 1; attempt <= limits.databaseClaimAttemptsMax; attempt++) {
    const result = await claimOnce();
    if (result !== keyPruned) return result;
  }
  throw keyInFlux();
}

/**
 * A key taken, then pruned before its holder could be read, on every try:
 * nothing was claimed, and the caller looks the key up again before it answers.
 */
function keyInFlux(): AppError {
  return new AppError(Code.Unavailable, "the idempotency key was being released as it was claimed; try again shortly", undefined, Reason.SendAgain);
}

/** A row just claimed, as written: nothing decided, nothing reserved. */
function undecidedRow(row: NewPaymentRow, refundOf: string | null): PaymentRow {
  return { ...row, decision: null, failureCode: null, failureMessage: null, decidedAtMs: null, phaseTwoDoneAtMs: null, refundOf, refundReservedMinor: 0n };
}

/** A refund's key found taken: by this claim's own row, sent before and reserved then, once (still its claim to run while undecided), or by another request. */
function ownClaimOrKeyUsed(holder: PaymentRow, claimId: string): RefundClaimResult {
  return holder.id === claimId && holder.decision === null ? { kind: "claimed", row: holder } : { kind: "key_used", row: holder };
}
