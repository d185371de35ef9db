// Starts a real system inside the test process: banks and a gateway on
// port 0 with real mutual TLS, real SQLite files and real Argon2id.
// Kill-style faults that need separate processes use tests/support/processes.ts.
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBank, type RunningBank } from "../../src/bank/bank";
import { parseBankSection } from "../../src/bank/accounts-file";
import { startGateway, type RunningGateway } from "../../src/gateway/gateway";
import { GatewayClient } from "../../src/client/gateway-client";
import * as grpc from "@grpc/grpc-js";
import type { Clock } from "../../src/lib/clock";
import { AppError, Code } from "../../src/lib/errors";
import { createLogger, silentLogger, type Logger } from "../../src/lib/log";
import { initCertificates } from "../../src/rpc/certificates";
import { connect } from "../../src/rpc/channel";
import { loadCertFolder } from "../../src/rpc/credentials";
import { writeFileSync } from "node:fs";
import { freePort } from "../../src/local-cluster/cluster";
import { sampleAccountsYaml } from "../../src/local-cluster/sample-accounts";
import { FaultProxy } from "./fault-proxy";
import { pinFromAccountsFile, withTestPins } from "./account-pins";
import { Metrics, serveMetrics, type MetricsServer } from "../../src/rpc/metrics";

/** The accounts `dev` and `demo` use: alice 5000.00 at hdfc, bob 1200.00 at icici, carol 3000.00 at sbi, and others. */
export const sampleAccounts = sampleAccountsYaml;

export interface SystemOptions {
  banks?: string[];
  accountsYaml?: string;
  prepareTimeoutMs?: number;
  inDoubtAfterMs?: number;
  sessionTtlMs?: number;
  log?: Logger;
  /** Banks the gateway reaches through a FaultProxy (system.proxies) that tests can slow down or cut. */
  proxied?: string[];
  /** false: write accountsYaml as it is; by default accounts without a PIN get testPin (tests/support/account-pins.ts). */
  fillPins?: boolean;
  /** Prometheus metrics on every server, served on port 0 (system.metricsUrls). */
  metrics?: boolean;
  /** The gateway's clock (tests/support/fake-clock.ts); the wall clock by default. Banks keep the wall clock. */
  clock?: Clock;
  /** The gateway's --currency (the accounts file's INR by default). */
  gatewayCurrency?: string;
  /** Calls waiting for each bank at the gateway at most (limits.exchangeEntriesQueuedMax by default). */
  exchangeEntriesQueuedMax?: number;
  /** A PostgreSQL database URL: the gateway (named g1) keeps its store there instead of its SQLite file. */
  database?: string;
  /** With `database`: the gateway's --takeover-after (10 s by default). */
  takeoverAfterMs?: number;
}

export interface TestSystem {
  dir: string;
  certsDir: string;
  accountsPath: string;
  banks: Map<string, RunningBank>;
  bankAddresses: Map<string, string>;
  gateway: RunningGateway;
  gatewayAddress: string;
  proxies: Map<string, FaultProxy>;
  /** With options.metrics: each server's /metrics URL by process name ("gateway", "bank-hdfc"). */
  metricsUrls: Map<string, string>;
  options: Required<Pick<SystemOptions, "prepareTimeoutMs" | "inDoubtAfterMs" | "sessionTtlMs">> & SystemOptions;
  /** A client connection with the given client certificate folder name (default client-alice). */
  client(certFolder?: string): GatewayClient;
  /** Restarts the gateway (same port, same data); given `onlyBanks`, it is given only those banks (--bank) from then on. */
  restartGateway(onlyBanks?: string[]): Promise<void>;
  /** Stops the gateway and keeps it down until startGateway (same port, same data). */
  stopGateway(): Promise<void>;
  startGateway(): Promise<void>;
  restartBank(name: string): Promise<void>;
  /** Sum of every account at every bank, read straight from the bank stores. */
  totalMinor(): bigint;
  stop(): Promise<void>;
}

const clients = ["alice", "bob", "carol", "mallory"];

