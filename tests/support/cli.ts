// Drives the real CLI as separate processes (`bun src/main.ts ...`), each
// user with a temporary home, and drives `shell` through its stdin/stdout.
// Also a logger that keeps the servers' JSON lines, to count calls by key.
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import type { Logger } from "../../src/lib/log";
import type { TestSystem } from "./system";
import { pinFromAccountsFile } from "./account-pins";

export const mainPath = join(import.meta.dir, "..", "..", "src", "main.ts");
/** Bound on how long a test waits for a process or a line: a hang fails, it is not a speed check. */
export const waitMsMax = 20_000;

export interface CliUser {
  username: string;
  password: string;
  home: string;
  certs: string;
  /** The gateway address this user's commands dial (a proxy, or a dead port). */
  gateway: string;
  /** Where `register` finds the account's PIN (MINISTRIPE_ACCOUNT_PIN) unless `accountPin` is set. */
  accountsPath?: string;
  accountPin?: string;
}

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export function cliArgs(user: CliUser, args: string[]): string[] {
  return ["bun", mainPath, ...args, "--home", user.home, "--certs", user.certs, "--gateway", user.gateway];
}

function cliEnv(user: CliUser, args: string[] = []): Record<string, string> {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), MINISTRIPE_PASSWORD: user.password, MINISTRIPE_HOME: user.home };
  const accountPin = user.accountPin ?? registeringPin(user, args);
  if (accountPin !== undefined) env.MINISTRIPE_ACCOUNT_PIN = accountPin;
  return env;
}

/** For `register --bank B --account N`: that account's PIN in the user's accounts file. */
function registeringPin(user: CliUser, args: string[]): string | undefined {
  if (args[0] !== "register" || !user.accountsPath) return undefined;
  const flag = (name: string) => args[args.indexOf(name) + 1] ?? "";
  return pinFromAccountsFile(user.accountsPath, flag("--bank"), flag("--account"));
}

