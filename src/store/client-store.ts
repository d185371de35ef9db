// The client's durable outbox (SQLite through drizzle, like the servers).
// Claims are atomic, so two client processes on one home never send one
// entry at the same time.
import { and, asc, eq, inArray, isNull, lte, ne, or, sql } from "drizzle-orm";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { refusedBeforeClaim } from "../lib/errors";
import { limits, offlineLimits } from "../lib/limits";
import { minor, ms } from "./columns";
import { changesOf } from "./sqlite";
import { Store } from "./store";
import init from "./migrations/client/0001_init.sql" with { type: "text" };
import refunds from "./migrations/client/0002_refunds.sql" with { type: "text" };

export type OutboxState = "queued" | "succeeded" | "failed";
export const outbox = sqliteTable("outbox", {
  idempotencyKey: text("idempotency_key").primaryKey(),
  username: text("username").notNull(),
  toUsername: text("to_username").notNull(),
  amountMinor: minor("amount_minor").notNull(),
  note: text("note").notNull(),
  state: text("state").$type<OutboxState>().notNull(),
  attempts: ms("attempts").notNull(),
  lastError: text("last_error"),
  paymentId: text("payment_id"),
  failureCode: text("failure_code"),
  createdAtMs: ms("created_at_ms").notNull(),
  nextAttemptAtMs: ms("next_attempt_at_ms").notNull(),
  claimedBy: text("claimed_by"),
  claimExpiresAtMs: ms("claimed_until_ms").notNull(),
  finishedAtMs: ms("finished_at_ms"),
  reported: integer("reported").notNull(),
  /** Set on a refund: the payment it refunds (its note is the reason). */
  refundOf: text("refund_of"),
});

export type OutboxEntry = typeof outbox.$inferSelect;

/** The failure code of an entry whose outcome the client could not learn: its key stays bound. */
export const outcomeUnknown = "outcome_unknown";

/** A finished entry the gateway refused before running it (older clients kept these): nothing is recorded under its key. */
export function isRefusal(entry: OutboxEntry): boolean {
  // Only a refusal's code: older clients also finished entries as "failed" on errors after which the payment may have run (internal, cancelled, unknown).
  return entry.state === "failed" && entry.paymentId === null && entry.failureCode !== null && refusalCodes.has(entry.failureCode);
}

/** The failure codes older clients stored for the refusals of lib/errors refusedBeforeClaim (the code in lower case). */
const refusalCodes = new Set([...refusedBeforeClaim].map((code) => code.toLowerCase()));

export class ClientStore extends Store {

  constructor(path: string) {
    super(path, [
      { id: "client/0001_init", sql: init },
      { id: "client/0002_refunds", sql: refunds },
    ]);
  }

  get(key: string): OutboxEntry | undefined {
    return this.opened.db.select().from(outbox).where(eq(outbox.idempotencyKey, key)).get();
  }

  /**
   * Adds an entry already claimed by `owner`: "exists" when the key is here,
   * "full" (nothing added) when `queuedMax` entries of any user are queued.
   * One immediate transaction, so processes adding at once never pass the bound.
   */
  add(entry: { idempotencyKey: string; username: string; toUsername: string; amountMinor: bigint; note: string; refundOf?: string | null }, owner: string, nowMs: number, claimMs: number, queuedMax: number = limits.queueEntriesMax): "added" | "exists" | "full" {
    return this.opened.sqlite
      .transaction(() => {
        if (this.get(entry.idempotencyKey)) return "exists";
        if (this.countQueued(undefined) >= queuedMax) return "full";
        const result = this.opened.db
          .insert(outbox)
          .values({ ...entry, state: "queued", attempts: 0, createdAtMs: nowMs, nextAttemptAtMs: nowMs, claimedBy: owner, claimExpiresAtMs: nowMs + claimMs, reported: 0 })
          .onConflictDoNothing()
          .run();
        return changesOf(result) > 0 ? "added" : "exists";
      })
      .immediate();
  }

  /**
   * Atomically claims one queued entry for `owner` if nobody holds it: no
   * claim, an expired one, `owner`'s own, or one whose holder `ownerAlive`
   * says is gone (killed mid-send: the resend carries the same key).
   */
  claim(key: string, owner: string, nowMs: number, claimMs: number, ownerAlive: (owner: string) => boolean = () => true): boolean {
    return this.opened.sqlite
      .transaction(() => {
        const entry = this.get(key);
        if (!entry || entry.state !== "queued") return false;
        const free = entry.claimedBy === null || entry.claimedBy === owner || entry.claimExpiresAtMs <= nowMs || !ownerAlive(entry.claimedBy);
        if (free) this.takeOver(key, owner, nowMs, claimMs);
        return free;
      })
      .immediate();
  }

