// Proves the gateway's connection to PostgreSQL uses TLS when its URL asks (sslmode=verify-full with sslrootcert, sslcert, sslkey): against a server that accepts only TLS with a client certificate, a gateway verifying the server starts and serves; one without its client certificate, or trusting another CA, is refused at start (exit 4) in one line without the password.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PostgresGatewayStore } from "../src/store/gateway-postgres";
import { mainPath } from "./support/cli";
import { pgPassword, pgUser, startPostgres, type PgServer } from "./support/postgres";
import { freePort } from "../src/local-cluster/cluster";
import { initCertificates } from "../src/rpc/certificates";

setDefaultTimeout(120_000);
let pg: PgServer;
let dir: string;
let url: string;

/** A CA and a certificate it signs (for the server: 127.0.0.1 and localhost; for the client: CN = the database user). */
function certificates(folder: string, caName: string): { ca: string; caKey: string } {
  const ca = join(folder, `${caName}.crt`);
  const caKey = join(folder, `${caName}.key`);
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${caName}`, "-keyout", caKey, "-out", ca], { stdio: "ignore" });
  return { ca, caKey };
}

function sign(folder: string, ca: { ca: string; caKey: string }, name: string, subject: string, san?: string): { cert: string; key: string } {
  const key = join(folder, `${name}.key`);
  const csr = join(folder, `${name}.csr`);
  const cert = join(folder, `${name}.crt`);
  execFileSync("openssl", ["req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", key, "-out", csr], { stdio: "ignore" });
  const ext = join(folder, `${name}.ext`);
  writeFileSync(ext, san ? `subjectAltName=${san}\n` : "basicConstraints=CA:FALSE\n");
  execFileSync("openssl", ["x509", "-req", "-in", csr, "-CA", ca.ca, "-CAkey", ca.caKey, "-CAcreateserial", "-days", "2", "-out", cert, "-extfile", ext], { stdio: "ignore" });
  return { cert, key };
}

let ca: { ca: string; caKey: string };
let client: { cert: string; key: string };
let otherCa: { ca: string; caKey: string };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ministripe-pgtls-"));
  ca = certificates(dir, "pg-ca");
  otherCa = certificates(dir, "other-ca");
  const server = sign(dir, ca, "server", "/CN=localhost", "DNS:localhost,IP:127.0.0.1");
  client = sign(dir, ca, "client", `/CN=${pgUser}`);
  pg = await startPostgres({ tls: { serverCert: server.cert, serverKey: server.key, ca: ca.ca } });
  const plain = await pg.createDatabase();
  url = `${plain}?sslmode=verify-full&sslrootcert=${ca.ca}&sslcert=${client.cert}&sslkey=${client.key}`;
  await initCertificates({ dir: join(dir, "certs"), hosts: ["127.0.0.1"], banks: ["hdfc"], clients: [] });
});
afterAll(async () => {
  await pg?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

test("the engine opens a verified TLS connection with a client certificate, and the server sees TLS", async () => {
  const store = await PostgresGatewayStore.open({ url }, "g1");
  const rows = await store.sql`SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`;
  expect(rows[0].ssl).toBe(true);
  await store.close();
});

test("without TLS, without the client certificate or trusting another CA, the server cannot be used", async () => {
  const plain = url.split("?")[0]!;
  for (const bad of [plain, `${plain}?sslmode=verify-full&sslrootcert=${ca.ca}`, `${plain}?sslmode=verify-full&sslrootcert=${otherCa.ca}&sslcert=${client.cert}&sslkey=${client.key}`]) {
    await expect(PostgresGatewayStore.open({ url: bad }, "g1")).rejects.toThrow();
  }
});

async function gateway(databaseUrl: string, waitMs: number) {
  const child = Bun.spawn(["bun", mainPath, "gateway", "--port", String(await freePort()), "--certs", join(dir, "certs", "gateway"), "--data", join(dir, "data"), "--bank", "hdfc=127.0.0.1:1", "--name", "g1", "--log-level", "error"], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, MINISTRIPE_DATABASE_URL: databaseUrl },
  });
  const exitCode = await Promise.race([child.exited, Bun.sleep(waitMs).then(() => undefined)]);
  return { child, exitCode, stderr: exitCode === undefined ? "" : await new Response(child.stderr).text() };
}

test("a gateway given sslmode=verify-full starts on the TLS-only server; trusting another CA it exits 4 in one line without the password", async () => {
  const good = await gateway(url, 8_000);
  expect(good.exitCode).toBeUndefined();
  good.child.kill("SIGTERM");
  await good.child.exited;
  const wrongCa = await gateway(url.replace(ca.ca, otherCa.ca), 30_000);
  expect(wrongCa.exitCode).toBe(4);
  expect(wrongCa.stderr.trim().split("\n")).toHaveLength(1);
  expect(wrongCa.stderr).not.toContain(pgPassword);
});