/** Starts one CLI command; the caller awaits `exited` (or kills it). */
export function spawnCli(user: CliUser, args: string[]) {
  return Bun.spawn(cliArgs(user, args), { env: cliEnv(user, args), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
}

export async function cli(user: CliUser, ...args: string[]): Promise<CliResult> {
  const child = spawnCli(user, args);
  const timer = setTimeout(() => child.kill(9), waitMsMax);
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  clearTimeout(timer);
  return { exitCode, stdout, stderr };
}

/** Runs `bun src/main.ts ARGS` as it is, with extra environment and a working folder: for commands without a user. */
export async function runMain(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<CliResult> {
  const child = Bun.spawn(["bun", mainPath, ...args], { cwd: options.cwd, env: { ...(process.env as Record<string, string>), ...options.env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => child.kill(9), waitMsMax);
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  clearTimeout(timer);
  return { exitCode, stdout, stderr };
}

/** Runs a user's command with extra environment (a time zone, a new password). */
export async function cliWithEnv(user: CliUser, env: Record<string, string>, ...args: string[]): Promise<CliResult> {
  const child = Bun.spawn(cliArgs(user, args), { env: { ...cliEnv(user), ...env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => child.kill(9), waitMsMax);
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  clearTimeout(timer);
  return { exitCode, stdout, stderr };
}

/** A home with the user's client certificate; registers and logs in through the CLI. */
export async function cliUser(system: TestSystem, user: { username: string; bank: string; account: string; certFolder?: string }): Promise<CliUser> {
  const home = mkdtempSync(join(system.dir, `home-${user.username}-`));
  const u: CliUser = { username: user.username, password: `${user.username}-password`, home, certs: join(system.certsDir, user.certFolder ?? `client-${user.username}`), gateway: system.gatewayAddress, accountsPath: system.accountsPath };
  const registered = await cli(u, "register", "--username", u.username, "--bank", user.bank, "--account", user.account);
  if (registered.exitCode !== 0) throw new Error(`register ${u.username}: ${registered.stderr}`);
  await login(u);
  return u;
}

export async function login(user: CliUser): Promise<void> {
  const result = await cli(user, "login", "--username", user.username);
  if (result.exitCode !== 0) throw new Error(`login ${user.username}: ${result.stderr}`);
}

/** The user's balance through `balance --json`, in minor units. */
export async function cliBalanceMinor(user: CliUser): Promise<bigint> {
  const result = await cli(user, "balance", "--json");
  if (result.exitCode !== 0) throw new Error(`balance ${user.username}: ${result.stderr}`);
  return BigInt(JSON.parse(result.stdout).balance_minor);
}

export interface QueueEntryJson {
  idempotency_key: string;
  to: string;
  amount_minor: string;
  refund_of?: string;
  state: string;
  attempts: number;
  last_error: string | null;
}

export async function queueEntries(user: CliUser): Promise<QueueEntryJson[]> {
  const result = await cli(user, "queue", "--json");
  if (result.exitCode !== 0) throw new Error(`queue ${user.username}: ${result.stderr}`);
  return JSON.parse(result.stdout).entries;
}

/** An address where nothing listens: a client pointed there is offline. */
export async function deadAddress(): Promise<string> {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return `127.0.0.1:${port}`;
}

/** `ministripe shell` driven through its stdin and stdout. */
export class ShellProcess {
  private readonly child;
  private readonly lines: string[] = [];
  private partial = "";
  private readonly waiters = new Set<() => void>();
  readonly done: Promise<number>;

  constructor(user: CliUser) {
    this.child = Bun.spawn(cliArgs(user, ["shell"]), { env: cliEnv(user), stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    this.done = this.read().then(() => this.child.exited);
  }

  private async read(): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of this.child.stdout) {
      this.partial += decoder.decode(chunk, { stream: true });
      const parts = this.partial.split("\n");
      this.partial = parts.pop() ?? "";
      this.lines.push(...parts);
      for (const wake of this.waiters) wake();
    }
  }

  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
    this.child.stdin.flush();
  }

  /** Ends stdin: the shell exits as on `exit`. */
  endInput(): void {
    this.child.stdin.end();
  }

  get output(): string[] {
    return [...this.lines];
  }

  /** Waits for a line matching `pattern` at or after line `fromLine`; returns its index and text. */
  async waitFor(pattern: RegExp, fromLine = 0): Promise<{ index: number; line: string }> {
    const deadlineAtMs = Date.now() + waitMsMax;
    for (;;) {
      const index = this.lines.findIndex((line, i) => i >= fromLine && pattern.test(line));
      if (index >= 0) return { index, line: this.lines[index]! };
      const leftMs = deadlineAtMs - Date.now();
      if (leftMs <= 0) throw new Error(`shell printed no line matching ${pattern}; output so far:\n${this.lines.join("\n")}\nstderr: ${await this.stderrSoFar()}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, leftMs);
        this.waiters.add(wake);
      });
    }
  }

  private async stderrSoFar(): Promise<string> {
    this.child.kill(9);
    return new Response(this.child.stderr).text();
  }

  kill(): void {
    this.child.kill(9);
  }
}

/** A pino logger that keeps every JSON line, for counting calls by idempotency key. */
export function memoryLogger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: "info" }, { write: (text: string) => void lines.push(JSON.parse(text)) });
  return { log, lines };
}

/** Pay calls the gateway served for one idempotency key. */
export function payCallsFor(lines: Record<string, unknown>[], key: string): Record<string, unknown>[] {
  return lines.filter((line) => line.event === "rpc.served" && line.method === "Pay" && line.idempotency_key === key);
}

/** Refund calls the gateway served for one idempotency key. */
export function refundCallsFor(lines: Record<string, unknown>[], key: string): Record<string, unknown>[] {
  return lines.filter((line) => line.event === "rpc.served" && line.method === "Refund" && line.idempotency_key === key);
}

/** Pays through `pay --json`; returns the payment's id. */
export async function cliPay(user: CliUser, to: string, amount: string): Promise<string> {
  const result = await cli(user, "pay", "--to", to, "--amount", amount, "--json");
  if (result.exitCode !== 0) throw new Error(`pay ${user.username}: ${result.stderr}`);
  return JSON.parse(result.stdout).id;
}

/** Polls `check` every few milliseconds until it returns a value; fails after waitMsMax. */
export async function until<T>(what: string, check: () => T | undefined | null | false | Promise<T | undefined | null | false>): Promise<T> {
  const deadlineAtMs = Date.now() + waitMsMax;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadlineAtMs) throw new Error(`gave up waiting for ${what}`);
    await Bun.sleep(10);
  }
}
