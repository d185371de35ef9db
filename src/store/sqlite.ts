// Opens a SQLite database with explicit pragmas and applies the embedded
// migrations. drizzle's folder migrator cannot read from inside the compiled
// binary, so each store imports its SQL files as text and lists them here.
import { Database } from "bun:sqlite";
import { statSync } from "node:fs";
import { dirname } from "node:path";
import { drizzle, type BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import { AppError, Code, Reason } from "../lib/errors";
import { fatal } from "../lib/fatal";
import { limits } from "../lib/limits";
import { makePrivateFile, makePrivateFolder } from "../lib/private-files";

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
  if (path !== ":memory:") {
    // Created 0600 before SQLite opens it: its WAL and SHM files then get the same mode.
    makePrivateFolder(dirname(path));
    makePrivateFile(path);
  }
  const sqlite = openDatabase(path);
  useWal(sqlite);
  // FULL: a vote or a decision is on disk (fsync) before it is answered.
  sqlite.exec(`PRAGMA synchronous = ${durability === "full" ? "FULL" : "NORMAL"}`);
  sqlite.exec("PRAGMA foreign_keys = ON");
  migrate(sqlite, migrations);
  return { sqlite, db: drizzle({ client: sqlite }) };
}

/** The SQLite file opened, or why not in one line naming it (a read-only folder, a file that is not a database). */
function openDatabase(path: string): Database {
  try {
    // safeIntegers: money sums may pass 2^53; every INTEGER comes back as bigint.
    const sqlite = new Database(path, { create: true, strict: true, safeIntegers: true });
    sqlite.exec(`PRAGMA busy_timeout = ${limits.sqliteBusyWaitMs}`);
    return sqlite;
  } catch (error) {
    throw new AppError(Code.FailedPrecondition, `cannot open the database ${path} (${(error as Error).message}): check that folder and its rights`, error);
  }
}

/**
 * Switching a new database to WAL needs it alone, and SQLite answers "database
 * is locked" at once instead of waiting (the busy timeout does not apply) when
 * another process is opening it too: retried, bounded by the busy wait.
 */
function useWal(sqlite: Database): void {
  const deadlineAtMs = Date.now() + limits.sqliteBusyWaitMs;
  for (;;) {
    try {
      sqlite.exec("PRAGMA journal_mode = WAL");
      return;
    } catch (error) {
      if (!isBusy(error) || Date.now() >= deadlineAtMs) throw error;
      Bun.sleepSync(5 + Math.random() * 20);
    }
  }
}

/** SQLite's result code of a failure ("SQLITE_CONSTRAINT_FOREIGNKEY"), or "" for an error of another kind. */
function sqliteCode(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && code.startsWith("SQLITE_") ? code : "";
}

function isBusy(error: unknown): boolean {
  return sqliteCode(error).startsWith("SQLITE_BUSY");
}

/**
 * A failure of the database rather than of one statement (disk full, I/O
 * error, no memory, busy): SQLite may have rolled back the whole transaction,
 * and every other statement would meet it again.
 */
export function isDatabaseFailure(error: unknown): boolean {
  return /^SQLITE_(FULL|IOERR|CORRUPT|NOTADB|READONLY|CANTOPEN|BUSY|LOCKED|NOMEM)/.test(sqliteCode(error));
}

/** A failure of the database in the words of someone waiting for it, or undefined for another kind of error. */
function databaseFailureWords(error: unknown): string | undefined {
  const code = sqliteCode(error);
  if (!isDatabaseFailure(error)) return undefined;
  if (code.startsWith("SQLITE_FULL")) return "its disk is full";
  if (code.startsWith("SQLITE_READONLY")) return "its database can no longer be written (read-only)";
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED") || code.startsWith("SQLITE_NOMEM")) return "its database is busy";
  return "its database file cannot be written (an I/O error)";
}

/**
 * A failure of the database as its caller is told it: UNAVAILABLE, that the
 * gateway could not record this (in the words above), then what to do
 * (`then`); undefined for an error of another kind.
 */
