// Proves a gateway on PostgreSQL starts per SPEC: a malformed URL is exit 2, an unreachable database exit 4, refused credentials exit 3, a schema newer than the binary exit 2, a user refused exit 3 saying what it needs, each one line without the password; a user without CREATE starts on a made schema; a start gives up on a migration stuck elsewhere; --database needs --name; a second live gateway with the same name is refused, and one whose name was taken while it was stopped stops with exit 2 when it resumes; dev with --gateways 2 exits with its gateway's own code; many gateways starting at once migrate once, at every isolation level.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SQL } from "bun";
import { freePort } from "../src/local-cluster/cluster";
import { AppError, Code } from "../src/lib/errors";
import { limits } from "../src/lib/limits";
import { initCertificates } from "../src/rpc/certificates";
import { PostgresGatewayStore } from "../src/store/gateway-postgres";
import { mainPath } from "./support/cli";
import { pgPassword, sharedPostgres, type PgServer } from "./support/postgres";

setDefaultTimeout(60_000);
let pg: PgServer;
// One test shortens the migration's wait: the limits are constants to the code, so through a writable view.
const writableLimits = limits as { databaseMigrationWaitMs: number };
const migrationWaitMs = limits.databaseMigrationWaitMs;
let dir: string;

beforeAll(async () => {
  pg = await sharedPostgres();
  dir = mkdtempSync(join(tmpdir(), "ministripe-pgstart-"));
  await initCertificates({ dir: join(dir, "certs"), hosts: ["127.0.0.1"], banks: ["hdfc"], clients: [] });
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function gateway(args: string[], env: Record<string, string> = {}, waitMs = 30_000) {
  const port = await freePort();
  const child = Bun.spawn(["bun", mainPath, "gateway", "--port", String(port), "--certs", join(dir, "certs", "gateway"), "--data", join(dir, "data"), "--bank", "hdfc=127.0.0.1:1", "--log-level", "error", ...args], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...env },
  });
  const exited = await Promise.race([child.exited, Bun.sleep(waitMs).then(() => undefined)]);
  if (exited === undefined) return { child, exitCode: undefined, stderr: "", stdout: "" };
  return { child, exitCode: exited, stderr: await new Response(child.stderr).text(), stdout: await new Response(child.stdout).text() };
}

function oneLineWithoutPassword(stderr: string): string {
  expect(stderr.trim().split("\n")).toHaveLength(1);
  expect(stderr).not.toContain(pgPassword);
  expect(stderr).not.toContain("wrong-secret");
  return stderr;
}

test("a malformed database URL is exit 2, in one line that does not show the password", async () => {
  for (const url of [`mysql://ministripe:${pgPassword}@127.0.0.1:5432/db`, `postgres://ministripe:${pgPassword}@127.0.0.1:5432`, "not a url", `postgres://ministripe:${pgPassword}@127.0.0.1:5432/db?sslmode=sometimes`,
    // A "%" not followed by two hex digits, in the password (never shown), the user or the database name.
    `postgres://ministripe:${pgPassword}%zz@127.0.0.1:5432/db`, `postgres://mini%zzstripe:${pgPassword}@127.0.0.1:5432/db`, `postgres://ministripe:${pgPassword}@127.0.0.1:5432/d%zz`]) {
    const run = await gateway(["--name", "g1"], { MINISTRIPE_DATABASE_URL: url });
    expect(run.exitCode).toBe(2);
    expect(oneLineWithoutPassword(run.stderr)).toContain("--database");
  }
});

test("--database needs --name", async () => {
  const run = await gateway(["--database", pg.url("postgres")]);
  expect(run.exitCode).toBe(2);
  expect(oneLineWithoutPassword(run.stderr)).toContain("--name");
});

test("an unreachable database is exit 4; refused credentials exit 3; neither shows the password", async () => {
  const unreachable = await gateway(["--name", "g1"], { MINISTRIPE_DATABASE_URL: `postgres://ministripe:${pgPassword}@127.0.0.1:${await freePort()}/x` });
  expect(unreachable.exitCode).toBe(4);
  expect(oneLineWithoutPassword(unreachable.stderr)).toContain("cannot reach the database");
  const refused = await gateway(["--name", "g1"], { MINISTRIPE_DATABASE_URL: pg.url("postgres").replace(pgPassword, "wrong-secret") });
  expect(refused.exitCode).toBe(3);
  expect(oneLineWithoutPassword(refused.stderr)).toContain("refused the credentials");
});

