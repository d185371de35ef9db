// What `bench` needs before it measures: a few client connections shared by
// every virtual client, and one registered, logged-in user per account.
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { parseBankSection } from "../bank/accounts-file";
import { AppError, Code, toAppError } from "../lib/errors";
import { benchLimits } from "../lib/limits";
import { makePrivateFile } from "../lib/private-files";
import { connect, unaryCall } from "../rpc/channel";
import type { CertFolder } from "../rpc/credentials";
import { Http2UnaryClient } from "../rpc/http2-unary";
import type { MethodName, Reply, Request } from "../rpc/wire/services";
import { mapBounded } from "./driver";
import { benchPin } from "../local-cluster/sample-accounts";

export interface BenchUser {
  username: string;
  password: string;
  bank: string;
  account: string;
  /** The account's PIN: from the accounts file, or the one bench gives the accounts it generates. */
  accountPin: string;
  /** The session token once logged in. */
  token?: string;
}

/** The gRPC client stack bench calls with: lean by default (src/rpc/http2-unary.ts), or grpc-js for comparison. */
export type ClientStack = "http2" | "grpc-js";
export const clientStacks: readonly ClientStack[] = ["http2", "grpc-js"];

/** The services bench calls: Gateway, or Health for the ceiling (ceiling.ts), served under the gateway's certificate. */
type BenchService = "Gateway" | "Health";

interface Caller<S extends BenchService> {
  call<M extends MethodName<S>>(method: M, request: Request<S, M>, options: { deadlineMs: number; token?: string }): Promise<Reply<S, M>>;
  close(): void;
}

/**
 * A few gateway connections shared by all virtual clients: one client per
 * virtual client would spend the bench's CPU on connections, and the bench
 * process shares the machine with the system it measures.
 */
export class BenchConnections<S extends BenchService = "Gateway"> {
  private readonly callers: Caller<S>[];

  constructor(address: string, certs: CertFolder, count: number, stack: ClientStack = "http2", service: S = "Gateway" as S) {
    // Several gateways (a,b): the connections are dealt out over them.
    const addresses = address.split(",");
    this.callers = Array.from({ length: Math.max(count, addresses.length) }, (_, i) => callerOf(stack, addresses[i % addresses.length]!, certs, service));
  }

  /** One call with `token` as the session, on the connection of `slot`. */
  call<M extends MethodName<S>>(slot: number, method: M, request: Request<S, M>, token?: string): Promise<Reply<S, M>> {
    // No request id or attempt: the gateway makes one per call.
    return this.callers[slot % this.callers.length]!.call(method, request, { deadlineMs: benchLimits.callDeadlineMs, token });
  }

  close(): void {
    for (const caller of this.callers) caller.close();
  }
}

function callerOf<S extends BenchService>(stack: ClientStack, address: string, certs: CertFolder, service: S): Caller<S> {
  if (stack === "http2") return new Http2UnaryClient(address, certs, gatewayIdentity, service);
  // grpc-js as a user's client connects (src/client/gateway-client.ts), without call logging.
  const client = connect(service, address, { certs, expect: gatewayIdentity });
  return {
    call: (method, request, options) => unaryCall(client, method, request, options),
    close: () => client.close(),
  };
}

const gatewayIdentity = { role: "gateway" as const, name: "gateway" };

/** One user per account of the accounts file, at every listed bank (an account given only a pin_hash has bench's PIN). */
export function benchUsers(accountsYaml: string, banks: string[], perBankMax: number, runId: string): BenchUser[] {
  const users: BenchUser[] = [];
  for (const bank of banks) {
    const accounts = parseBankSection(accountsYaml, bank).accounts.slice(0, perBankMax);
    accounts.forEach((account) => {
      users.push({ username: `bench-${runId}-${users.length}`, password: `bench-password-${runId}`, bank, account: account.number, accountPin: account.pin ?? benchPin });
    });
  }
  return users;
}

/**
 * Registers the users, a bounded number at once (Argon2id is the cost). An
 * account someone registered before is skipped, so a bench can target a
 * running system; the users actually registered are returned.
 */
