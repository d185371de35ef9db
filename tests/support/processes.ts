// A system of real processes (`bun src/main.ts bank|gateway`) for tests that
// kill with SIGKILL and restart: the crash is real, and so is recovery from disk.
import { afterAll } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCluster, type Cluster } from "../../src/local-cluster/cluster";
import { GatewayClient } from "../../src/client/gateway-client";
import type { AuditReport } from "../../src/gateway/audit";
import { silentLogger } from "../../src/lib/log";
import { loadCertFolder } from "../../src/rpc/credentials";
import { sleepMs } from "../../src/lib/clock";
import { pinFromAccountsFile, withTestPins } from "./account-pins";
import { FaultProxy } from "./fault-proxy";
import { startPostgres, type PgServer } from "./postgres";

export const twoBankAccounts = `currency: INR
banks:
  hdfc:
    accounts:
      - { number: "1001", holder: "Alice", balance: "5000.00" }
  icici:
    accounts:
      - { number: "2001", holder: "Bob", balance: "1200.00" }
`;
export const twoBankTotalMinor = 620_000n;

export interface ProcessSystem {
  dir: string;
  cluster: Cluster;
  /** The FaultProxy between the gateway and each bank named in `proxied`. */
  proxies: Map<string, FaultProxy>;
  client(certFolder: string): GatewayClient;
  /** A client of one gateway in particular (several gateways on PostgreSQL). */
  clientAt(address: string, certFolder: string): GatewayClient;
  stop(): Promise<void>;
}

export interface ProcessSystemOptions {
  accountsYaml?: string;
  banks?: string[];
  clients?: string[];
  env?: Record<string, Record<string, string>>;
  prepareTimeoutMs?: number;
  inDoubtAfterMs?: number;
  /** Banks the gateway reaches through a FaultProxy (system.proxies); their own questions to the gateway go direct. */
  proxied?: string[];
  /** Gateways sharing `database` (PostgreSQL): processes gateway-1..gateway-N, named g1..gN. */
  gateways?: number;
  database?: string;
  /** Extra arguments for the gateway (--database, --name, --takeover-after). */
  gatewayArgs?: string[];
  /** Every server with --metrics (system.cluster.metricsAddresses). */
  metrics?: boolean;
}

export async function startProcessSystem(options: ProcessSystemOptions = {}): Promise<ProcessSystem> {
  const dir = mkdtempSync(join(tmpdir(), "ministripe-proc-"));
  const proxies = new Map<string, FaultProxy>();
  const gatewayRouteToBank = async (bank: string, address: string) => {
    if (!options.proxied?.includes(bank)) return address;
    const proxy = await FaultProxy.start(address);
    proxies.set(bank, proxy);
    return proxy.address;
  };
  const cluster = await startCluster({
    dir,
    banks: options.banks ?? ["hdfc", "icici"],
    clients: options.clients ?? ["alice", "bob"],
    accountsYaml: withTestPins(options.accountsYaml ?? twoBankAccounts),
    prepareTimeoutMs: options.prepareTimeoutMs ?? 1_000,
    inDoubtAfterMs: options.inDoubtAfterMs ?? 1_500,
    env: options.env,
    gatewayRouteToBank,
    gateways: options.gateways,
    database: options.database,
    gatewayArgs: options.gatewayArgs,
    metrics: options.metrics,
  });
  const clients: GatewayClient[] = [];
  const clientAt = (address: string, certFolder: string) => {
    const client = new GatewayClient(address, loadCertFolder(join(cluster.certsDir, certFolder)), silentLogger);
    clients.push(client);
    return client;
  };
  return {
    dir,
    cluster,
    proxies,
    client: (certFolder) => clientAt(cluster.gatewayAddress, certFolder),
    clientAt,
    async stop() {
      for (const client of clients) client.close();
      await cluster.stop();
      for (const proxy of proxies.values()) await proxy.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The PIN of an account in the accounts file the cluster wrote. */
export function processAccountPin(system: ProcessSystem, bank: string, account: string): string {
  return pinFromAccountsFile(join(system.dir, "accounts.yaml"), bank, account);
}

/** Registers (with the account's PIN from the cluster's accounts file) and logs in through a fresh client connection. */
export async function signUpProcess(system: ProcessSystem, username: string, bank: string, account: string): Promise<GatewayClient> {
  const client = system.client(`client-${username}`);
  const password = `${username}-password`;
  await client.call("Register", { username, password, bank, account, account_pin: processAccountPin(system, bank, account) }, { retry: true });
  const session = await client.call("Login", { username, password }, { retry: true });
  client.token = session.token;
  return client;
}

/** Polls the admin audit until every invariant holds, or returns the last report at the deadline. */
export function auditUntilClean(system: ProcessSystem, deadlineMs = 20_000, gatewayAddress = system.cluster.gatewayAddress): Promise<AuditReport> {
  return adminAuditUntilClean(system.clientAt(gatewayAddress, "admin"), deadlineMs);
}

/** The same through an admin client of any system (in-process ones too): every invariant holds, phase two done, no hold open. */
export async function adminAuditUntilClean(admin: GatewayClient, deadlineMs = 20_000): Promise<AuditReport> {
  const untilAtMs = Date.now() + deadlineMs;
  let report: AuditReport | undefined;
  for (let attempt = 0; Date.now() < untilAtMs && attempt < 400; attempt++) {
    try {
      report = await admin.callAdmin("Audit", {}, { retry: false, deadlineMs: 5_000 });
      if (report.ok && report.phase_two_unfinished === 0 && report.payments_pending === 0 && report.banks.every((b) => b.open_holds === 0)) return report;
    } catch {
      // the gateway may still be restarting; ask again
    }
    await sleepMs(200);
  }
  if (!report) throw new Error("audit never answered");
  return report;
}

/** Ledger rows of one transaction at one bank, read from the bank's database file. */
export function ledgerRows(system: ProcessSystem, bank: string, txid: string): { account: string; delta_minor: bigint }[] {
  const db = new Database(join(system.dir, "data", `bank-${bank}.db`), { readonly: true, safeIntegers: true });
  try {
    return db.query<{ account: string; delta_minor: bigint }, [string]>("SELECT account, delta_minor FROM ledger WHERE txid = ?").all(txid);
  } finally {
    db.close();
  }
}

export async function balanceOf(client: GatewayClient): Promise<bigint> {
  const reply = await client.call("GetBalance", {}, { retry: true });
  return BigInt(reply.balance_minor);
}

export async function paymentByKey(client: GatewayClient, key: string): Promise<{ id: string; status: string; failure_code: string; failure_message: string }> {
  return client.call("GetPayment", { id_or_key: key }, { retry: true, attemptsMax: 20 });
}

/**
 * For a file whose test stops and starts the database: `start` runs a
 * PostgreSQL server of the file's own and a process system on it; both are
 * stopped, and the server's folder removed, after the file's tests.
 */
export function systemOnItsOwnPostgres(): { start: (options?: ProcessSystemOptions) => Promise<{ pg: PgServer; system: ProcessSystem }> } {
  let pg: PgServer | undefined;
  let system: ProcessSystem | undefined;
  afterAll(async () => {
    await system?.stop();
    await pg?.destroy();
  });
  return {
    async start(options = {}) {
      pg = await startPostgres();
      system = await startProcessSystem({ ...options, database: await pg.createDatabase() });
      return { pg, system };
    },
  };
}