test("a schema newer than this binary is exit 2", async () => {
  const url = await pg.createDatabase();
  const store = await PostgresGatewayStore.open({ url }, "g0");
  await store.sql`INSERT INTO schema_migrations (version) VALUES (99)`;
  await store.close();
  const run = await gateway(["--name", "g1"], { MINISTRIPE_DATABASE_URL: url });
  expect(run.exitCode).toBe(2);
  expect(oneLineWithoutPassword(run.stderr)).toContain("newer than this ministripe");
});

/** A login role of its own for `url`'s database (roles are the server's, not a database's), with the tests' password. */
async function clerkOf(url: string): Promise<{ url: string; admin: SQL }> {
  const admin = new SQL({ url, max: 1 });
  const role = `clerk_${new URL(url).pathname.slice(1)}`;
  await admin.unsafe(`CREATE ROLE ${role} LOGIN PASSWORD '${pgPassword}'`);
  return { url: url.replace(/\/\/[^:]+:/, `//${role}:`), admin };
}

test("a database user without the right to create the schema is exit 3, in the server's words and what it needs", async () => {
  // Since PostgreSQL 15 only the database's owner may create in its public schema.
  const clerk = await clerkOf(await pg.createDatabase());
  await clerk.admin.close();
  const run = await gateway(["--name", "g1"], { MINISTRIPE_DATABASE_URL: clerk.url });
  expect(run.exitCode).toBe(3);
  const line = oneLineWithoutPassword(run.stderr);
  expect(line).toContain("refused this user ministripe's tables: permission denied for schema public");
  expect(line).toContain("must own the database, or have CREATE on its public schema");
});

