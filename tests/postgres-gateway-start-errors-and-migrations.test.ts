// Proves a gateway on PostgreSQL starts per SPEC: a malformed URL is exit 2, an unreachable database exit 4, refused credentials exit 3, a schema newer than the binary exit 2, no right to create the schema exit 3, each one line without the password; --database needs --name; a second live gateway with the same name is refused; many gateways starting at once migrate once.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SQL } from "bun";
import { freePort } from "../src/local-cluster/cluster";
import { initCertificates } from "../src/rpc/certificates";
import { PostgresGatewayStore } from "../src/store/gateway-postgres";
import { mainPath } from "./support/cli";
import { pgPassword, sharedPostgres, type PgServer } from "./support/postgres";

setDefaultTimeout(60_000);
let pg: PgServer;
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
  for (const url of [`mysql://ministripe:${pgPassword}@127.0.0.1:5432/db`, `postgres://ministripe:${pgPassword}@127.0.0.1:5432`, "not a url", `postgres://ministripe:${pgPassword}@127.0.0.1:5432/db?sslmode=sometimes`]) {
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

test("a database user without the right to create the schema is exit 3, in the server's words", async () => {
  const url = await pg.createDatabase();
  const admin = new SQL({ url, max: 1 });
  // Since PostgreSQL 15 only the database's owner may create in its public schema.
  await admin.unsafe(`CREATE ROLE clerk LOGIN PASSWORD '${pgPassword}'`);
  await admin.close();
  const run = await gateway(["--name", "g1"], { MINISTRIPE_DATABASE_URL: url.replace(/\/\/[^:]+:/, "//clerk:") });
  expect(run.exitCode).toBe(3);
  const line = oneLineWithoutPassword(run.stderr);
  expect(line).toContain("refused the schema's creation: permission denied");
  expect(line).toContain("grant this user CREATE");
});

test("gateways starting at once migrate the schema once, and none fails on the others' work", async () => {
  // Rounds, because the collisions this guards against (two sessions creating
  // the same table at once) come only with some interleavings.
  for (let round = 0; round < 8; round++) {
    const url = await pg.createDatabase();
    const names = ["a", "b", "c", "d", "e", "f", "g", "h"];
    const opened = await Promise.allSettled(names.map((name) => PostgresGatewayStore.open({ url }, name)));
    const failures = opened.flatMap((result) => (result.status === "rejected" ? [`${result.reason.message}: ${result.reason.cause?.message}`] : []));
    await Promise.all(opened.map((result) => (result.status === "fulfilled" ? result.value.close() : undefined)));
    expect(failures).toEqual([]);
    const sql = new SQL({ url, max: 1 });
    expect((await sql`SELECT version FROM schema_migrations`).map((row: { version: number }) => row.version)).toEqual([1]);
    await sql.close();
  }
});

test("a second live gateway with the same name is refused (exit 2); a different name starts", async () => {
  const url = await pg.createDatabase();
  const first = await gateway(["--name", "g1", "--takeover-after", "1s"], { MINISTRIPE_DATABASE_URL: url }, 8_000);
  expect(first.exitCode).toBeUndefined(); // still running
  const second = await gateway(["--name", "g1", "--takeover-after", "1s"], { MINISTRIPE_DATABASE_URL: url });
  expect(second.exitCode).toBe(2);
  expect(oneLineWithoutPassword(second.stderr)).toContain('a gateway named "g1" is running');
  const other = await gateway(["--name", "g2", "--takeover-after", "1s"], { MINISTRIPE_DATABASE_URL: url }, 8_000);
  expect(other.exitCode).toBeUndefined();
  for (const run of [first, other]) {
    run.child.kill("SIGTERM");
    await run.child.exited;
  }
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
