// Opening a PostgreSQL database for the gateway: the URL read (TLS when it
// asks: sslmode, sslrootcert, sslcert, sslkey), the connection tried, the
// embedded migrations applied once however many gateways start together.
// Start-up errors are one line in SPEC's exit codes, never with the password:
// malformed URL 2, unreachable 4, credentials refused 3, schema newer than
// this binary 2, a user refused 3.
import { SQL } from "bun";
import { readFileSync } from "node:fs";
import { AppError, Code } from "../lib/errors";
import { limits } from "../lib/limits";

export interface PostgresTarget {
  url: string;
  /** Connections in this process's pool. */
  poolMax?: number;
}

export interface PostgresMigration {
  version: number;
  sql: string;
}

export interface ParsedDatabaseUrl {
  options: Bun.SQL.PostgresOrMySQLOptions;
  /** The URL without its password: what messages and logs show. */
  shown: string;
}

const sslModes = new Set(["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]);
const knownParams = new Set(["sslmode", "sslrootcert", "sslcert", "sslkey", "application_name", "connect_timeout"]);

function malformed(why: string): AppError {
  return new AppError(Code.InvalidArgument, `--database: ${why} (expected postgres://USER[:PASSWORD]@HOST:PORT/DATABASE)`);
}

/** A part of the URL %-decoded; a "%" not followed by two hex digits is malformed (and the part, maybe the password, is not shown). */
function decoded(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw malformed(`${what} has a "%" not followed by two hex digits (write a "%" itself as %25)`);
  }
}

/** Reads a postgres:// URL; throws INVALID_ARGUMENT (exit 2) with a message that never holds the password. */
export function parseDatabaseUrl(text: string): ParsedDatabaseUrl {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw malformed("not a URL");
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") throw malformed(`the scheme is "${url.protocol.replace(/:$/, "")}", not postgres`);
  if (!url.hostname) throw malformed("no host");
  const database = decoded(url.pathname.replace(/^\//, ""), "the database name");
  if (!database || database.includes("/")) throw malformed("no database name after the host");
  if (!url.username) throw malformed("no user name");
  const port = url.port ? Number(url.port) : 5432;
  for (const key of url.searchParams.keys()) if (!knownParams.has(key)) throw malformed(`unknown parameter "${key}"`);
  const sslmode = url.searchParams.get("sslmode") ?? "disable";
  if (!sslModes.has(sslmode)) throw malformed(`sslmode "${sslmode}" is not one of ${[...sslModes].join(", ")}`);
  const shownUrl = new URL(url.href);
  shownUrl.password = "";
  const shown = shownUrl.href;
  const readPem = (param: string): string | undefined => {
    const path = url.searchParams.get(param);
    if (!path) return undefined;
    try {
      return readFileSync(path, "utf8");
    } catch {
      throw malformed(`${param}: cannot read ${path}`);
    }
  };
  const ca = readPem("sslrootcert");
  const cert = readPem("sslcert");
  const key = readPem("sslkey");
  if ((cert === undefined) !== (key === undefined)) throw malformed("sslcert and sslkey go together");
  if ((sslmode === "verify-ca" || sslmode === "verify-full") && !ca) throw malformed(`sslmode=${sslmode} needs sslrootcert (the CA that signed the server's certificate)`);
  let tls: Bun.SQL.TLSOptions | false = false;
  if (sslmode !== "disable") {
    tls = {
      ...(ca ? { ca } : {}),
      ...(cert ? { cert, key } : {}),
      rejectUnauthorized: sslmode === "verify-ca" || sslmode === "verify-full",
      // verify-ca: the chain only, not the host name.
      ...(sslmode === "verify-ca" ? { checkServerIdentity: () => undefined } : {}),
    };
  }
  return {
    shown,
    options: {
      adapter: "postgres",
      hostname: url.hostname.replace(/^\[|\]$/g, ""),
      port,
      username: decoded(url.username, "the user name"),
      password: decoded(url.password, "the password"),
      database,
      tls,
      bigint: true,
      connectionTimeout: limits.databaseConnectTimeoutMs / 1000,
      idleTimeout: 60,
    },
  };
}

/** A start-up failure in SPEC's terms: what failed, in one line, without the password. */
function startupError(error: unknown, shown: string): AppError {
  if (error instanceof AppError) return error;
  const code = (error as { code?: string }).code ?? "";
  const sqlState = sqlStateOf(error);
  if (sqlState === "28P01" || sqlState === "28000") return new AppError(Code.Unauthenticated, `the database at ${shown} refused the credentials: check the user and password`, error);
  if (sqlState === "3D000") return new AppError(Code.NotFound, `the database at ${shown} does not exist: create it first`, error);
  if (sqlState === "42501") return new AppError(Code.PermissionDenied, `the database at ${shown} refused this user: ${oneLine((error as Error).message)}`, error);
  if (code.includes("TLS") || code.includes("SSL") || /certificate|tls|ssl/i.test((error as Error).message ?? "")) {
    return new AppError(Code.Unavailable, `cannot open a verified TLS connection to the database at ${shown}: ${oneLine((error as Error).message)}`, error);
  }
  // The server answered with an error of its own: say what it said.
  if (sqlState !== "") return new AppError(Code.Unavailable, `the database at ${shown} failed at start: ${oneLine((error as Error).message)} (SQLSTATE ${sqlState})`, error);
  return new AppError(Code.Unavailable, `cannot reach the database at ${shown}`, error);
}

/** The SQLSTATE of an error the server answered (Bun's SQL puts it in errno), or "" for any other failure. */
function sqlStateOf(error: unknown): string {
  const errno = String((error as { errno?: unknown } | undefined)?.errno ?? "");
  return /^[0-9A-Z]{5}$/.test(errno) ? errno : "";
}

/** Text from the server or the network, made one printable line: no control, format or line-separator characters, at most 200 characters. */
function oneLine(text: string): string {
  return Array.from(String(text ?? "").replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu, " "))
    .slice(0, 200)
    .join("");
}

/**
 * What a statement that outlived its deadline throws. Its code reads as a
 * lost connection (ERR_POSTGRES_CONNECTION...): its outcome is unknown, as a
 * reset connection's is, and the engine's read-back logic handles it so.
 */
export class StatementDeadlineError extends Error {
  readonly code = "ERR_POSTGRES_CONNECTION_DEADLINE";
  constructor(deadlineMs: number) {
    super(`the database did not answer within ${deadlineMs} ms`);
  }
}

/**
 * The gateway's two connection pools, replaced as a whole when a statement
 * outlives its deadline and the database does not answer either. A database
 * host that falls silent without resetting its connections (a partition)
 * would hold a statement's await until the kernel gives up on the socket
 * (many minutes), and with it the pool's connection and the decisions queued
 * behind it; closing the pool is the one way to get a silent connection back
 * (a cancel request goes to the same silent host), and fails every statement
 * in flight on it as a lost connection, which the engine retries (writes) or
 * answers UNAVAILABLE (reads).
 *
 * A database that is only slow (a statement waiting on another session's
 * lock, an I/O stall) is told apart by a probe on a connection of its own:
 * does the server show a backend of these pools at work (pg_stat_activity,
 * by the pools' application_name)? While it does, the late statement is
 * waited for, up to about `databaseSlowStatementWaitMsMax` in all: cutting it
 * would answer UNAVAILABLE for a database that works, and leave its backend
 * running the statement beside the replacement pools' connections, one more
 * set at every deadline, towards the server's connection limit. A server that
 * answers but runs nothing of ours (the pools' connections died half-open, or
 * a failover moved the address to another server) is cut at once.
 */
export class PostgresPools {
  private generation = 0;
  private current: { sql: SQL; lazy: SQL; tag: string };
  /** Names this process's pools apart from another gateway's on the server. */
  private readonly instance = crypto.randomUUID().slice(0, 8);
  /** The probe in flight, shared by every statement late at the same moment. */
  private probing: Promise<boolean> | undefined;

  constructor(
    private readonly options: Bun.SQL.PostgresOrMySQLOptions,
    private readonly poolMax: number,
  ) {
    this.current = this.open();
  }

  /** Commits wait for the WAL on disk (synchronous_commit on): decisions, users, sessions. */
  get sql(): SQL {
    return this.current.sql;
  }

  /**
   * Commits answered before the WAL is flushed (synchronous_commit off, a few
   * ms later on disk): for what presumed abort or a resend makes safe to lose
   * in a power cut, as SQLite's group commit does (a claim, a phase-two
   * mark). A crash of the gateway loses nothing: the server has it.
   */
  get lazy(): SQL {
    return this.current.lazy;
  }

  /**
   * `statement`, failed as a lost connection (and the pools replaced) once
   * `deadlineMs` pass without its answer and a probe finds the database
   * silent; waited for while the probe answers, within a bound.
   */
  async withinDeadline<T>(statement: () => Promise<T>, deadlineMs: number): Promise<T> {
    const generation = this.generation;
    const startedAtMs = Date.now();
    const running = Promise.resolve().then(statement);
    for (let round = 0; round < limits.databaseSlowStatementRoundsMax; round++) {
      const answer = await settledWithin(running, deadlineMs);
      if (answer.settled) return answer.value;
      const waitedMs = Date.now() - startedAtMs;
      if (waitedMs + deadlineMs > limits.databaseSlowStatementWaitMsMax) break;
      // Busy for half a deadline at least: the late statement (sent a moment after its timer began) or what blocks it.
      if (!(await this.probe(Math.min(deadlineMs, limits.databaseProbeDeadlineMs), deadlineMs / 2))) {
        // Finished while the probe looked (the lock went): its answer, not a cut.
        const late = await settledWithin(running, 0);
        if (late.settled) return late.value;
        break;
      }
    }
    // Settled by the pool's close below; its failure is this one, thrown now.
    running.catch(() => undefined);
    this.replace(generation);
    throw new StatementDeadlineError(deadlineMs);
  }

  /**
   * Whether, within `deadlineMs`, the server shows a backend of the current
   * pools at work on one statement for `busyForMs` or more (running, or
   * waiting on a lock): what holds the late statement, or the late statement
   * itself. Other connections of the pools busy with newer statements do not
   * count: the late one may be on a connection that died while they work.
   * An error of class 53 (too many connections, out of memory) is an answer
   * too: the server is there and overloaded, and a new set of connections
   * would only add to it. Any other error (a server starting after a
   * failover, a refused login) is no sign of this work.
   */
  private probe(deadlineMs: number, busyForMs: number): Promise<boolean> {
    const tag = this.current.tag;
    this.probing ??= (async () => {
      let connection: SQL | undefined;
      try {
        connection = new SQL({ ...this.options, max: 1, connectionTimeout: Math.max(1, Math.ceil(deadlineMs / 1000)) });
        const probed = connection;
        const answer = await settledWithin(
          Promise.resolve().then(
            () => probed`SELECT count(*)::int AS working FROM pg_stat_activity
              WHERE application_name = ${tag} AND state = 'active' AND query_start <= now() - ${busyForMs} * INTERVAL '1 millisecond'`,
          ),
          deadlineMs,
        );
        return answer.settled && Number((answer.value[0] as { working: number }).working) > 0;
      } catch (error) {
        return sqlStateOf(error).startsWith("53");
      } finally {
        void connection?.close({ timeout: 0 }).catch(() => undefined);
        this.probing = undefined;
      }
    })();
    return this.probing;
  }

  async close(timeoutS: number): Promise<void> {
    await this.current.lazy.close({ timeout: timeoutS });
    await this.current.sql.close({ timeout: timeoutS });
  }

  private open(): { sql: SQL; lazy: SQL; tag: string } {
    // Every connection of this generation's pools shows this name on the server (pg_stat_activity), for the probe.
    const tag = `ministripe-${this.instance}-${this.generation}`;
    return {
      sql: new SQL({ ...this.options, max: this.poolMax, connection: connectionSettings(tag) }),
      lazy: new SQL({ ...this.options, max: Math.max(2, Math.floor(this.poolMax / 2)), connection: { ...connectionSettings(tag), synchronous_commit: "off" } }),
      tag,
    };
  }

  /** New pools, unless they were replaced since the late statement began (on the new ones, it is not theirs to judge). */
  private replace(generation: number): void {
    if (generation !== this.generation) return;
    const old = this.current;
    this.generation += 1;
    this.current = this.open();
    // At once: what waits on the old connections fails now, as "connection closed".
    void Promise.all([old.sql.close({ timeout: 0 }), old.lazy.close({ timeout: 0 })]).catch(() => undefined);
  }
}

/** What every connection of a gateway's pools sets at its start (`tag` names them on the server, for the probe). */
function connectionSettings(tag: string): Record<string, string> {
  return { application_name: tag, idle_in_transaction_session_timeout: String(limits.databaseIdleInTransactionMs) };
}

/** The promise's value if it settles within `deadlineMs` (its failure thrown), else `{ settled: false }`. */
async function settledWithin<T>(promise: Promise<T>, deadlineMs: number): Promise<{ settled: true; value: T } | { settled: false }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<{ settled: false }>((resolve) => {
    timer = setTimeout(() => resolve({ settled: false }), deadlineMs);
  });
  try {
    return await Promise.race([promise.then((value) => ({ settled: true as const, value })), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Opens the pools, checks the connection and migrates; every failure an AppError per SPEC. */
export async function openPostgres(target: PostgresTarget, migrations: PostgresMigration[]): Promise<PostgresPools> {
  const parsed = parseDatabaseUrl(target.url);
  const pools = new PostgresPools(parsed.options, target.poolMax ?? limits.databasePoolMax);
  try {
    await pools.sql`SELECT 1`;
    await migrate(pools.sql, migrations).catch((error: unknown) => {
      throw migrationError(error, parsed.shown);
    });
    return pools;
  } catch (error) {
    await pools.close(1).catch(() => undefined);
    throw startupError(error, parsed.shown);
  }
}

/**
 * What a gateway's migration meets when another migrates at the same moment:
 * the table, its row type or a version row made by the other, or (at
 * serializable isolation) a conflict. The loser's transaction rolls back and
 * the next attempt finds the work done.
 */
const migratedMeanwhile = new Set(["23505", "42P07", "42710", "40001"]);

/**
 * Applies the embedded migrations that the database lacks, in one
 * transaction with schema_migrations itself, tried again (a few times) when
 * another gateway did the same work meanwhile. Portable SQL, no advisory lock,
 * whatever the database's default isolation: the distributed databases of
 * docs/scaling.md run it too. A database already at this version (every start
 * but the first) is only read: nothing waits, and its user needs no right to
 * create tables.
 */
async function migrate(sql: SQL, migrations: PostgresMigration[]): Promise<void> {
  const newestKnown = Math.max(0, ...migrations.map((m) => m.version));
  if (refuseNewer(await appliedVersion(sql), newestKnown) === newestKnown) return;
  for (let attempt = 1; ; attempt++) {
    try {
      await sql.begin(async (tx) => {
        // A gateway that stopped mid-migration holds its locks: wait for it only so long.
        await tx.unsafe(`SET LOCAL lock_timeout = ${limits.databaseMigrationWaitMs}`);
        await tx`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`;
        const version = refuseNewer(await highestVersion(tx), newestKnown);
        for (const migration of migrations) {
          if (migration.version <= version) continue;
          await tx`INSERT INTO schema_migrations (version) VALUES (${migration.version})`;
          await tx.unsafe(migration.sql);
        }
      });
      return;
    } catch (error) {
      if (attempt >= limits.databaseMigrationAttemptsMax || !migratedMeanwhile.has(sqlStateOf(error))) throw error;
    }
  }
}

/** The schema's version: 0 before the first migration made schema_migrations. */
async function appliedVersion(sql: SQL): Promise<number> {
  const table = await sql`SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_migrations'`;
  return table.length === 0 ? 0 : highestVersion(sql);
}

async function highestVersion(sql: SQL): Promise<number> {
  const rows = await sql`SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations`;
  return Number(rows[0].version);
}

function refuseNewer(version: number, newestKnown: number): number {
  if (version > newestKnown) {
    throw new AppError(Code.FailedPrecondition, `the database schema is version ${version}, newer than this ministripe's ${newestKnown}: run a newer ministripe`);
  }
  return version;
}

/** A migration's own failures, in the operator's terms; any other goes on to startupError. */
function migrationError(error: unknown, shown: string): unknown {
  const sqlState = sqlStateOf(error);
  if (sqlState === "42501") {
    return new AppError(Code.PermissionDenied, `the database at ${shown} refused this user ministripe's tables: ${oneLine((error as Error).message)}: the user must own the database, or have CREATE on its public schema, to create them`, error);
  }
  if (sqlState === "55P03") {
    return new AppError(Code.Unavailable, `another gateway has held the schema of the database at ${shown} for ${limits.databaseMigrationWaitMs / 1000} s while migrating it: try again, or stop that gateway`, error);
  }
  return error;
}