test("once the schema is made, a user with rights on its tables only (no CREATE) starts", async () => {
  const url = await pg.createDatabase();
  await (await PostgresGatewayStore.open({ url }, "g0")).close();
  const clerk = await clerkOf(url);
  await clerk.admin.unsafe(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${new URL(clerk.url).username}`);
  await clerk.admin.close();
  const store = await PostgresGatewayStore.open({ url: clerk.url }, "g1");
  await store.close();
});

test("a start waiting on another gateway's unfinished migration gives up after its bound, saying so (exit 4)", async () => {
  const url = await pg.createDatabase();
  const other = new SQL({ url, max: 1 });
  // Another gateway's migration, stopped half-way: its table is made, its transaction open.
  let release!: () => void;
  let tableMade!: () => void;
  const made = new Promise<void>((resolve) => (tableMade = resolve));
  const held = other.begin(async (tx) => {
    await tx`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`;
    const released = new Promise<void>((resolve) => (release = resolve));
    tableMade();
    await released;
    throw new Error("rolled back on purpose");
  });
  await made;
  writableLimits.databaseMigrationWaitMs = 500;
  try {
    const opened = await PostgresGatewayStore.open({ url }, "g1").then(
      () => "opened",
      (error: AppError) => error,
    );
    expect(opened).toBeInstanceOf(AppError);
    expect((opened as AppError).code).toBe(Code.Unavailable);
    expect((opened as AppError).message).toContain("another gateway has held the schema");
  } finally {
    writableLimits.databaseMigrationWaitMs = migrationWaitMs;
    release();
    await held.catch(() => undefined);
    await other.close();
  }
});

test("gateways starting at once migrate the schema once, and none fails on the others' work, at every isolation level", async () => {
  // Rounds, because the collisions this guards against (two sessions creating
  // the same table at once) come only with some interleavings; and a database
  // whose default isolation is stricter takes its snapshot before it waits.
  const isolations = ["read committed", "repeatable read", "serializable"];
  for (let round = 0; round < 9; round++) {
    const url = await pg.createDatabase();
    const admin = new SQL({ url, max: 1 });
    await admin.unsafe(`ALTER DATABASE ${new URL(url).pathname.slice(1)} SET default_transaction_isolation = '${isolations[round % 3]}'`);
    await admin.close();
    const names = ["a", "b", "c", "d", "e", "f", "g", "h"];
    const opened = await Promise.allSettled(names.map((name) => PostgresGatewayStore.open({ url }, name)));
    const failures = opened.flatMap((result) => (result.status === "rejected" ? [`${isolations[round % 3]}: ${result.reason.message}: ${result.reason.cause?.message}`] : []));
    await Promise.all(opened.map((result) => (result.status === "fulfilled" ? result.value.close() : undefined)));
    expect(failures).toEqual([]);
    const sql = new SQL({ url, max: 1 });
    expect((await sql`SELECT version FROM schema_migrations`).map((row: { version: number }) => row.version)).toEqual([1, 2, 3]);
    await sql.close();
  }
});

test("a second live gateway with the same name is refused (exit 2); a different name starts", async () => {
  const url = await pg.createDatabase();
  const first = await gateway(["--name", "g1", "--takeover-after", "2s"], { MINISTRIPE_DATABASE_URL: url }, 8_000);
  expect(first.exitCode).toBeUndefined(); // still running
  const second = await gateway(["--name", "g1", "--takeover-after", "2s"], { MINISTRIPE_DATABASE_URL: url });
  expect(second.exitCode).toBe(2);
  expect(oneLineWithoutPassword(second.stderr)).toContain('a gateway named "g1" is running');
  const other = await gateway(["--name", "g2", "--takeover-after", "2s"], { MINISTRIPE_DATABASE_URL: url }, 8_000);
  expect(other.exitCode).toBeUndefined();
  for (const run of [first, other]) {
    run.child.kill("SIGTERM");
    await run.child.exited;
  }
});

test("a gateway whose name another took while it was stopped stops when it resumes, exit 2 saying why; a window under 2s is refused", async () => {
  const url = await pg.createDatabase();
  const tooShort = await gateway(["--name", "g1", "--takeover-after", "1s"], { MINISTRIPE_DATABASE_URL: url });
  expect(tooShort.exitCode).toBe(2);
  expect(oneLineWithoutPassword(tooShort.stderr)).toContain("--takeover-after");

  const first = await gateway(["--name", "g1", "--takeover-after", "2s"], { MINISTRIPE_DATABASE_URL: url }, 6_000);
  expect(first.exitCode).toBeUndefined();
  first.child.kill("SIGSTOP"); // silent: no sign of life past the window
  const second = await gateway(["--name", "g1", "--takeover-after", "2s"], { MINISTRIPE_DATABASE_URL: url }, 8_000);
  expect(second.exitCode).toBeUndefined(); // took the name of the silent one
  first.child.kill("SIGCONT");
  const exitCode = await Promise.race([first.child.exited, Bun.sleep(15_000).then(() => undefined)]);
  expect(exitCode).toBe(2);
  // Its log's line (JSON, on stderr without --log-file), then the command's one line.
  const lines = (await new Response(first.child.stderr).text()).trim().split("\n");
  expect(JSON.parse(lines[0]!)).toMatchObject({ event: "gateway.displaced" });
  expect(lines.at(-1)).toStartWith('ministripe gateway: another gateway took the name "g1"');
  second.child.kill("SIGTERM");
  expect(await second.child.exited).toBe(0);
});

test("dev with --gateways 2 exits with its gateway's own code: refused credentials are exit 3, not 4, in one line without the password", async () => {
  const env = { ...process.env, MINISTRIPE_DATABASE_URL: pg.url("postgres").replace(pgPassword, "wrong-secret") };
  const child = Bun.spawn(["bun", mainPath, "dev", "--dir", join(dir, "dev-refused"), "--port", String(await freePort()), "--gateways", "2"], { stdout: "pipe", stderr: "pipe", env });
  expect(await child.exited).toBe(3);
  const stderr = await new Response(child.stderr).text();
  expect(oneLineWithoutPassword(stderr)).toContain("refused the credentials");
});

test("dev and bench with --gateways 2 and no database are usage errors saying why", async () => {
  for (const command of [["dev", "--dir", join(dir, "dev"), "--port", String(await freePort())], ["bench", "--duration", "1s"]]) {
    const env = { ...process.env };
    delete env.MINISTRIPE_DATABASE_URL;
    const child = Bun.spawn(["bun", mainPath, ...command, "--gateways", "2"], { stdout: "pipe", stderr: "pipe", env });
    expect(await child.exited).toBe(2);
    const stderr = await new Response(child.stderr).text();
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toContain("share one PostgreSQL database");
  }
});
