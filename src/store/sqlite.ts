// Opens a SQLite database with explicit pragmas and applies the embedded
// migrations. drizzle's folder migrator cannot read from inside the compiled
// binary, so each store imports its SQL files as text and lists them here.
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { drizzle, type BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";

export interface Migration {
  id: string;
  sql: string;
}

export type Durability = "full" | "normal";

export interface OpenedStore {
  sqlite: Database;
  db: BunSQLiteDatabase;
}

/** Rows changed by a write: drizzle's bun-sqlite typings say void, the driver returns { changes }. */
export function changesOf(result: unknown): number {
  return Number((result as { changes?: number | bigint } | undefined)?.changes ?? 0);
}

export function openStore(path: string, migrations: Migration[], durability: Durability = "full"): OpenedStore {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  // safeIntegers: money sums may pass 2^53; every INTEGER comes back as bigint.
  const sqlite = new Database(path, { create: true, strict: true, safeIntegers: true });
  sqlite.exec("PRAGMA journal_mode = WAL");
  // FULL: a vote or a decision is on disk (fsync) before it is answered.
  sqlite.exec(`PRAGMA synchronous = ${durability === "full" ? "FULL" : "NORMAL"}`);
  sqlite.exec("PRAGMA foreign_keys = ON");
  sqlite.exec("PRAGMA busy_timeout = 5000");
  migrate(sqlite, migrations);
  return { sqlite, db: drizzle({ client: sqlite }) };
}

function migrate(sqlite: Database, migrations: Migration[]): void {
  sqlite.exec("CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at_ms INTEGER NOT NULL)");
  const applied = new Set(
    sqlite
      .query<{ id: string }, []>("SELECT id FROM schema_migrations")
      .all()
      .map((row) => row.id),
  );
  for (const migration of migrations) {
    if (applied.has(migration.id)) continue;
    sqlite.transaction(() => {
      sqlite.exec(migration.sql);
      sqlite.query("INSERT INTO schema_migrations (id, applied_at_ms) VALUES (?, ?)").run(migration.id, Date.now());
    }).immediate();
  }
}