export function notRecorded(error: unknown, then: string): AppError | undefined {
  const why = databaseFailureWords(error);
  return why === undefined ? undefined : new AppError(Code.Unavailable, `the gateway could not record this: ${why}; ${then}`, error, Reason.SendAgain);
}

function migrate(sqlite: Database, migrations: Migration[]): void {
  sqlite.exec("CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at_ms INTEGER NOT NULL)");
  const isApplied = sqlite.query<{ id: string }, [string]>("SELECT id FROM schema_migrations WHERE id = ?");
  try {
    for (const migration of migrations) {
      if (isApplied.get(migration.id)) continue;
      // Checked again under the write lock: two processes opening a new
      // database at once (a client's shell and its pay) apply it once.
      sqlite.transaction(() => {
        if (isApplied.get(migration.id)) return;
        sqlite.exec(migration.sql);
        sqlite.query("INSERT INTO schema_migrations (id, applied_at_ms) VALUES (?, ?)").run(migration.id, Date.now());
      }).immediate();
    }
  } finally {
    isApplied.finalize();
  }
}

/**
 * Stops the server (a failed assertion's way, lib/fatal.ts) when its database
 * file is no longer the one opened: deleted or replaced under a running
 * server, SQLite goes on writing to the open (now nameless) file, every vote
 * and decision acknowledged, and all of it is gone at the next start (a bank
 * would load its accounts file afresh; a gateway would presume aborted what it
 * committed). Looked at every `limits.databaseFileCheckMs`.
 */
/**
 * A server's hold on its database file: locked before `open` opens it and
 * until stop, one server per file (a second one would run its own recovery
 * over the first one's live payments, and trust caches the other makes
 * stale); once open, watched, so that the server stops as soon as the file
 * is deleted or replaced.
 */
export function holdDatabase<T>(path: string, server: string, open: () => T): { opened: T; stop(): void } {
  const lock = lockDatabase(path, server);
  let opened: T;
  try {
    opened = open();
  } catch (error) {
    lock.close();
    throw error;
  }
  const watch = stopIfDatabaseFileGoes(path, server);
  return {
    opened,
    stop() {
      watch.stop();
      lock.close();
    },
  };
}

/**
 * An exclusive lock on `PATH.lock` (a SQLite file kept in an EXCLUSIVE
 * transaction): the kernel's lock, so a server that crashed holds nothing, and
 * no window between two servers starting at once.
 */
function lockDatabase(path: string, server: string): Database {
  const lockPath = `${path}.lock`;
  makePrivateFolder(dirname(path));
  makePrivateFile(lockPath);
  const lock = openDatabase(lockPath);
  try {
    lock.exec("PRAGMA busy_timeout = 0");
    lock.exec("PRAGMA locking_mode = EXCLUSIVE");
    lock.exec("BEGIN EXCLUSIVE");
    return lock;
  } catch (error) {
    lock.close();
    if (isBusy(error)) throw new AppError(Code.FailedPrecondition, `another ${server} is using ${path}: stop it first (two on one database file would answer against each other)`, error);
    throw new AppError(Code.FailedPrecondition, `cannot lock ${lockPath} (${(error as Error).message}): check that folder and its rights`, error);
  }
}

function stopIfDatabaseFileGoes(path: string, server: string): { stop(): void } {
  /** The file's device and inode; "gone" when it no longer exists; undefined when it could not be told (EIO, EACCES: look again). */
  const identityOf = (): string | undefined => {
    try {
      const stat = statSync(path);
      return `${stat.dev}:${stat.ino}`;
    } catch (error) {
      return (error as { code?: string }).code === "ENOENT" ? "gone" : undefined;
    }
  };
  const opened = identityOf();
  const timer = setInterval(() => {
    const now = identityOf();
    if (now === undefined || now === opened) return;
    clearInterval(timer);
    fatal(new Error(`the database file ${path} was deleted or replaced while the ${server} ran; stopping, so that nothing more is acknowledged that a restart would not find`));
  }, limits.databaseFileCheckMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
