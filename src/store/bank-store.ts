// The bank's SQLite store: schema and every query the participant runs.
// Money logic lives in src/bank; this file only reads and writes rows.
import { and, asc, eq, isNull, lt, sql } from "drizzle-orm";
import { sqliteTable, text, primaryKey, integer } from "drizzle-orm/sqlite-core";
import { count, minor, ms } from "./columns";
import { changesOf, type Durability } from "./sqlite";
import { Store } from "./store";
import init from "./migrations/bank/0001_init.sql" with { type: "text" };
import accountPins from "./migrations/bank/0002_account_pins.sql" with { type: "text" };
import { assert } from "../lib/assert";

export const accounts = sqliteTable("accounts", {
  number: text("number").primaryKey(),
  holder: text("holder").notNull(),
  balanceMinor: minor("balance_minor").notNull(),
  heldMinor: minor("held_minor").notNull(),
});

/** Kept apart from the accounts' money columns, which the payment path reads. */
const accountPinColumns = sqliteTable("accounts", {
  number: text("number").primaryKey(),
  pinHash: text("pin_hash"),
  pinFailures: count("pin_failures").notNull(),
  pinUnblockedAtMs: ms("pin_blocked_until_ms").notNull(),
});
export type AccountPin = typeof accountPinColumns.$inferSelect;

export type TxState = "prepared" | "committed" | "aborted";
export const transactions = sqliteTable("transactions", {
  txid: text("txid").primaryKey(),
  state: text("state").$type<TxState>().notNull(),
  requestId: text("request_id").notNull(),
  preparedAtMs: ms("prepared_at_ms").notNull(),
  decidedAtMs: ms("decided_at_ms"),
});

export type HoldState = "pending" | "posted" | "voided";
// A transaction's effect on one account, held until the decision: "pending",
// then "posted" or "voided". The SQL table keeps its name `pending` (a rename needs a migration).
export const holds = sqliteTable(
  "pending",
  {
    txid: text("txid").notNull(),
    account: text("account").notNull(),
    deltaMinor: minor("delta_minor").notNull(),
    state: text("state").$type<HoldState>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.txid, t.account] })],
);

export const ledger = sqliteTable("ledger", {
  id: integer("id").primaryKey(),
  txid: text("txid").notNull(),
  account: text("account").notNull(),
  deltaMinor: minor("delta_minor").notNull(),
  balanceAfterMinor: minor("balance_after_minor").notNull(),
  atMs: ms("at_ms").notNull(),
});


export type Account = typeof accounts.$inferSelect;
export type Transaction = typeof transactions.$inferSelect;
export type Hold = typeof holds.$inferSelect;
/** What a transaction moves on one account here: negative debits, positive credits. */
export interface Leg {
  account: string;
  deltaMinor: bigint;
}

/** A committed transaction and what it moved on each account at this bank. */
export interface CommittedTransaction {
  txid: string;
  legs: Leg[];
}

export interface BankTotals {
  balanceSumMinor: bigint;
  heldSumMinor: bigint;
  negativeBalances: number;
  negativeAvailable: number;
  openHolds: number;
  openHoldsMinor: bigint;
  committed: number;
}

export class BankStore extends Store {
  private readonly q;