export async function registerAll(connections: BenchConnections, users: BenchUser[]): Promise<BenchUser[]> {
  const registered = await mapBounded(users, benchLimits.setupParallelMax, async (user, i) => {
    try {
      await connections.call(i, "Register", { username: user.username, password: user.password, bank: user.bank, account: user.account, account_pin: user.accountPin });
      return user;
    } catch (error) {
      // Taken already (an earlier run against the same system): use the other accounts.
      if (toAppError(error).code === Code.AlreadyExists) return undefined;
      throw new AppError(toAppError(error).code, `registering ${user.username} at ${user.bank}: ${toAppError(error).message}`, error);
    }
  });
  return registered.filter((user): user is BenchUser => user !== undefined);
}

/**
 * Users an earlier bench registered at the accounts of `wanted` and saved
 * (`savedPath`), logged in: against a running system the accounts stay taken
 * after a run, and bench measures again with those users. One it cannot log
 * in as (another system since, a changed password) is left out.
 */
export async function savedUsersOf(connections: BenchConnections, savedPath: string, wanted: BenchUser[]): Promise<BenchUser[]> {
  const wantedAccounts = new Set(wanted.map(accountOf));
  const saved = readSavedUsers(savedPath).filter((user) => wantedAccounts.has(accountOf(user)));
  const loggedIn = await mapBounded(saved, benchLimits.setupParallelMax, async (user, i) => {
    try {
      user.token = (await login(connections, i, user)).token;
      return user;
    } catch {
      return undefined;
    }
  });
  return loggedIn.filter((user): user is BenchUser => user !== undefined);
}

/**
 * Adds the users bench just registered to those kept (only their names,
 * passwords and accounts; 0600), for the next run against the same system;
 * one per account, the newest. Written whole (a temporary file renamed), so a
 * run stopped midway leaves the last complete list. False, having said why,
 * when it cannot be written: those accounts are then taken for good.
 */
export function saveUsers(savedPath: string, registered: BenchUser[], warn: (line: string) => void): boolean {
  const byAccount = new Map<string, BenchUser>();
  for (const user of [...readSavedUsers(savedPath), ...registered]) byAccount.set(accountOf(user), user);
  const kept = [...byAccount.values()].slice(-benchLimits.savedUsersMax).map(({ username, password, bank, account, accountPin }) => ({ username, password, bank, account, accountPin }));
  const temporary = `${savedPath}.tmp`;
  try {
    makePrivateFile(temporary);
    writeFileSync(temporary, JSON.stringify(kept));
    renameSync(temporary, savedPath);
    return true;
  } catch (error) {
    warn(`could not keep bench's users in ${savedPath} (${(error as Error).message}): the accounts they hold cannot be used by a later bench`);
    return false;
  }
}

/** One account at one bank, as a key. */
function accountOf(user: { bank: string; account: string }): string {
  return `${user.bank}/${user.account}`;
}

function readSavedUsers(savedPath: string): BenchUser[] {
  try {
    if (!existsSync(savedPath) || statSync(savedPath).size > benchLimits.savedUsersMax * benchLimits.savedUserBytesMax) return [];
    const saved = JSON.parse(readFileSync(savedPath, "utf8")) as unknown;
    return Array.isArray(saved) ? saved.filter(isSavedUser).slice(0, benchLimits.savedUsersMax) : [];
  } catch {
    return []; // unreadable: registered afresh where accounts are free
  }
}

function isSavedUser(value: unknown): value is BenchUser {
  const user = value as Record<string, unknown> | null;
  return typeof user === "object" && user !== null && ["username", "password", "bank", "account", "accountPin"].every((key) => typeof user[key] === "string");
}

/** Logs every user in and keeps their tokens. */
export async function loginAll(connections: BenchConnections, users: BenchUser[]): Promise<void> {
  await mapBounded(users, benchLimits.setupParallelMax, async (user, i) => {
    user.token = (await login(connections, i, user)).token;
  });
}

export function login(connections: BenchConnections, slot: number, user: BenchUser): Promise<{ token: string }> {
  return connections.call(slot, "Login", { username: user.username, password: user.password, otp: "" });
}

/** A short id that keeps usernames of different runs apart. */
export function newRunId(): string {
  return Bun.randomUUIDv7().replace(/-/g, "").slice(-6);
}