export async function startSystem(options: SystemOptions = {}): Promise<TestSystem> {
  const bankNames = options.banks ?? ["hdfc", "icici", "sbi"];
  const dir = mkdtempSync(join(tmpdir(), "ministripe-test-"));
  const certsDir = join(dir, "certs");
  await initCertificates({ dir: certsDir, hosts: ["localhost", "127.0.0.1"], banks: bankNames, clients });
  const accountsPath = join(dir, "accounts.yaml");
  const accountsYaml = options.accountsYaml ?? sampleAccounts;
  writeFileSync(accountsPath, options.fillPins === false ? accountsYaml : withTestPins(accountsYaml));
  const resolved = { prepareTimeoutMs: 2_000, inDoubtAfterMs: 10_000, sessionTtlMs: 3_600_000, ...options };
  const log = options.log ?? silentLogger;
  const banks = new Map<string, RunningBank>();
  const bankAddresses = new Map<string, string>();
  const openClients: GatewayClient[] = [];
  // The gateway's port is chosen first so banks know where to ask about in-doubt transactions.
  const gatewayPort = await freePort();
  const metricsUrls = new Map<string, string>();
  const metricsServers: MetricsServer[] = [];
  const metricsFor = (name: string): Metrics | undefined => {
    if (!options.metrics) return undefined;
    const metrics = new Metrics();
    const server = serveMetrics(metrics, "127.0.0.1", 0);
    metricsServers.push(server);
    metricsUrls.set(name, `http://127.0.0.1:${server.port}/metrics`);
    return metrics;
  };

  const startOneBank = async (name: string, port: number) => {
    const bank = await startBank({ name, host: "127.0.0.1", port, dataDir: join(dir, "data"), accountsFile: accountsPath, certs: loadCertFolder(join(certsDir, `bank-${name}`)), gateway: `127.0.0.1:${gatewayPort}`, inDoubtAfterMs: resolved.inDoubtAfterMs, log, metrics: metricsFor(`bank-${name}`) });
    banks.set(name, bank);
    bankAddresses.set(name, `127.0.0.1:${bank.port}`);
  };
  let gatewayBanks: string[] | undefined;
  const startTheGateway = async (port: number) =>
    startGateway({
      host: "127.0.0.1",
      port,
      dataDir: join(dir, "data"),
      banks: new Map([...bankAddresses].filter(([name]) => !gatewayBanks || gatewayBanks.includes(name)).map(([name, address]) => [name, proxies.get(name)?.address ?? address])),
      certs: loadCertFolder(join(certsDir, "gateway")),
      prepareTimeoutMs: resolved.prepareTimeoutMs,
      sessionTtlMs: resolved.sessionTtlMs,
      inDoubtAfterMs: resolved.inDoubtAfterMs,
      keyRetentionMs: 24 * 3_600_000,
      currency: options.gatewayCurrency ?? "INR",
      log,
      metrics: metricsFor("gateway"),
      clock: options.clock,
      exchangeEntriesQueuedMax: options.exchangeEntriesQueuedMax,
      database: options.database ? { url: options.database, name: "g1", takeoverAfterMs: options.takeoverAfterMs ?? 10_000 } : undefined,
    });

  for (const name of bankNames) await startOneBank(name, 0);
  const proxies = new Map<string, FaultProxy>();
  for (const name of options.proxied ?? []) proxies.set(name, await FaultProxy.start(bankAddresses.get(name)!));
  let gateway = await startTheGateway(gatewayPort);

  const system: TestSystem = {
    dir,
    certsDir,
    accountsPath,
    banks,
    bankAddresses,
    get gateway() {
      return gateway;
    },
    gatewayAddress: `127.0.0.1:${gateway.port}`,
    proxies,
    metricsUrls,
    options: resolved,
    client(certFolder = "client-alice") {
      const client = new GatewayClient(system.gatewayAddress, loadCertFolder(join(certsDir, certFolder)), log);
      openClients.push(client);
      return client;
    },
    async restartGateway(onlyBanks?: string[]) {
      await gateway.stop();
      gatewayBanks = onlyBanks ?? gatewayBanks;
      gateway = await startTheGateway(gatewayPort);
    },
    async stopGateway() {
      await gateway.stop();
    },
    async startGateway() {
      gateway = await startTheGateway(gatewayPort);
    },
    async restartBank(name: string) {
      const port = Number(bankAddresses.get(name)!.split(":")[1]);
      await banks.get(name)!.stop();
      await startOneBank(name, port);
    },
    totalMinor() {
      let total = 0n;
      for (const bank of banks.values()) total += bank.store.totals().balanceSumMinor;
      return total;
    },
    async stop() {
      for (const client of openClients) client.close();
      await gateway.stop();
      for (const proxy of proxies.values()) await proxy.stop();
      for (const bank of banks.values()) await bank.stop();
      for (const server of metricsServers) await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return system;
}

/** Total money first loaded from an accounts file, in minor units. */
export function loadedTotalMinor(accountsYaml: string, banks: string[]): bigint {
  let total = 0n;
  for (const bank of banks) for (const a of parseBankSection(accountsYaml, bank).accounts) total += a.balanceMinor;
  return total;
}

/** The PIN of an account in the accounts file the system wrote. */
export function accountPinOf(system: TestSystem, bank: string, account: string): string {
  return pinFromAccountsFile(system.accountsPath, bank, account);
}

/** Registers and logs in a user (with the account's PIN from the system's accounts file unless given); returns a client carrying the session token. */
export async function signUp(system: TestSystem, user: { username: string; bank: string; account: string; password?: string; certFolder?: string; accountPin?: string }): Promise<GatewayClient> {
  const client = system.client(user.certFolder ?? `client-${clients.includes(user.username) ? user.username : "alice"}`);
  const password = user.password ?? `${user.username}-password`;
  const accountPin = user.accountPin ?? accountPinOf(system, user.bank, user.account);
  await client.call("Register", { username: user.username, password, bank: user.bank, account: user.account, account_pin: accountPin }, { retry: false });
  const session = await client.call("Login", { username: user.username, password }, { retry: false });
  client.token = session.token;
  return client;
}

export interface PayReply {
  payment: { id: string; status: string; failure_code: string; amount_minor: string; payer: string; payee: string };
  replayed: boolean;
}

export function pay(client: GatewayClient, to: string, amountMinor: bigint | number, key: string = crypto.randomUUID(), note = ""): Promise<PayReply> {
  return client.call("Pay", { idempotency_key: key, to_username: to, amount_minor: String(amountMinor), note }, { retry: false }) as Promise<PayReply>;
}

export interface RefundReply {
  refund: { id: string; status: string; failure_code: string; amount_minor: string; payer: string; payee: string; refund_of: string; note: string };
  replayed: boolean;
  original: { id: string; refunded_minor: string; refundable_minor: string };
}

/** Refunds `amountMinor` of a payment ("all": all that remains) through the Refund RPC. */
export function refund(client: GatewayClient, paymentId: string, amountMinor: bigint | number | "all", key: string = crypto.randomUUID(), reason = ""): Promise<RefundReply> {
  const amount = amountMinor === "all" ? { all_remaining: true } : { amount_minor: String(amountMinor) };
  return client.call("Refund", { idempotency_key: key, payment_id: paymentId, reason, ...amount }, { retry: false }) as Promise<RefundReply>;
}

export async function balanceMinor(client: GatewayClient): Promise<bigint> {
  const reply = await client.call("GetBalance", {}, { retry: false });
  return BigInt(reply.balance_minor);
}

/** Expects a promise to fail with an AppError of `code`; returns the error. */
/** The gateway's next decision write fails (as a disk error would), once: the execution fails before a decision and presumed abort must settle it. */
export function failNextDecision(system: TestSystem): void {
  const coordinator = system.gateway.coordinator;
  const decide = coordinator.decide.bind(coordinator);
  let failures = 0;
  coordinator.decide = async (...args) => {
    if (failures++ === 0) throw new AppError(Code.Internal, "disk I/O error (injected)");
    return decide(...args);
  };
}

export async function failsWith(promise: Promise<unknown>, code: string): Promise<Error & { code: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as Error & { code: string };
    if (e.code !== code) throw new Error(`expected ${code}, got ${e.code}: ${e.message}`);
    return e;
  }
  throw new Error(`expected ${code}, but the call succeeded`);
}

/** A logger with the production configuration (redaction included) whose lines the test can read. */
export function memoryLog(role: string, name: string): { log: Logger; lines(): Record<string, unknown>[]; text(): string } {
  const chunks: string[] = [];
  const log = createLogger({ role, name, level: "debug", stream: { write: (chunk: string) => void chunks.push(chunk) } });
  const text = () => chunks.join("");
  return { log, text, lines: () => text().split("\n").filter(Boolean).map((line) => JSON.parse(line)) };
}

export interface RawReply {
  code: number;
  details: string;
  response?: Buffer;
}

/** Sends raw bytes to `path` ("/ministripe.v1.Gateway/Pay"): what a broken or hostile client can send. */
export function rawUnary(client: grpc.Client, path: string, bytes: Buffer, metadata = new grpc.Metadata(), deadlineMs = 10_000): Promise<RawReply> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, bytes, metadata, { deadline: Date.now() + deadlineMs }, (error, response) => {
      if (error) resolve({ code: error.code, details: error.details });
      else resolve({ code: grpc.status.OK, details: "", response });
    });
  });
}