  constructor(path: string, durability: Durability = "full") {
    super(path, [{ id: "bank/0001_init", sql: init }, { id: "bank/0002_account_pins", sql: accountPins }], durability);
    const db = this.opened.db;
    const p = sql.placeholder;
    this.q = {
      account: db.select().from(accounts).where(eq(accounts.number, p("number"))).prepare(),
      addHeld: db
        .update(accounts)
        .set({ heldMinor: sql`${accounts.heldMinor} + ${p("deltaMinor")}` })
        .where(eq(accounts.number, p("number")))
        .prepare(),
      post: db
        .update(accounts)
        .set({
          balanceMinor: sql`${accounts.balanceMinor} + ${p("balanceDeltaMinor")}`,
          heldMinor: sql`${accounts.heldMinor} - ${p("heldReleaseMinor")}`,
        })
        .where(eq(accounts.number, p("number")))
        .returning({ balanceMinor: accounts.balanceMinor })
        .prepare(),
      tx: db.select().from(transactions).where(eq(transactions.txid, p("txid"))).prepare(),
      insertTx: db
        .insert(transactions)
        .values({
          txid: p("txid"),
          state: p("state"),
          requestId: p("requestId"),
          preparedAtMs: p("preparedAtMs"),
          decidedAtMs: p("decidedAtMs"),
        })
        .prepare(),
      setTxState: db
        .update(transactions)
        .set({ state: sql`${p("state")}`, decidedAtMs: sql`${p("decidedAtMs")}` })
        .where(eq(transactions.txid, p("txid")))
        .prepare(),
      insertHold: db
        .insert(holds)
        .values({ txid: p("txid"), account: p("account"), deltaMinor: p("deltaMinor"), state: "pending" })
        .prepare(),
      holdsOf: db.select().from(holds).where(eq(holds.txid, p("txid"))).prepare(),
      setHoldState: db
        .update(holds)
        .set({ state: sql`${p("state")}` })
        .where(eq(holds.txid, p("txid")))
        .prepare(),
      insertLedger: db
        .insert(ledger)
        .values({
          txid: p("txid"),
          account: p("account"),
          deltaMinor: p("deltaMinor"),
          balanceAfterMinor: p("balanceAfterMinor"),
          atMs: p("atMs"),
        })
        .prepare(),
    };
  }

  insertAccount(account: { number: string; holder: string; balanceMinor: bigint }): boolean {
    const result = this.opened.db
      .insert(accounts)
      .values({ number: account.number, holder: account.holder, balanceMinor: account.balanceMinor, heldMinor: 0n })
      .onConflictDoNothing()
      .run();
    return changesOf(result) > 0;
  }

  getAccountPin(number: string): AccountPin | undefined {
    return this.opened.db.select().from(accountPinColumns).where(eq(accountPinColumns.number, number)).get();
  }

  /** Sets a PIN hash only where the account has none: never replaces one, never touches money. */
  setPinHashIfNone(number: string, pinHash: string): boolean {
    const result = this.opened.db
      .update(accountPinColumns)
      .set({ pinHash })
      .where(and(eq(accountPinColumns.number, number), isNull(accountPinColumns.pinHash)))
      .run();
    return changesOf(result) > 0;
  }

  /** Accounts without a PIN hash (not enabled for online payments). */
  listAccountsWithoutPin(): string[] {
    return this.opened.db.select({ number: accountPinColumns.number }).from(accountPinColumns).where(isNull(accountPinColumns.pinHash)).all().map((row) => row.number);
  }

  setPinFailures(number: string, pinFailures: number, pinUnblockedAtMs: number): void {
    this.opened.db.update(accountPinColumns).set({ pinFailures, pinUnblockedAtMs }).where(eq(accountPinColumns.number, number)).run();
  }

  getAccount(number: string): Account | undefined {
    return this.q.account.get({ number });
  }

  addHeld(number: string, deltaMinor: bigint): void {
    this.q.addHeld.run({ number, deltaMinor });
  }

  /** Applies a posted amount; returns the new balance. */
  post(number: string, balanceDeltaMinor: bigint, heldReleaseMinor: bigint): bigint {
    const row = this.q.post.get({ number, balanceDeltaMinor, heldReleaseMinor });
    assert(row, `account ${number} exists while its amount is posted`);
    return row.balanceMinor;
  }

  getTransaction(txid: string): Transaction | undefined {
    return this.q.tx.get({ txid });
  }

  insertTransaction(tx: Transaction): void {
    this.q.insertTx.run(tx);
  }

  setTransactionState(txid: string, state: TxState, decidedAtMs: number): void {
    this.q.setTxState.run({ txid, state, decidedAtMs });
  }

  insertHold(txid: string, account: string, deltaMinor: bigint): void {
    this.q.insertHold.run({ txid, account, deltaMinor });
  }

  holdsOf(txid: string): Hold[] {
    return this.q.holdsOf.all({ txid });
  }

  setHoldState(txid: string, state: HoldState): void {
    this.q.setHoldState.run({ txid, state });
  }

  insertLedger(row: { txid: string; account: string; deltaMinor: bigint; balanceAfterMinor: bigint; atMs: number }): void {
    this.q.insertLedger.run(row);
  }

