import { startBank } from "../bank/bank";
import { parseDurationMs } from "../lib/duration";
import { limits } from "../lib/limits";
import { parseAddress } from "../rpc/channel";
import { loadCertFolder } from "../rpc/credentials";
import { isValidName } from "../rpc/identity";
import { UsageError } from "./exit";
import { intFlag, need, str, type Command } from "./flags";
import { logFlags, runUntilSignal, serverLogger } from "./serve";

export const bankCommand: Command = {
  name: "bank",
  usage: "bank --name NAME [--port 50051] [--host 127.0.0.1] [--data DIR] [--accounts FILE] [--certs DIR] [--gateway HOST:PORT]",
  summary: "Runs one bank: accounts, holds and ledger, a two-phase-commit participant.",
  flags: {
    name: { type: "string", help: "this bank's name" },
    port: { type: "string", help: "port to listen on (0: any)", default: "50051" },
    host: { type: "string", help: "address to listen on", default: "127.0.0.1" },
    data: { type: "string", help: "folder for the bank's database", default: "data" },
    accounts: { type: "string", help: "the shared accounts file (YAML or JSON), read on first start" },
    certs: { type: "string", help: "this bank's certificate folder", default: "certs/bank-NAME" },
    gateway: { type: "string", help: "the gateway, asked about in-doubt transactions" },
    "in-doubt-after": { type: "string", help: "ask the gateway about a prepared transaction after this long", default: "10s" },
    ...logFlags,
  },
  async run(flags) {
    const name = need(flags, "name");
    if (!isValidName(name)) throw new UsageError(`--name: "${name}" is not a valid bank name`);
    const log = serverLogger(flags, "bank", name);
    const bank = await startBank({
      name,
      host: str(flags, "host")!,
      port: intFlag(flags, "port", 50051, 0, 65535),
      dataDir: str(flags, "data")!,
      accountsFile: str(flags, "accounts"),
      certs: loadCertFolder(str(flags, "certs") === "certs/bank-NAME" ? `certs/bank-${name}` : str(flags, "certs")!),
      gateway: str(flags, "gateway") ? parseAddress(str(flags, "gateway")!, "--gateway") : undefined,
      inDoubtAfterMs: Math.max(limits.prepareTimeoutMsMin, parseDurationMs(str(flags, "in-doubt-after")!, "--in-doubt-after")),
      log,
    });
    process.stdout.write(`bank ${name} listening on ${str(flags, "host")}:${bank.port}\n`);
    return runUntilSignal(() => bank.stop(), log);
  },
};
