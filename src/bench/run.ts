// One benchmark run: a cluster of its own (or a running gateway), users
// registered and logged in, the load, peak memory, then the audit. Exported
// for the test, which calls it without spawning the CLI.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { SQL } from "bun";
import { parseDatabaseUrl } from "../store/postgres";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { GatewayClient } from "../client/gateway-client";
import { AppError, Code, toAppError } from "../lib/errors";
import { silentLogger } from "../lib/log";
import { loadCertFolder } from "../rpc/credentials";
import type { PayRequest } from "../rpc/wire/messages";
import { present } from "../rpc/wire/present";
import { auditSettled } from "../client/audit-settled";
import { ceilingTimes, measureCeiling, type Ceiling } from "./ceiling";
import { drive, type Outcome } from "./driver";
import { progressBar } from "./progress";
import { cpuTimeMs, peakMemoryMiB } from "./process-usage";
import { benchReport, type BenchMode, type BenchReport } from "./report";
import { BenchConnections, benchUsers, type ClientStack, login, loginAll, newRunId, registerAll, savedUsersOf, saveUsers, type BenchUser } from "./setup";
import { startCluster, type Cluster } from "../local-cluster/cluster";
import { generatedAccountsYaml } from "../local-cluster/sample-accounts";
import { plural } from "../lib/plural";

export interface BenchOptions {
  mode: BenchMode;
  durationMs: number;
  warmupMs: number;
  concurrency: number;
  connections: number;
  /** The gRPC client the virtual clients call with. */
  clientStack: ClientStack;
  /** Also measure the raw ceiling (ceiling.ts) and report payments/s against it. */
  ceiling?: boolean;
  banks: string[];
  accountsPerBank: number;
  /** Opening balance of each generated account, a decimal such as "1000000.00". */
  balance: string;
  /** Payments are of 1 to this many minor units. */
  amountMaxMinor: number;
  /** Log level of the gateway and banks this bench starts. */
  logLevel: string;
  /** Start the gateway and banks with --metrics (to measure its cost). */
  metrics?: boolean;
  /** A running system to measure instead of starting one. */
  target?: ExternalTarget;
  /** Gateways sharing `database` (PostgreSQL); 1 by default. */
  gateways?: number;
  /** PostgreSQL the gateways share; none: the gateway's SQLite file. */
  database?: string;
  /** Where the cluster's folder goes; a temporary folder, removed afterwards, when absent. */
  dir?: string;
  progress: boolean;
  /** Status lines while setting up (stderr for the CLI). */
  say: (line: string) => void;
  /** A warning the user must see, --json or not (stderr). */
  warn?: (line: string) => void;
}

export interface ExternalTarget {
  gateway: string;
  /** The folder `certs init` made, holding admin/ and client-NAME/. */
  certsDir: string;
  client: string;
  /** The accounts file the running banks loaded: bench registers users for its accounts. */
  accountsYaml: string;
}

