// `ministripe bench`: a load test through full two-phase commit. Flags and
// output only; the run and its pieces are in src/bench/.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseDurationMs } from "../lib/duration";
import { benchLimits, limits } from "../lib/limits";
import { parseAmountMinor, parseDecimalMinor } from "../lib/money";
import { parseAddress } from "../rpc/channel";
import { isValidName } from "../rpc/identity";
import { Exit, UsageError } from "./support/exit";
import { bool, intFlag, str, type Command, type Flags } from "./support/flags";
import { printJson, say, warn } from "./support/output";
import { reportLines } from "../bench/report";
import { gatewaysFlag, severalOf } from "./support/cluster-flags";
import { runBench, type BenchOptions, type ExternalTarget } from "../bench/run";
import { clientStacks, type ClientStack } from "../bench/setup";

export const benchCommand: Command = {
  name: "bench",
  usage: "bench [--duration 10s] [--concurrency 64] [--banks 3] [--gateways 1] [--database URL] [--login] [--ceiling] [--json] [--gateway HOST:PORT --certs DIR --accounts FILE]",
  summary: "Load test: payments/s and latency through full 2PC (or logins/s with --login), then an audit.",
  flags: {
    duration: { type: "string", value: "DURATION", help: "how long to measure", default: "10s" },
    warmup: { type: "string", value: "DURATION", help: "load before measuring, not counted", default: "1s" },
    concurrency: { type: "string", value: "N", help: "virtual clients, each sending its next request when the last is answered", default: "64" },
    connections: { type: "string", value: "N", help: "gateway connections the virtual clients share", default: "4" },
    "client-stack": { type: "string", value: "STACK", help: "how bench calls: http2 (a lean gRPC client, so bench takes less of the CPU it shares) or grpc-js", default: "http2" },
    banks: { type: "string", value: "N_OR_NAMES", help: "how many banks (b1..bN), or their names (hdfc,icici)", default: "3" },
    "accounts-per-bank": { type: "string", value: "N", help: "accounts, and so users, at each bank", default: "50" },
    balance: { type: "string", value: "AMOUNT", help: "opening balance of each generated account", default: "1000000.00" },
    "amount-max": { type: "string", value: "AMOUNT", help: "payments are random amounts from 0.01 up to this", default: "100.00" },
    login: { type: "boolean", help: "measure logins/s (Argon2id) instead of payments" },
    ceiling: { type: "boolean", help: "also measure an empty gRPC call's rate (same client stack and concurrency, its own server process) and report the ratio; on a shared machine compare ratios, not rates" },
    json: { type: "boolean", help: "print the report as one JSON object" },
    gateways: gatewaysFlag,
    database: { type: "string", value: "URL", help: "run the gateways on this PostgreSQL (env MINISTRIPE_DATABASE_URL); its CPU is measured too when it runs here" },
    metrics: { type: "boolean", help: "start the gateway and banks with --metrics (to measure what it costs)" },
    "log-level": { type: "string", value: "LEVEL", help: "log level of the gateway and banks bench starts", default: "warn" },
    dir: { type: "string", value: "DIR", help: "keep the cluster's certs, data and logs here (default: a temporary folder, removed)" },
    gateway: { type: "string", value: "HOST:PORT", help: "measure a running gateway instead (needs --certs and --accounts); the users it registers are kept in client-NAME/bench-users.json for the next run" },
    certs: { type: "string", value: "DIR", help: "with --gateway: the folder certs init made (admin/ and client-NAME/)" },
    client: { type: "string", value: "NAME", help: "with --gateway: the client certificate name to use", default: "bench" },
    accounts: { type: "string", value: "FILE", help: "with --gateway: the accounts file the banks loaded" },
  },
  async run(flags) {
    const json = bool(flags, "json");
    const options = benchOptions(flags, json);
    const report = await runBench(options);
    if (json) printJson(report);
    else for (const line of reportLines(report)) say(line);
    return report.audit.ok ? Exit.ok : Exit.declined;
  },
};

