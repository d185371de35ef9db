// What every store shares: the opened database, immediate transactions, the
// meta key/value table, and closing.
import { eq } from "drizzle-orm";
import { sqliteTable, text } from "drizzle-orm/sqlite-core";
import { assert } from "../lib/assert";
import { timedPhase } from "../lib/phase-timing";
import { openStore, type Durability, type Migration, type OpenedStore } from "./sqlite";

export const meta = sqliteTable("meta", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});

export abstract class Store {
  protected readonly opened: OpenedStore;
  private synchronous: Durability;

  constructor(path: string, migrations: Migration[], durability: Durability = "full") {
    this.opened = openStore(path, migrations, durability);
    this.synchronous = durability;
  }

  /**
   * BEGIN IMMEDIATE: the write lock is taken up front, so a transaction never
   * fails half-way on a busy database. "full" fsyncs the WAL at commit; "normal"
   * does not, and the next "full" commit makes it durable with everything before it.
   */
  transaction<T>(fn: () => T, durability: Durability = "full"): T {
    return timedPhase("sqlite.transaction", () => {
      if (durability !== this.synchronous) {
        this.opened.sqlite.exec(`PRAGMA synchronous = ${durability === "full" ? "FULL" : "NORMAL"}`);
        this.synchronous = durability;
      }
      return this.opened.sqlite.transaction(fn).immediate();
    });
  }

  /** A transaction is open on this connection (SQLite may end one on its own after a disk error). */
  get inTransaction(): boolean {
    return this.opened.sqlite.inTransaction;
  }

  /**
   * Inside a transaction: `fn` in a savepoint of its own, so its failure
   * rolls back its own changes only and the transaction goes on.
   */
  savepoint<T>(fn: () => T): T {
    // Outside a transaction bun:sqlite would BEGIN and COMMIT on its own: not a savepoint.
    assert(this.opened.sqlite.inTransaction, "a savepoint is taken inside a transaction");
    return this.opened.sqlite.transaction(fn)();
  }

  getMeta(key: string): string | undefined {
    return this.opened.db.select().from(meta).where(eq(meta.key, key)).get()?.value;
  }

  setMeta(key: string, value: string): void {
    this.opened.db.insert(meta).values({ key, value }).onConflictDoUpdate({ target: meta.key, set: { value } }).run();
  }

  close(): void {
    this.opened.sqlite.close();
  }
}