interface System {
  gatewayAddress: string;
  certsDir: string;
  client: string;
  accountsYaml: string;
  cluster?: Cluster;
  cleanup(): Promise<void>;
}

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const system = await openSystem(options);
  const connections = new BenchConnections(system.gatewayAddress, loadCertFolder(join(system.certsDir, `client-${system.client}`)), options.connections, options.clientStack);
  try {
    const users = await prepareUsers(options, system, connections);
    options.say(`${options.mode === "pay" ? "paying" : "logging in"} for ${options.warmupMs / 1000}s warm-up + ${options.durationMs / 1000}s at concurrency ${options.concurrency}...`);
    const progress = options.progress ? progressBar(options.mode === "pay" ? "payments" : "logins") : undefined;
    const operation = options.mode === "pay" ? payOperation(connections, users, options.amountMaxMinor) : loginOperation(connections, users);
    const pids = pidsOf(system.cluster);
    // PostgreSQL's CPU too, when it runs on this machine: its server and every backend.
    const postgres = options.database ? await postgresPidsOf(options.database) : undefined;
    const cpuOfAll = () => ({ ...cpuOf(pids), ...(postgres ? { postgres: postgresCpuMs(postgres) } : {}) });
    const loadAverage1mBefore = loadavg()[0]!;
    let cpuAtStart: Record<string, number | null> = {};
    const result = await drive({ concurrency: options.concurrency, durationMs: options.durationMs, warmupMs: options.warmupMs, operation, onTick: progress?.update, onMeasureStart: () => (cpuAtStart = cpuOfAll()) });
    const cpuMs = cpuSince(cpuAtStart, cpuOfAll());
    progress?.stop();
    const memory = mapPids(pids, peakMemoryMiB);
    const ceiling = options.ceiling ? await ceilingOf(options, system) : undefined;
    options.say("auditing...");
    const audit = await auditOf(system);
    return benchReport({ mode: options.mode, banks: options.banks, users: users.length, concurrency: options.concurrency, connections: options.connections, warmupMs: options.warmupMs, result, peakMemoryMiB: memory, cpuMs, loadAverage1mBefore, audit, ceiling });
  } finally {
    connections.close();
    await system.cleanup();
  }
}

/** The raw ceiling, right after the payments, with the cluster idle. */
async function ceilingOf(options: BenchOptions, system: System): Promise<Ceiling> {
  if (!system.cluster) throw new AppError(Code.FailedPrecondition, "--ceiling needs the cluster bench starts (not --gateway): it uses the gateway's certificate");
  const times = ceilingTimes(options.durationMs, options.warmupMs);
  options.say(`measuring the ceiling (an empty gRPC call) for ${times.durationMs / 1000}s at concurrency ${options.concurrency}...`);
  return measureCeiling({ certsDir: system.certsDir, client: system.client, logsDir: system.cluster.logsDir, concurrency: options.concurrency, connections: options.connections, clientStack: options.clientStack, ...times });
}