function benchOptions(flags: Flags, json: boolean): BenchOptions {
  const target = externalTarget(flags);
  return {
    mode: bool(flags, "login") ? "login" : "pay",
    durationMs: durationFlag(flags, "duration", 100),
    warmupMs: durationFlag(flags, "warmup", 0),
    concurrency: intFlag(flags, "concurrency", 64, 1, benchLimits.concurrencyMax),
    connections: intFlag(flags, "connections", 4, 1, benchLimits.connectionsMax),
    clientStack: clientStackFlag(str(flags, "client-stack")!),
    ceiling: ceilingFlag(flags, target),
    banks: target ? banksOfAccounts(target.accountsYaml) : bankNames(str(flags, "banks")!),
    accountsPerBank: intFlag(flags, "accounts-per-bank", 50, 1, limits.accountsPerBankMax),
    balance: decimalFlag(flags, "balance"),
    amountMaxMinor: Number(parseAmountMinor(str(flags, "amount-max")!, "--amount-max")),
    logLevel: str(flags, "log-level")!,
    metrics: bool(flags, "metrics"),
    target,
    dir: str(flags, "dir"),
    ...severalOf(flags),
    progress: !json,
    say: json ? () => {} : warn,
    warn,
  };
}

function ceilingFlag(flags: Flags, target: ExternalTarget | undefined): boolean {
  const ceiling = bool(flags, "ceiling");
  if (ceiling && target) throw new UsageError("--ceiling: only with the cluster bench starts (it serves the ceiling under that cluster's gateway certificate), not with --gateway");
  return ceiling;
}

function clientStackFlag(text: string): ClientStack {
  const stack = clientStacks.find((name) => name === text);
  if (!stack) throw new UsageError(`--client-stack: one of ${clientStacks.join(", ")}`);
  return stack;
}

/** "3" means b1, b2, b3; otherwise a list of names. */
export function bankNames(text: string): string[] {
  const count = /^\d+$/.test(text) ? Number(text) : undefined;
  if (count !== undefined) {
    if (count < 1 || count > benchLimits.banksMax) throw new UsageError(`--banks: from 1 to ${benchLimits.banksMax}`);
    return Array.from({ length: count }, (_, i) => `b${i + 1}`);
  }
  const names = text.split(",").map((s) => s.trim()).filter(Boolean);
  if (names.length === 0 || names.length > benchLimits.banksMax || !names.every(isValidName)) throw new UsageError("--banks: a count, or names of lowercase letters, digits, - and _");
  return names;
}

function externalTarget(flags: Flags): ExternalTarget | undefined {
  const gateway = str(flags, "gateway");
  if (gateway === undefined) return undefined;
  const certsDir = str(flags, "certs");
  const accounts = str(flags, "accounts");
  if (!certsDir || !accounts) throw new UsageError("--gateway needs --certs DIR (with admin/ and client-NAME/) and --accounts FILE");
  let accountsYaml: string;
  try {
    accountsYaml = readFileSync(accounts, "utf8");
  } catch {
    throw new UsageError(`--accounts: cannot read ${accounts}`);
  }
  return { gateway: parseAddress(gateway, "--gateway"), certsDir: join(certsDir), client: str(flags, "client")!, accountsYaml };
}

function banksOfAccounts(accountsYaml: string): string[] {
  const doc = accountsYaml.trimStart().startsWith("{") ? JSON.parse(accountsYaml) : Bun.YAML.parse(accountsYaml);
  const names = Object.keys((doc as { banks?: Record<string, unknown> })?.banks ?? {});
  if (names.length === 0) throw new UsageError("--accounts: no banks in this file");
  return names.slice(0, benchLimits.banksMax);
}

function durationFlag(flags: Flags, name: string, minMs: number): number {
  const durationMs = parseDurationMs(str(flags, name)!, `--${name}`);
  if (durationMs < minMs || durationMs > benchLimits.durationMsMax) throw new UsageError(`--${name}: from ${minMs}ms to ${benchLimits.durationMsMax / 60_000}m`);
  return durationMs;
}

function decimalFlag(flags: Flags, name: string): string {
  const text = str(flags, name)!;
  const minor = parseDecimalMinor(text, `--${name}`);
  if (minor <= 0n) throw new UsageError(`--${name}: a positive amount such as 100.00`);
  return text;
}
