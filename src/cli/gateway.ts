import { startGateway, type GatewayOptions } from "../gateway/gateway";
import { parseDatabaseUrl } from "../store/postgres";
import { parseDurationMsWithin } from "../lib/duration";
import { logFatalTo } from "../lib/fatal";
import { AppError, Code } from "../lib/errors";
import { currencyField } from "../lib/fields";
import { limits } from "../lib/limits";
import { parseAddress } from "../rpc/channel";
import { loadCertFolder } from "../rpc/credentials";
import { isValidName } from "../rpc/identity";
import { checkCanListen } from "../rpc/server";
import { UsageError } from "./support/exit";
import { intFlag, list, str, type Command, type Flags } from "./support/flags";
import { logFlags, metricsFlag, metricsOf, runUntilSignal, serveOrStop, serverLogger } from "./support/serve";

export const gatewayCommand: Command = {
  name: "gateway",
  usage: "gateway [--port 50050] [--host 127.0.0.1] [--bank NAME=HOST:PORT]... [--data DIR] [--certs DIR] [--prepare-timeout 5s] [--session-ttl 1h] [--metrics HOST:PORT] [--database postgres://... --name NAME [--takeover-after 10s]]",
  summary: "Runs the payment gateway: users, sessions, payments and the two-phase-commit coordinator.",
  flags: {
    port: { type: "string", help: "port to listen on (0: any)", default: "50050" },
    host: { type: "string", help: "address to listen on", default: "127.0.0.1" },
    bank: { type: "string", multiple: true, value: "NAME=HOST:PORT", help: "a bank: NAME=HOST:PORT (repeat for each)" },
    data: { type: "string", value: "DIR", help: "folder for the gateway's database", default: "data" },
    certs: { type: "string", value: "DIR", help: "the gateway's certificate folder", default: "certs/gateway" },
    "prepare-timeout": { type: "string", value: "DURATION", help: "abort a payment whose votes are not all in by then", default: "5s" },
    "session-ttl": { type: "string", value: "DURATION", help: "how long a login lasts", default: "1h" },
    "in-doubt-after": { type: "string", value: "DURATION", help: "audit: a prepared transaction older than this is in doubt", default: "10s" },
    "key-retention": { type: "string", value: "DURATION", help: "how long idempotency keys are kept", default: "24h" },
    currency: { type: "string", value: "CODE", help: "the deployment's currency", default: "INR" },
    database: { type: "string", value: "URL", help: "share a PostgreSQL database with other gateways: postgres://USER[:PASSWORD]@HOST:PORT/DB (env MINISTRIPE_DATABASE_URL, which ps does not show)" },
    name: { type: "string", value: "NAME", help: "with --database: this gateway's name, its own among the gateways" },
    "takeover-after": { type: "string", value: "DURATION", help: "with --database: finish the payments of a gateway silent this long (2s to 10m; the same on every gateway)", default: "10s" },
    ...metricsFlag,
    ...logFlags,
  },
  async run(flags) {
    const banks = parseBanks(list(flags, "bank"));
    const prepareTimeoutMs = parseDurationMsWithin(str(flags, "prepare-timeout")!, "--prepare-timeout", { minMs: limits.prepareTimeoutMsMin, maxMs: limits.prepareTimeoutMsMax });
    const sessionTtlMs = parseDurationMsWithin(str(flags, "session-ttl")!, "--session-ttl", { minMs: limits.sessionTtlMsMin, maxMs: limits.sessionTtlMsMax });
    const inDoubtAfterMs = parseDurationMsWithin(str(flags, "in-doubt-after")!, "--in-doubt-after", { minMs: limits.prepareTimeoutMsMin, maxMs: limits.inDoubtAfterMsMax });
    const keyRetentionMs = parseDurationMsWithin(str(flags, "key-retention")!, "--key-retention", { minMs: limits.idempotencyKeyTtlMsDefault, maxMs: limits.keyRetentionMsMax });
    const database = databaseOf(flags);
    const host = str(flags, "host")!;
    const port = intFlag(flags, "port", 50050, 0, 65535);
    // Before anything else starts (and logs): a busy port is the one line the user sees.
    await checkCanListen(host, port);
    // With several gateways each logs under its --name, so their lines can be told apart.
    const log = serverLogger(flags, "gateway", str(flags, "name") ?? "gateway");
    // A failed assertion is logged here, next to what led to it, before the process stops.
    logFatalTo(log);
    const metrics = await metricsOf(flags);
    const displaced = Promise.withResolvers<AppError>();
    const gateway = await startGateway({
      host,
      port,
      dataDir: str(flags, "data")!,
      banks,
      certs: loadCertFolder(str(flags, "certs")!),
      prepareTimeoutMs,
      sessionTtlMs,
      inDoubtAfterMs,
      keyRetentionMs,
      currency: currencyField(str(flags, "currency")!, "--currency"),
      log,
      metrics: metrics?.metrics,
      database,
      onDisplaced: () => displaced.resolve(new AppError(Code.FailedPrecondition, `another gateway took the name "${database?.name}" while this one showed no life for longer than --takeover-after; stopped (start it again, or with its own --name)`)),
    });
    const scrape = metrics && (await serveOrStop(metrics.serve, gateway.stop));
    process.stdout.write(`gateway listening on ${host}:${gateway.port} with banks ${[...banks.keys()].join(", ")}\n`);
    if (scrape) process.stdout.write(`metrics on http://${str(flags, "metrics")}/metrics\n`);
    return runUntilSignal(async () => {
      await scrape?.stop();
      await gateway.stop();
    }, log, displaced.promise);
  },
};

/** --database (or MINISTRIPE_DATABASE_URL) with --name and --takeover-after; undefined: SQLite in --data. */
function databaseOf(flags: Flags): GatewayOptions["database"] {
  const url = str(flags, "database") ?? process.env.MINISTRIPE_DATABASE_URL;
  const name = str(flags, "name");
  if (!url) {
    if (name !== undefined) throw new UsageError("--name: only with --database (gateways sharing a PostgreSQL database); a lone gateway needs no name");
    return undefined;
  }
  parseDatabaseUrl(url);
  if (name === undefined) throw new UsageError("--database: each gateway needs its own --name (letters, digits, - or _)");
  if (!isValidName(name)) throw new UsageError(`--name: "${name}" is not a name (letters, digits, - or _)`);
  const takeoverAfterMs = parseDurationMsWithin(str(flags, "takeover-after")!, "--takeover-after", { minMs: limits.takeoverAfterMsMin, maxMs: limits.takeoverAfterMsMax });
  return { url, name, takeoverAfterMs };
}

function parseBanks(specs: string[]): Map<string, string> {
  if (specs.length === 0) throw new UsageError("--bank NAME=HOST:PORT: at least one bank");
  const banks = new Map<string, string>();
  for (const spec of specs) {
    const [name, address] = spec.split("=", 2);
    if (!name || !address || !isValidName(name)) throw new UsageError(`--bank: "${spec}" is not NAME=HOST:PORT`);
    if (banks.has(name)) throw new UsageError(`--bank: ${name} given twice`);
    banks.set(name, parseAddress(address, `--bank ${name}`));
  }
  return banks;
}
