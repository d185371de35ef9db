// Starts the gateway: store, bank links, coordinator (with recovery before
// serving), users, payments, and one server with its interceptor chain.
import { join } from "node:path";
import { randomIds, systemClock, type Clock, type IdSource } from "../lib/clock";
import { AppError, Code } from "../lib/errors";
import { limits, securityLimits } from "../lib/limits";
import { warnIfOpenToOthers, type Logger } from "../lib/log";
import { timedPhase } from "../lib/phase-timing";
import type { CertFolder } from "../rpc/credentials";
import { chain } from "../rpc/interceptors/chain";
import { serverLoggingInterceptor } from "../rpc/interceptors/logging";
import { GrpcServerMetrics } from "../rpc/interceptors/metrics";
import type { Metrics } from "../rpc/metrics";
import { peerRoleInterceptor } from "../rpc/interceptors/peer-role";
import { sessionInterceptor } from "../rpc/interceptors/session";
import { createServer, listen, stopServer, type HealthStatus } from "../rpc/server";
import type { GatewayStore, PaymentRow } from "../store/gateway-store";
import { SqliteGatewayStore } from "../store/gateway-sqlite";
import { PostgresGatewayStore } from "../store/gateway-postgres";
import { holdDatabase } from "../store/sqlite";
import { SeveralGateways } from "./several";
import { access } from "./access";
import { BankLinks } from "./bank-links";
import { BankHealth } from "./bank-health";
import { Coordinator } from "./coordinator";
import { instrumentGateway } from "./metrics";
import { Payments } from "./payments";
import { Refunds } from "./refunds";
import { PaymentStats } from "./stats";
import { adminService, coordinatorService, gatewayService } from "./service";
import { Users } from "./users";
import { PaymentWatches } from "./watches";

export interface GatewayOptions {
  host: string;
  port: number;
  dataDir: string;
  banks: Map<string, string>;
  certs: CertFolder;
  prepareTimeoutMs: number;
  sessionTtlMs: number;
  inDoubtAfterMs: number;
  keyRetentionMs: number;
  currency: string;
  log: Logger;
  clock?: Clock;
  ids?: IdSource;
  argonMemoryKiB?: number;
  /** Calls waiting for each bank at most (limits.exchangeEntriesQueuedMax); tests lower it to fill the queue. */
  exchangeEntriesQueuedMax?: number;
  /** Prometheus metrics (--metrics); none are kept without it. */
  metrics?: Metrics;
  /** PostgreSQL shared with other gateways, instead of a SQLite file of its own. */
  database?: { url: string; name: string; takeoverAfterMs: number };
  /** Another gateway took this one's name after judging it dead (PostgreSQL): by default the process stops itself. */
  onDisplaced?: () => void;
}

export interface RunningGateway {
  port: number;
  store: GatewayStore;
  coordinator: Coordinator;
  stop(): Promise<void>;
}

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  if (options.certs.identity.role !== "gateway") throw new AppError(Code.InvalidArgument, `--certs: ${options.certs.dir} is not the gateway's certificate folder`);
  const clock = options.clock ?? systemClock;
  const log = options.log;
  warnIfOpenToOthers(options.dataDir, log);
  const { store, several, hold } = await openStore(options);
  await warnOfBanksNotGiven(store, options.banks, log);
  const banks = new BankLinks(options.banks, options.certs, log, options.prepareTimeoutMs, clock, options.exchangeEntriesQueuedMax);
  const bankHealth = new BankHealth(banks, log);
  const others = several && options.database ? { undecidedElsewhere: (ids: string[]) => several.store.undecidedElsewhere(ids, options.database!.takeoverAfterMs) } : undefined;
  const coordinator = new Coordinator({ store, banks, clock, log, prepareTimeoutMs: options.prepareTimeoutMs, others });
  await coordinator.recover();
  const users = new Users({ store, banks, clock, log, currency: options.currency, sessionTtlMs: options.sessionTtlMs, argonMemoryKiB: options.argonMemoryKiB, failureTable: several ? { update: (keys, change) => several.store.updateLoginFailures(keys, change) } : undefined });
  const payments = new Payments({ store, coordinator, clock, ids: options.ids ?? randomIds, log, currency: options.currency });
  // Decided without an execution here (adopted, asked about by a bank): counted and told like the others.
  coordinator.onPresumedAbort = (row) => payments.tell(row);
  const refunds = new Refunds({ store, payments, clock, ids: options.ids ?? randomIds });
  const stats = new PaymentStats(payments, clock.nowMs());
  const watches = new PaymentWatches({ sessionOpen: (tokenHash) => users.sessionOpen(tokenHash) });
  payments.finished.on("finished", (row: PaymentRow) => watches.tell(row));
  const deps = { users, payments, watches, refunds, coordinator, banks, store, log, inDoubtAfterMs: options.inDoubtAfterMs, stats, currency: options.currency, nowMs: () => clock.nowMs() };
  const server = createServer({
    certs: options.certs,
    interceptors: chain(serverLoggingInterceptor(log, options.metrics && new GrpcServerMetrics(options.metrics)), peerRoleInterceptor(access.services), sessionInterceptor({ ...access.session, authenticate: (token, certSha256) => timedPhase("session.authenticate", () => users.authenticate(token, certSha256)) })),
    implementations: { Gateway: gatewayService(deps), Admin: adminService(deps), Coordinator: coordinatorService(deps) },
    health: (service) => gatewayHealth(service, banks, bankHealth),
  });
  if (options.metrics) instrumentGateway(options.metrics, { payments, coordinator, banks, store, several });
  const port = await listen(server, options.certs, options.host, options.port);
  coordinator.startDriver();
  several?.start(coordinator);
  bankHealth.start();
  const pruneTimer = setInterval(() => {
    void payments
      .pruneKeys(options.keyRetentionMs)
      .then(() => store.pruneSessions(clock.nowMs()))
      // With several gateways the failed-login counts live in the database: those that no longer count go too.
      .then(() => several?.store.pruneLoginFailures(clock.nowMs(), securityLimits.loginFailureWindowMs))
      .catch((error) => {
        log.warn({ event: "prune.failed", err: (error as Error).message }, "pruning keys, sessions and failed logins failed; will try again");
      });
  }, Math.min(options.keyRetentionMs, 60 * 60 * 1000));
  log.info({ event: "gateway.started", port, banks: banks.names() }, "gateway listening");
  return {
    port,
    store,
    coordinator,
    async stop() {
      clearInterval(pruneTimer);
      bankHealth.stop();
      several?.stopAdopting();
      coordinator.stop();
      payments.stop();
      // A payment in flight may wait for its votes the whole prepare timeout, then for phase two: given that long to be answered, not cut off.
      // Beating meanwhile, so that no other gateway takes it for silent and adopts what it is finishing.
      await stopServer(server, Math.min(options.prepareTimeoutMs + limits.phaseTwoWaitMs + 1_000, limits.shutdownGraceMsMax));
      await several?.stop();
      await several?.release();
      banks.close();
      await store.close();
      // Last: until its store is closed, no other gateway may open the file.
      hold?.stop();
    },
  };
}