async function openSystem(options: BenchOptions): Promise<System> {
  if (options.target) return { gatewayAddress: options.target.gateway, certsDir: options.target.certsDir, client: options.target.client, accountsYaml: options.target.accountsYaml, cleanup: async () => {} };
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "ministripe-bench-"));
  const accountsYaml = await generatedAccountsYaml(options.banks, options.accountsPerBank, options.balance);
  const gateways = options.gateways ?? 1;
  options.say(`starting ${plural(options.banks.length, "bank")} and ${gateways === 1 ? "a gateway" : `${gateways} gateways`}${options.database ? " on PostgreSQL" : ""} in ${dir}...`);
  const cluster = await startCluster({ dir, banks: options.banks, clients: ["bench"], accountsYaml, logLevel: options.logLevel, metrics: options.metrics, gateways, database: options.database }).catch((error) => {
    if (!options.dir) rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  return {
    gatewayAddress: cluster.gatewayAddresses.join(","),
    certsDir: cluster.certsDir,
    client: "bench",
    accountsYaml,
    cluster,
    async cleanup() {
      await cluster.stop();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function prepareUsers(options: BenchOptions, system: System, connections: BenchConnections): Promise<BenchUser[]> {
  const wanted = benchUsers(system.accountsYaml, options.banks, options.accountsPerBank, newRunId());
  options.say(`registering ${plural(wanted.length, "user")}...`);
  const registered = await registerAll(connections, wanted);
  // A running system keeps its users: those an earlier bench registered there (saved in bench's client folder) are used again.
  const savedPath = options.target ? join(system.certsDir, `client-${system.client}`, "bench-users.json") : undefined;
  const taken = wanted.filter((user) => !registered.includes(user));
  const again = savedPath && taken.length > 0 ? await savedUsersOf(connections, savedPath, taken) : [];
  if (savedPath && registered.length > 0) saveUsers(savedPath, registered, options.warn ?? options.say);
  const users = [...registered, ...again];
  if (users.length < 2) {
    // A database used before holds its accounts' users already: bench registers its own.
    const why = options.database ? ": its --database has them registered already; give bench a fresh database of its own" : "";
    throw new AppError(Code.FailedPrecondition, `only ${users.length} of ${wanted.length} accounts could be registered${why}; bench needs two or more free accounts`);
  }
  if (again.length > 0) options.say(`${plural(again.length, "user")} of an earlier run logged in again`);
  options.say(`logging in ${plural(registered.length, "new user")}...`);
  await loginAll(connections, registered);
  return users;
}

/** A payment between two different random users; declines and errors are outcomes, not exceptions. */
function payOperation(connections: BenchConnections, users: BenchUser[], amountMaxMinor: number): (slot: number) => Promise<Outcome> {
  return async (slot) => {
    const payerIndex = randomIndex(users.length);
    const payeeIndex = (payerIndex + 1 + randomIndex(users.length - 1)) % users.length;
    const request: PayRequest = { idempotency_key: crypto.randomUUID(), to_username: users[payeeIndex]!.username, amount_minor: 1 + randomIndex(amountMaxMinor), note: "" };
    try {
      const payment = present((await connections.call(slot, "Pay", request, users[payerIndex]!.token)).payment, "payment");
      if (payment.status === "SUCCEEDED") return { kind: "ok" };
      return { kind: "declined", code: payment.status === "FAILED" ? payment.failure_code : `status_${payment.status}` };
    } catch (error) {
      return { kind: "error", code: toAppError(error).code };
    }
  };
}

function loginOperation(connections: BenchConnections, users: BenchUser[]): (slot: number) => Promise<Outcome> {
  return async (slot) => {
    try {
      await login(connections, slot, users[randomIndex(users.length)]!);
      return { kind: "ok" };
    } catch (error) {
      return { kind: "error", code: toAppError(error).code };
    }
  };
}

function randomIndex(size: number): number {
  return Math.floor(Math.random() * size);
}

/** Every process this bench started, and the bench itself. */
function pidsOf(cluster: Cluster | undefined): Map<string, number> {
  const pids = new Map<string, number>();
  for (const [name, child] of cluster?.processes ?? []) pids.set(name, child.pid);
  pids.set("bench", process.pid);
  return pids;
}

function mapPids(pids: Map<string, number>, read: (pid: number) => number | null): Record<string, number | null> {
  return Object.fromEntries([...pids].map(([name, pid]) => [name, read(pid)]));
}

function cpuOf(pids: Map<string, number>): Record<string, number | null> {
  return mapPids(pids, cpuTimeMs);
}

function cpuSince(before: Record<string, number | null>, after: Record<string, number | null>): Record<string, number | null> {
  return Object.fromEntries(Object.entries(after).map(([name, ms]) => [name, ms === null || before[name] == null ? null : ms - before[name]!]));
}

/** The postmaster's pid, from the data folder the server names (read on this machine); undefined when it is elsewhere or not ours to read. */
async function postgresPidsOf(url: string): Promise<number | undefined> {
  const sql = new SQL({ ...parseDatabaseUrl(url).options, max: 1 });
  try {
    const rows = await sql`SELECT current_setting('data_directory') AS dir`;
    const pid = Number(readFileSync(join(String(rows[0].dir), "postmaster.pid"), "utf8").split("\n")[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  } finally {
    await sql.close();
  }
}

/** CPU of the postmaster and its children (the backends serving the gateways). */
function postgresCpuMs(postmasterPid: number): number | null {
  let totalMs = cpuTimeMs(postmasterPid);
  if (totalMs === null) return null;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const parentPid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (parentPid === postmasterPid) totalMs += cpuTimeMs(Number(entry)) ?? 0;
    } catch {
      // gone meanwhile
    }
  }
  return totalMs;
}

async function auditOf(system: System) {
  const admin = new GatewayClient(system.gatewayAddress, loadCertFolder(join(system.certsDir, "admin")), silentLogger);
  try {
    return await auditSettled(() => admin.callAdmin("Audit", {}, { retry: true }));
  } finally {
    admin.close();
  }
}
