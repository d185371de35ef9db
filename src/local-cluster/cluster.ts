// Starts a whole system on this machine as separate processes of this same
// executable: banks first, then the gateway. Used by dev, demo and bench.
import { type Subprocess } from "bun";
import { closeSync, cpSync, existsSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { assert } from "../lib/assert";
import { AppError, Code } from "../lib/errors";
import { formatDurationMs } from "../lib/duration";
import { makePrivateFolder, privateFileMode } from "../lib/private-files";
import { initCertificates } from "../rpc/certificates";
import { selfCommand } from "./self";
import { serverRuntimeEnv } from "./server-runtime";
import { devLimits } from "../lib/limits";

export interface ClusterOptions {
  dir: string;
  banks: string[];
  clients: string[];
  accountsYaml: string;
  /** The first gateway's port; further gateways take the next ones (none: free ports). */
  gatewayPort?: number;
  bankPortBase?: number;
  prepareTimeoutMs?: number;
  inDoubtAfterMs?: number;
  logLevel?: string;
  /** Extra arguments for the gateway (tests, bench). */
  gatewayArgs?: string[];
  /** Gateways sharing `database` (PostgreSQL); 1 by default. */
  gateways?: number;
  /** PostgreSQL URL the gateways share (given to them in MINISTRIPE_DATABASE_URL, not argv); none: SQLite. */
  database?: string;
  /** Start every server with --metrics on a port of its own (bench measures what it costs). */
  metrics?: boolean;
  /** The address the gateway dials for a bank (default: the bank's own): tests put a faulty network in between. */
  gatewayRouteToBank?: (bank: string, address: string) => Promise<string>;
  /** Extra environment per process name ("gateway", "bank-hdfc"): tests arm failpoints this way. */
  env?: Record<string, Record<string, string>>;
  /** Told when a process dies that was not asked to (not by kill or stop): `dev` says so and restarts it. */
  onUnexpectedExit?: (name: string, exit: ChildExit) => void;
}

export interface ChildExit {
  code: number | null;
  signal: string | null;
}

export interface Cluster {
  /** The first gateway's address. */
  gatewayAddress: string;
  /** Every gateway's address; process names "gateway" (one) or "gateway-1".."gateway-N". */
  gatewayAddresses: string[];
  bankAddresses: Map<string, string>;
  /** Each process's /metrics address ("gateway", "bank-hdfc") when started with metrics. */
  metricsAddresses: Map<string, string>;
  certsDir: string;
  logsDir: string;
  processes: Map<string, Subprocess>;
  /** Home folder for a client name, with its certificate under HOME/certs. */
  homeOf(client: string): string;
  /** Kills one process (SIGKILL by default: no clean-up) and waits for it to die. */
  kill(name: string, signal?: "SIGKILL" | "SIGTERM"): Promise<void>;
  /** Starts a stopped process again with its original arguments and the given environment. */
  restart(name: string, env?: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

interface ProcessSpec {
  args: string[];
  stderrPath: string;
  /** Environment every start of the process gets (a restart's own comes on top). */
  env?: Record<string, string>;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  makePrivateFolder(options.dir);
  const certsDir = join(options.dir, "certs");
  const logsDir = join(options.dir, "logs");
  makePrivateFolder(logsDir);
  if (!existsSync(join(certsDir, "ca", "cert.pem"))) {
    await initCertificates({ dir: certsDir, hosts: ["localhost", "127.0.0.1"], banks: options.banks, clients: options.clients });
  }
  for (const client of options.clients) {
    const home = join(options.dir, "home", client);
    makePrivateFolder(home);
    if (!existsSync(join(home, "certs"))) cpSync(join(certsDir, `client-${client}`), join(home, "certs"), { recursive: true });
  }
  const accountsPath = join(options.dir, "accounts.yaml");
  if (!existsSync(accountsPath)) writeFileSync(accountsPath, options.accountsYaml);
  const gatewayCount = options.gateways ?? 1;
  if (gatewayCount > 1 && !options.database) throw new AppError(Code.InvalidArgument, "--gateways: more than one gateway needs a shared --database (PostgreSQL); each SQLite file belongs to one gateway");
  const gatewayPorts: number[] = [];
  for (let i = 0; i < gatewayCount; i++) gatewayPorts.push(options.gatewayPort ? options.gatewayPort + i : await freePort());
  const gatewayAddresses = gatewayPorts.map((port) => `127.0.0.1:${port}`);
  const gatewayAddress = gatewayAddresses[0]!;
  const processes = new Map<string, Subprocess>();
  const specs = new Map<string, ProcessSpec>();
  const bankAddresses = new Map<string, string>();
  const metricsAddresses = new Map<string, string>();
  /** Children that were asked to end (kill, stop): their exit is no news. */
  const asked = new WeakSet<Subprocess>();
  let stopping = false;
  const stop = () => {
    stopping = true;
    for (const child of processes.values()) asked.add(child);
    return stopAll(processes);
  };
  const launch = async (name: string, spec: ProcessSpec, env?: Record<string, string>) => {
    if (options.metrics && !metricsAddresses.has(name)) {
      metricsAddresses.set(name, `127.0.0.1:${await freePort()}`);
      spec.args.push("--metrics", metricsAddresses.get(name)!);
    }
    specs.set(name, spec);
    const child = await spawnListening(spec.args, spec.stderrPath, env);
    processes.set(name, child);
    void child.exited.then((code) => {
      if (stopping || asked.has(child) || processes.get(name) !== child) return;
      options.onUnexpectedExit?.(name, { code: child.signalCode ? null : code, signal: child.signalCode ? String(child.signalCode) : null });
    });
  };
  try {
    for (const [i, bank] of options.banks.entries()) {
      const port = options.bankPortBase ? options.bankPortBase + i : await freePort();
      const args = ["bank", "--name", bank, "--port", String(port), "--data", join(options.dir, "data"), "--accounts", accountsPath, "--certs", join(certsDir, `bank-${bank}`), "--gateway", gatewayAddresses.join(","), "--log-file", join(logsDir, `bank-${bank}.log`), "--log-level", options.logLevel ?? "info"];
      if (options.inDoubtAfterMs) args.push("--in-doubt-after", formatDurationMs(options.inDoubtAfterMs));
      await launch(`bank-${bank}`, { args, stderrPath: join(logsDir, `bank-${bank}.stderr`) }, options.env?.[`bank-${bank}`]);
      bankAddresses.set(bank, `127.0.0.1:${port}`);
    }
    const routes = new Map<string, string>();
    for (const [bank, address] of bankAddresses) routes.set(bank, options.gatewayRouteToBank ? await options.gatewayRouteToBank(bank, address) : address);
    // Started together: several gateways on one database migrate it once however they race.
    await Promise.all(
      gatewayPorts.map((port, i) => {
        const name = gatewayCount === 1 ? "gateway" : `gateway-${i + 1}`;
        const gatewayArgs = ["gateway", "--port", String(port), "--data", join(options.dir, "data"), "--certs", join(certsDir, "gateway"), "--log-file", join(logsDir, `${name}.log`), "--log-level", options.logLevel ?? "info"];
        for (const [bank, route] of routes) gatewayArgs.push("--bank", `${bank}=${route}`);
        if (options.prepareTimeoutMs) gatewayArgs.push("--prepare-timeout", formatDurationMs(options.prepareTimeoutMs));
        if (options.database) gatewayArgs.push("--name", `g${i + 1}`);
        gatewayArgs.push(...(options.gatewayArgs ?? []));
        const env = { ...(options.database ? { MINISTRIPE_DATABASE_URL: options.database } : {}), ...options.env?.[name] };
        return launch(name, { args: gatewayArgs, stderrPath: join(logsDir, `${name}.stderr`), env: options.database ? { MINISTRIPE_DATABASE_URL: options.database } : undefined }, env);
      }),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    gatewayAddress,
    gatewayAddresses,
    bankAddresses,
    metricsAddresses,
    certsDir,
    logsDir,
    processes,
    homeOf: (client) => join(options.dir, "home", client),
    async kill(name, signal = "SIGKILL") {
      const child = processes.get(name);
      assert(child, `a process ${name} in this cluster`);
      asked.add(child);
      child.kill(signal);
      await child.exited;
    },
    async restart(name, env) {
      const spec = specs.get(name);
      assert(spec, `a process ${name} in this cluster`);
      await launch(name, spec, { ...spec.env, ...env });
    },
    stop,
  };
}

/** Starts a server process and waits for its "listening" line. */
export async function spawnListening(args: string[], stderrPath: string, env?: Record<string, string>): Promise<Subprocess> {
  // Appended, never truncated: a restarted process keeps what its predecessor said before it died.
  const stderrFd = openSync(stderrPath, "a", privateFileMode);
  let child: Subprocess;
  try {
    child = Bun.spawn([...selfCommand(), ...args], { stdout: "pipe", stderr: stderrFd, stdin: "ignore", env: { ...process.env, ...serverRuntimeEnv, ...env } });
  } finally {
    closeSync(stderrFd); // the child has its own copy
  }
  const reader = (child.stdout as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let seen = "";
  const deadlineAtMs = Date.now() + devLimits.processStartMsMax;
  while (Date.now() < deadlineAtMs) {
    const chunk = await Promise.race([reader.read(), Bun.sleep(deadlineAtMs - Date.now()).then(() => undefined)]);
    if (!chunk || chunk.done) break;
    seen += decoder.decode(chunk.value);
    if (seen.includes("listening on")) {
      reader.releaseLock();
      return child;
    }
  }
  // Exited by itself (its own refusal: a bad URL, refused credentials), or still starting at the deadline.
  const exitedItself = child.exitCode !== null || (await Promise.race([child.exited.then(() => true), Bun.sleep(devLimits.processExitWaitMs).then(() => false)]));
  child.kill("SIGKILL");
  await child.exited;
  const stderr = await Bun.file(stderrPath).text().catch(() => "");
  const code = exitedItself ? codeOfExit(child.exitCode) : Code.Unavailable;
  throw new AppError(code, `${args[0]} did not start: ${stderr.trim().split("\n").slice(-3).join(" | ") || seen.trim()}`);
}

/**
 * A server's own exit code back in the error model, so that dev, demo and
 * bench exit as the server would have (SPEC's codes: 2 usage, 3 refused
 * credentials); anything else, 4: it could not be started.
 */
function codeOfExit(exitCode: number | null): Code {
  if (exitCode === 2) return Code.InvalidArgument;
  if (exitCode === 3) return Code.Unauthenticated;
  return Code.Unavailable;
}

async function stopAll(processes: Map<string, Subprocess>): Promise<void> {
  for (const child of processes.values()) if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  await Promise.all(
    [...processes.values()].map((child) =>
      Promise.race([child.exited, Bun.sleep(5_000).then(() => child.kill("SIGKILL"))]),
    ),
  );
}

/**
 * A port that is free now and stays free until a child process binds it:
 * chosen at random below the kernel's ephemeral range, where neither outgoing
 * connections nor port-0 listeners are given ports (a port-0 choice, closed
 * and handed on, can be taken by one of those before the child binds it).
 */
export async function freePort(): Promise<number> {
  const high = ephemeralPortLow() - 1;
  for (let attempt = 0; attempt < devLimits.portChoicesMax && high > chosenPortLow; attempt++) {
    const port = chosenPortLow + Math.floor(Math.random() * (high - chosenPortLow + 1));
    // Not one this process handed out already: its server may not be listening yet.
    if (handedOut.has(port)) continue;
    if ((await listenOnce(port)) === port) {
      handedOut.add(port);
      return port;
    }
  }
  const any = await listenOnce(0);
  if (any === 0) throw new AppError(Code.Unavailable, "no free port on 127.0.0.1");
  return any;
}

const chosenPortLow = 10_000;
const handedOut = new Set<number>();

function ephemeralPortLow(): number {
  try {
    const low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 0 ? low : 32_768;
  } catch {
    return 32_768; // Linux's default where /proc is not readable
  }
}

/** Listens on `port` (0: any) and closes at once: the port, or 0 when it was taken. */
function listenOnce(port: number): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(0));
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      const bound = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(bound));
    });
  });
}
