import { startBank } from "../bank/bank";
import { parseDurationMsWithin } from "../lib/duration";
import { logFatalTo } from "../lib/fatal";
import { limits } from "../lib/limits";
import { parseAddress } from "../rpc/channel";
import { loadCertFolder } from "../rpc/credentials";
import { isValidName } from "../rpc/identity";
import { checkCanListen } from "../rpc/server";
import { UsageError } from "./support/exit";
import { intFlag, need, str, type Command } from "./support/flags";
import { logFlags, metricsFlag, metricsOf, runUntilSignal, serveOrStop, serverLogger } from "./support/serve";

export const bankCommand: Command = {
  name: "bank",
  usage: "bank --name NAME [--port 50051] [--host 127.0.0.1] [--data DIR] [--accounts FILE] [--certs DIR] [--gateway HOST:PORT[,HOST:PORT...]] [--metrics HOST:PORT]",
  summary: "Runs one bank: accounts, holds and ledger, a two-phase-commit participant.",
  flags: {
    name: { type: "string", help: "this bank's name" },
    port: { type: "string", help: "port to listen on (0: any)", default: "50051" },
    host: { type: "string", help: "address to listen on", default: "127.0.0.1" },
    data: { type: "string", value: "DIR", help: "folder for the bank's database", default: "data" },
    accounts: { type: "string", value: "FILE", help: "the shared accounts file (YAML or JSON), read on first start" },
    certs: { type: "string", value: "DIR", help: "this bank's certificate folder", default: "certs/bank-NAME" },
    gateway: { type: "string", value: "HOST:PORT", help: "the gateways (HOST:PORT,...), asked about in-doubt transactions; the next is asked when one does not answer" },
    "in-doubt-after": { type: "string", value: "DURATION", help: "ask the gateway about a prepared transaction after this long", default: "10s" },
    ...metricsFlag,
    ...logFlags,
  },
  async run(flags) {
    const name = need(flags, "name");
    if (!isValidName(name)) throw new UsageError(`--name: "${name}" is not a valid bank name`);
    const inDoubtAfterMs = parseDurationMsWithin(str(flags, "in-doubt-after")!, "--in-doubt-after", { minMs: limits.prepareTimeoutMsMin, maxMs: limits.inDoubtAfterMsMax });
    const host = str(flags, "host")!;
    const port = intFlag(flags, "port", 50051, 0, 65535);
    // Before anything else starts (and logs): a busy port is the one line the user sees.
    await checkCanListen(host, port);
    const log = serverLogger(flags, "bank", name);
    // A failed assertion is logged here, next to what led to it, before the process stops.
    logFatalTo(log);
    const metrics = await metricsOf(flags);
    const bank = await startBank({
      name,
      host,
      port,
      dataDir: str(flags, "data")!,
      accountsFile: str(flags, "accounts"),
      certs: loadCertFolder(str(flags, "certs") === "certs/bank-NAME" ? `certs/bank-${name}` : str(flags, "certs")!),
      gateway: str(flags, "gateway") ? str(flags, "gateway")!.split(",").map((address) => parseAddress(address.trim(), "--gateway")) : undefined,
      inDoubtAfterMs,
      log,
      metrics: metrics?.metrics,
    });
    const scrape = metrics && (await serveOrStop(metrics.serve, bank.stop));
    process.stdout.write(`bank ${name} listening on ${host}:${bank.port}\n`);
    if (scrape) process.stdout.write(`metrics on http://${str(flags, "metrics")}/metrics\n`);
    return runUntilSignal(async () => {
      await scrape?.stop();
      await bank.stop();
    }, log);
  },
};