/** SQLite in the data folder, or PostgreSQL shared with other gateways (this one's name taken first). */
async function openStore(options: GatewayOptions): Promise<{ store: GatewayStore; several?: SeveralGateways; hold?: { stop(): void } }> {
  if (!options.database) {
    const path = join(options.dataDir, "gateway.db");
    const hold = holdDatabase(path, "gateway", () => new SqliteGatewayStore(path));
    const store = hold.opened;
    await closedIfItFails(store, () => checkCurrency(store, options.currency)).catch((error) => {
      hold.stop();
      throw error;
    });
    return { store, hold };
  }
  const { url, name, takeoverAfterMs } = options.database;
  const store = await PostgresGatewayStore.open({ url }, name);
  const onDisplaced = options.onDisplaced ?? (() => process.kill(process.pid, "SIGTERM"));
  const several = new SeveralGateways({ store, takeoverAfterMs, log: options.log, onDisplaced });
  await closedIfItFails(store, async () => {
    await checkCurrency(store, options.currency);
    await several.takeName();
  });
  options.log.info({ event: "gateway.database", engine: "postgres", gateway: name }, "sharing a PostgreSQL database with other gateways");
  return { store, several };
}

/** At start: users registered at a bank this gateway is not given (--bank) cannot pay or be paid; said once, not found out per payment. */
async function warnOfBanksNotGiven(store: GatewayStore, banks: Map<string, string>, log: Logger): Promise<void> {
  const missing = (await store.registeredBanks()).filter((bank) => !banks.has(bank)).sort();
  if (missing.length === 0) return;
  log.warn({ event: "gateway.banks_not_given", banks: missing }, `users are registered at ${missing.join(", ")}, which this gateway is not given (--bank NAME=HOST:PORT): their balances and payments fail as a bank unreachable until it is`);
}

async function closedIfItFails(store: GatewayStore, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** One currency per deployment: a store holding payments in another currency than --currency is refused before anything runs. */
async function checkCurrency(store: GatewayStore, currency: string): Promise<void> {
  const [latest] = await store.listAllPayments(undefined, 1);
  if (latest && latest.currency !== currency) throw new AppError(Code.InvalidArgument, `--currency ${currency}: this deployment's payments are in ${latest.currency} (one currency per deployment)`);
}

const servedServices = new Set(["", "ministripe.v1.Gateway", "ministripe.v1.Admin", "ministripe.v1.Coordinator"]);

/** The gateway's own services, and "bank:NAME" for whether bank NAME answered the gateway's last health check. */
function gatewayHealth(service: string, banks: BankLinks, bankHealth: BankHealth): HealthStatus | undefined {
  if (servedServices.has(service)) return "SERVING";
  const bank = service.startsWith("bank:") ? service.slice("bank:".length) : undefined;
  if (bank === undefined || !banks.has(bank)) return undefined;
  return bankHealth.status(bank);
}