  /**
   * Removes a queued entry `owner` holds, once the gateway refused it and
   * recorded nothing under its key: the key is free again here, so a
   * corrected request with it is sent and the gateway answers it.
   */
  release(key: string, owner: string): boolean {
    const result = this.opened.db
      .delete(outbox)
      .where(and(eq(outbox.idempotencyKey, key), eq(outbox.state, "queued"), eq(outbox.claimedBy, owner)))
      .run();
    return changesOf(result) > 0;
  }

  /**
   * Removes a finished entry the gateway refused before running it, as
   * earlier clients kept them (failed, no payment, a refusal's code): such a
   * key binds nothing. Any other entry stays.
   */
  releaseRefused(key: string): boolean {
    const result = this.opened.db
      .delete(outbox)
      .where(and(eq(outbox.idempotencyKey, key), eq(outbox.state, "failed"), isNull(outbox.paymentId), inArray(outbox.failureCode, [...refusalCodes])))
      .run();
    return changesOf(result) > 0;
  }

  /** The entry that holds `key` here: undefined when none does, or when it is a refusal that binds nothing (see releaseRefused). */
  binding(key: string): OutboxEntry | undefined {
    const entry = this.get(key);
    return entry && !isRefusal(entry) ? entry : undefined;
  }

  /**
   * Claims up to `limit` due entries for `owner`, in one immediate transaction
   * so two processes never claim one entry. A claim still held by a process
   * that `ownerAlive` says is gone (killed mid-send) is taken over: the resend
   * carries the same key, so the gateway runs the payment at most once. An
   * entry `owner` itself holds is skipped: it is being sent by this process
   * (the shell's foreground `sync` beside its background resend).
   */
  claimDue(owner: string, nowMs: number, claimMs: number, limit: number, username: string | undefined, dueByAtMs: number, ownerAlive: (owner: string) => boolean, skipKeys: ReadonlySet<string> = new Set()): OutboxEntry[] {
    return this.opened.sqlite
      .transaction(() => {
        const candidates = this.opened.db
          .select()
          .from(outbox)
          .where(and(eq(outbox.state, "queued"), lte(outbox.nextAttemptAtMs, dueByAtMs), username ? eq(outbox.username, username) : undefined))
          .orderBy(asc(outbox.createdAtMs))
          .limit(limit * 4 + skipKeys.size)
          .all();
        const free = candidates.filter((entry) => !skipKeys.has(entry.idempotencyKey)).filter((entry) => entry.claimExpiresAtMs <= nowMs || entry.claimedBy === null || !ownerAlive(entry.claimedBy));
        const claimed = free.slice(0, limit);
        for (const entry of claimed) this.takeOver(entry.idempotencyKey, owner, nowMs, claimMs);
        return claimed.map((entry) => ({ ...entry, claimedBy: owner, claimExpiresAtMs: nowMs + claimMs }));
      })
      .immediate();
  }

  /** Only inside claimDue's transaction, after the entry was checked to be free. */
  private takeOver(key: string, owner: string, nowMs: number, claimMs: number): void {
    this.opened.db.update(outbox).set({ claimedBy: owner, claimExpiresAtMs: nowMs + claimMs }).where(and(eq(outbox.idempotencyKey, key), eq(outbox.state, "queued"))).run();
  }

  /** Unfinished entries of one user (all users when undefined). */
  countQueued(username: string | undefined): number {
    const row = username
      ? this.opened.sqlite.query<{ n: bigint }, [string]>("SELECT COUNT(*) AS n FROM outbox WHERE state = 'queued' AND username = ?").get(username)
      : this.opened.sqlite.query<{ n: bigint }, []>("SELECT COUNT(*) AS n FROM outbox WHERE state = 'queued'").get();
    return Number(row!.n);
  }