/** Metadata carrying a bearer token. */
export function bearer(token: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  return metadata;
}

/** Runs `then` each time `bank` has written its votes, just before they are answered. */
export function afterVoting(system: TestSystem, bank: string, then: () => void): void {
  const participant = system.banks.get(bank)!.participant;
  const apply = participant.apply.bind(participant);
  participant.apply = (work) => {
    const results = apply(work);
    if (work.some((w) => w.kind === "prepare")) then();
    return results;
  };
}

/** Counts the Commits `bank` applies from now on (each one, even one it already applied). */
export function countCommits(system: TestSystem, bank: string): { readonly count: number } {
  const participant = system.banks.get(bank)!.participant;
  const apply = participant.apply.bind(participant);
  const counted = { count: 0 };
  participant.apply = (work) => {
    counted.count += work.filter((w) => w.kind === "commit").length;
    return apply(work);
  };
  return counted;
}

/** Changes a bank's database through a second connection: what a bug or an operator could do behind the bank's back. */
export function tamperBank(system: TestSystem, bank: string, sql: string, ...params: (string | number)[]): void {
  const db = new Database(join(system.dir, "data", `bank-${bank}.db`));
  try {
    db.exec("PRAGMA busy_timeout = 5000");
    db.query(sql).run(...params);
  } finally {
    db.close();
  }
}

/** Changes the gateway's database through a second connection: a bug, or an operator, behind the gateway's back. */
export function tamperGateway(system: TestSystem, sql: string, ...params: (string | number)[]): void {
  const db = new Database(join(system.dir, "data", "gateway.db"));
  try {
    db.exec("PRAGMA busy_timeout = 5000");
    db.query(sql).run(...params);
  } finally {
    db.close();
  }
}

/** Polls `condition` until it holds or `deadlineMs` passes; says which (a hang fails, it is not a speed check). */
export async function eventually(condition: () => boolean | Promise<boolean>, deadlineMs = 10_000): Promise<boolean> {
  for (const startedAtMs = Date.now(); Date.now() - startedAtMs < deadlineMs; ) {
    if (await condition()) return true;
    await Bun.sleep(25);
  }
  return await condition();
}

/** A Bank client with the gateway's certificate, calling a bank directly as the gateway does (the caller closes it). */
export function bankAsGateway(system: TestSystem, bank: string): grpc.Client {
  return connect("Bank", system.bankAddresses.get(bank)!, { certs: loadCertFolder(join(system.certsDir, "gateway")), expect: { role: "bank", name: bank } });
}