  /** Prepared transactions older than the cutoff, oldest first. */
  listInDoubt(preparedBeforeAtMs: number, limit: number): string[] {
    return this.opened.db
      .select({ txid: transactions.txid })
      .from(transactions)
      .where(and(eq(transactions.state, "prepared"), lt(transactions.preparedAtMs, preparedBeforeAtMs)))
      .orderBy(asc(transactions.preparedAtMs))
      .limit(limit)
      .all()
      .map((row) => row.txid);
  }

  /**
   * Committed transactions after a cursor, in txid order, at most `limit`,
   * each with its ledger entries (none if it has none): the auditor compares
   * what each moved with the coordinator's record.
   */
  listCommitted(afterTxid: string, limit: number): CommittedTransaction[] {
    const rows = this.opened.sqlite
      .query<{ txid: string; account: string | null; delta_minor: bigint | null }, [string, number]>(
        `SELECT t.txid, l.account, l.delta_minor
         FROM (SELECT txid FROM transactions WHERE state = 'committed' AND txid > ? ORDER BY txid LIMIT ?) AS t
         LEFT JOIN ledger AS l ON l.txid = t.txid
         ORDER BY t.txid, l.account`,
      )
      .all(afterTxid, limit);
    const committed: CommittedTransaction[] = [];
    for (const row of rows) {
      if (committed.at(-1)?.txid !== row.txid) committed.push({ txid: row.txid, legs: [] });
      if (row.account !== null && row.delta_minor !== null) committed.at(-1)!.legs.push({ account: row.account, deltaMinor: row.delta_minor });
    }
    return committed;
  }

  /** Holds still pending (debits and credits), at most `limit`: money in transit for the auditor. */
  listPendingHolds(limit: number): { txid: string; deltaMinor: bigint }[] {
    return this.opened.db
      .select({ txid: holds.txid, deltaMinor: holds.deltaMinor })
      .from(holds)
      .where(eq(holds.state, "pending"))
      .limit(limit)
      .all();
  }

  /** Holds placed and neither posted nor voided (debits only), for metrics. */
  countOpenHolds(): { holds: number; heldMinor: bigint } {
    const row = this.opened.sqlite.query<{ n: bigint; total: bigint | null }, []>("SELECT COUNT(*) AS n, SUM(-delta_minor) AS total FROM pending WHERE state = 'pending' AND delta_minor < 0").get()!;
    return { holds: Number(row.n), heldMinor: row.total ?? 0n };
  }

  /** Prepared transactions older than the cutoff, for metrics. */
  countInDoubt(preparedBeforeAtMs: number): number {
    const row = this.opened.sqlite.query<{ n: bigint }, [number]>("SELECT COUNT(*) AS n FROM transactions WHERE state = 'prepared' AND prepared_at_ms < ?").get(preparedBeforeAtMs)!;
    return Number(row.n);
  }

  listAccounts(): Account[] {
    return this.opened.db.select().from(accounts).orderBy(asc(accounts.number)).all();
  }

  totals(): BankTotals {
    const sums = this.opened.sqlite
      .query<{ balance: bigint | null; held: bigint | null; neg: bigint; negAvail: bigint }, []>(
        `SELECT SUM(balance_minor) AS balance, SUM(held_minor) AS held,
                SUM(balance_minor < 0) AS neg, SUM(balance_minor - held_minor < 0) AS negAvail FROM accounts`,
      )
      .get()!;
    const debitHolds = this.opened.sqlite
      .query<{ n: bigint; total: bigint | null }, []>(
        "SELECT COUNT(*) AS n, SUM(-delta_minor) AS total FROM pending WHERE state = 'pending' AND delta_minor < 0",
      )
      .get()!;
    const committed = this.opened.sqlite
      .query<{ n: bigint }, []>("SELECT COUNT(*) AS n FROM transactions WHERE state = 'committed'")
      .get()!;
    return {
      balanceSumMinor: sums.balance ?? 0n,
      heldSumMinor: sums.held ?? 0n,
      negativeBalances: Number(sums.neg ?? 0n),
      negativeAvailable: Number(sums.negAvail ?? 0n),
      openHolds: Number(debitHolds.n),
      openHoldsMinor: debitHolds.total ?? 0n,
      committed: Number(committed.n),
    };
  }
}