  /** Queued entries per user other than `username` (one home, several users: each one's go out only in its session). */
  queuedOfOthers(username: string): { username: string; n: number }[] {
    return this.opened.sqlite
      .query<{ username: string; n: bigint }, [string]>("SELECT username, COUNT(*) AS n FROM outbox WHERE state = 'queued' AND username <> ? GROUP BY username ORDER BY username")
      .all(username)
      .map((row) => ({ username: row.username, n: Number(row.n) }));
  }

  /** Queued entries of one user that no live process is sending now (no claim, an expired one, or its holder gone). */
  countWaiting(username: string, nowMs: number, ownerAlive: (owner: string) => boolean): number {
    const held = this.opened.sqlite
      .query<{ owner: string; n: bigint }, [string, number]>("SELECT claimed_by AS owner, COUNT(*) AS n FROM outbox WHERE state = 'queued' AND username = ? AND claimed_by IS NOT NULL AND claimed_until_ms > ? GROUP BY claimed_by")
      .all(username, nowMs);
    const sending = held.filter((row) => ownerAlive(row.owner)).reduce((sum, row) => sum + Number(row.n), 0);
    return this.countQueued(username) - sending;
  }

  /** Back in the queue after a failed attempt; released for anyone to retry after `nextAttemptAtMs`. */
  retryLater(key: string, owner: string, error: string, nextAttemptAtMs: number): void {
    this.opened.db
      .update(outbox)
      .set({ attempts: sql`${outbox.attempts} + 1`, lastError: error, nextAttemptAtMs, claimedBy: null, claimExpiresAtMs: 0 })
      .where(and(eq(outbox.idempotencyKey, key), eq(outbox.claimedBy, owner)))
      .run();
  }

  /**
   * Records the entry's final outcome. `finishedBy` (the process that learnt
   * it) stays in claimed_by: until that process has told the outcome and
   * while it lives, for at most limits.queueClaimMs, no other process tells
   * it too (listUnreported).
   */
  finish(key: string, outcome: { state: "succeeded" | "failed"; paymentId: string | null; failureCode: string | null; error: string | null; reported: boolean; finishedBy?: string }, nowMs: number): void {
    this.opened.db
      .update(outbox)
      .set({
        state: outcome.state,
        paymentId: outcome.paymentId,
        failureCode: outcome.failureCode,
        lastError: outcome.error,
        attempts: sql`${outbox.attempts} + 1`,
        finishedAtMs: nowMs,
        claimedBy: outcome.finishedBy ?? null,
        claimExpiresAtMs: 0,
        reported: outcome.reported ? 1 : 0,
      })
      .where(eq(outbox.idempotencyKey, key))
      .run();
  }

  /** Entries still queued, and finished ones the user has not been told about: the oldest `limit`. */
  listVisible(limit: number = offlineLimits.queueListedEntriesMax): OutboxEntry[] {
    return this.opened.db
      .select()
      .from(outbox)
      .where(or(eq(outbox.state, "queued"), eq(outbox.reported, 0)))
      .orderBy(asc(outbox.createdAtMs))
      .limit(limit)
      .all();
  }

  /** How many entries listVisible would show without its limit. */
  countVisible(): number {
    return Number(this.opened.sqlite.query<{ n: bigint }, []>("SELECT COUNT(*) AS n FROM outbox WHERE state = 'queued' OR reported = 0").get()!.n);
  }

  /**
   * Finished entries of one user whose outcome was never told, and whose
   * finishing process is gone (ended before printing it, or killed), oldest
   * first: one that still lives tells its own. At most `limit` are looked at.
   */
  listUnreported(username: string, limit: number, ownerAlive: (owner: string) => boolean, nowMs: number, tellingMs: number = limits.queueClaimMs): OutboxEntry[] {
    return this.opened.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.username, username), ne(outbox.state, "queued"), eq(outbox.reported, 0)))
      .orderBy(asc(outbox.finishedAtMs))
      .limit(limit)
      .all()
      // Left to the finisher only for a while: a pid seen alive may be another process now (a container's every run is pid 1).
      .filter((entry) => entry.claimedBy === null || (entry.finishedAtMs ?? 0) < nowMs - tellingMs || !ownerAlive(entry.claimedBy));
  }

  /** The user was told these entries' outcomes (printed, or in the JSON output): an entry still queued is not marked. */
  markReported(keys: string[]): void {
    for (const key of keys) this.opened.db.update(outbox).set({ reported: 1 }).where(and(eq(outbox.idempotencyKey, key), ne(outbox.state, "queued"))).run();
  }
}
