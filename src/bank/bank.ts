// Starts one bank: its store, its accounts, its gRPC server, and the
// in-doubt resolver that asks the gateway about old prepared transactions.
import { join } from "node:path";
import { systemClock, type Clock } from "../lib/clock";
import { AppError, Code } from "../lib/errors";
import { warnIfOpenToOthers, type Logger } from "../lib/log";
import { connect } from "../rpc/channel";
import type { CertFolder } from "../rpc/credentials";
import { chain } from "../rpc/interceptors/chain";
import { serverLoggingInterceptor } from "../rpc/interceptors/logging";
import { GrpcServerMetrics } from "../rpc/interceptors/metrics";
import type { Metrics } from "../rpc/metrics";
import { batchSizeBuckets } from "../lib/metric-buckets";
import { peerRoleInterceptor } from "../rpc/interceptors/peer-role";
import { createServer, listen, stopServer } from "../rpc/server";
import { BankStore } from "../store/bank-store";
import { holdDatabase } from "../store/sqlite";
import { readBankSection, type BankSection } from "./accounts-file";
import { pinHashesOf } from "./account-pins";
import { InDoubtResolver } from "./in-doubt";
import { Participant } from "./participant";
import { bankService } from "./service";

/** Who may ask a bank about itself (health, reflection): one rule, and never a client (a client never reaches a bank). */
const bankObservers = ["gateway", "admin"] as const;

export interface BankOptions {
  name: string;
  host: string;
  port: number;
  dataDir: string;
  accountsFile?: string;
  certs: CertFolder;
  /** The gateways to ask about in-doubt transactions (any of them answers; the next is asked when one does not). */
  gateway?: string | string[];
  inDoubtAfterMs: number;
  log: Logger;
  clock?: Clock;
  /** Prometheus metrics (--metrics); none are kept without it. */
  metrics?: Metrics;
}

export interface RunningBank {
  port: number;
  store: BankStore;
  participant: Participant;
  resolver?: InDoubtResolver;
  stop(): Promise<void>;
}

export async function startBank(options: BankOptions): Promise<RunningBank> {
  if (options.certs.identity.role !== "bank" || options.certs.identity.name !== options.name) {
    throw new AppError(Code.InvalidArgument, `--certs: ${options.certs.dir} is not bank ${options.name}'s certificate folder`);
  }
  const clock = options.clock ?? systemClock;
  const log = options.log;
  warnIfOpenToOthers(options.dataDir, log);
  const databasePath = join(options.dataDir, `bank-${options.name}.db`);
  const hold = holdDatabase(databasePath, "bank", () => new BankStore(databasePath));
  const store = hold.opened;
  const currency = await loadAccountsOnce(store, options);
  const participant = new Participant(store, clock, log);
  let serving = false;
  const server = createServer({
    certs: options.certs,
    interceptors: chain(serverLoggingInterceptor(log, options.metrics && new GrpcServerMetrics(options.metrics)), peerRoleInterceptor({ Bank: ["gateway"], Health: bankObservers, ServerReflection: bankObservers })),
    implementations: { Bank: bankService({ bankName: options.name, currency, store, participant, log, nowMs: () => clock.nowMs(), onBatch: options.metrics && instrumentBank(options.metrics, store, () => clock.nowMs() - options.inDoubtAfterMs) }) },
    health: (service) => (service === "" || service === "ministripe.v1.Bank" ? (serving ? "SERVING" : "NOT_SERVING") : undefined),
  });
  const port = await listen(server, options.certs, options.host, options.port);
  serving = true;
  let resolver: InDoubtResolver | undefined;
  const gateways = [options.gateway ?? []].flat();
  if (gateways.length > 0) {
    const coordinators = gateways.map((address) => connect("Coordinator", address, { certs: options.certs, expect: { role: "gateway", name: "gateway" }, log }));
    resolver = new InDoubtResolver({ store, participant, coordinators, inDoubtAfterMs: options.inDoubtAfterMs, nowMs: () => clock.nowMs(), log });
    resolver.start();
  } else {
    log.warn({ event: "bank.no_gateway" }, "no --gateway: in-doubt transactions wait for the gateway to resend its decision");
  }
  log.info({ event: "bank.started", port, accounts: store.listAccounts().length }, `bank ${options.name} listening`);
  return {
    port,
    store,
    participant,
    resolver,
    async stop() {
      serving = false;
      resolver?.stop();
      await stopServer(server);
      store.close();
      hold.stop();
    },
  };
}

/**
 * Loads this bank's section on first start only; never overwrites balances it
 * holds. On a later start it only takes the PINs the file gives for accounts
 * that have none yet (a database loaded before PINs existed).
 */
async function loadAccountsOnce(store: BankStore, options: BankOptions): Promise<string> {
  const loaded = store.getMeta("currency");
  if (loaded) {
    await adoptMissingPins(store, options);
    return loaded;
  }
  if (!options.accountsFile) throw new AppError(Code.InvalidArgument, "--accounts: needed on a bank's first start");
  const section = readBankSection(options.accountsFile, options.name);
  const pinHashes = await pinHashesOf(section.accounts);
  store.transaction(() => {
    let totalMinor = 0n;
    for (const seed of section.accounts) {
      store.insertAccount(seed);
      const pinHash = pinHashes.get(seed.number);
      if (pinHash) store.setPinHashIfNone(seed.number, pinHash);
      totalMinor += seed.balanceMinor;
    }
    store.setMeta("loaded_total_minor", totalMinor.toString());
    store.setMeta("currency", section.currency);
  });
  options.log.info({ event: "bank.accounts_loaded", accounts: section.accounts.length, with_pin: pinHashes.size }, "accounts loaded");
  return section.currency;
}

async function adoptMissingPins(store: BankStore, options: BankOptions): Promise<void> {
  const withoutPin = new Set(store.listAccountsWithoutPin());
  if (withoutPin.size === 0 || !options.accountsFile) return;
  let section: BankSection;
  try {
    section = readBankSection(options.accountsFile, options.name);
  } catch (error) {
    // The file matters only on first start: a bank that holds its accounts runs without it.
    options.log.warn({ event: "bank.accounts_file_unreadable", err: error }, "accounts file not read: accounts without a PIN stay so");
    return;
  }
  const pinHashes = await pinHashesOf(section.accounts.filter((seed) => withoutPin.has(seed.number)));
  if (pinHashes.size === 0) return;
  const adopted = store.transaction(() => [...pinHashes].filter(([number, pinHash]) => store.setPinHashIfNone(number, pinHash)).length);
  options.log.info({ event: "bank.pins_adopted", accounts: adopted }, "PINs taken from the accounts file for accounts that had none");
}

/** Open holds and in-doubt transactions, read at scrape time; returns the batch-size observer. */
function instrumentBank(metrics: Metrics, store: BankStore, inDoubtBeforeAtMs: () => number): (size: number) => void {
  metrics.gaugeOf("ministripe_bank_open_holds", "Holds placed and not yet posted or voided.", () => store.countOpenHolds().holds);
  metrics.gaugeOf("ministripe_bank_in_doubt_transactions", "Prepared transactions older than the in-doubt interval.", () => store.countInDoubt(inDoubtBeforeAtMs()));
  const batches = metrics.histogram("ministripe_batch_size", "Items per batch: RPC batches (Prepare, Commit, Abort) applied in one bank transaction.", ["batch"], batchSizeBuckets).labels({ batch: "bank_transaction" });
  return (size) => batches.observe(size);
}
