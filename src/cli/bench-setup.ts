// What `bench` needs before it measures: a few client connections shared by
// every virtual client, and one registered, logged-in user per account.
import { parseBankSection } from "../bank/accounts-file";
import { GatewayClient } from "../client/gateway-client";
import { AppError, Code, toAppError } from "../lib/errors";
import { benchLimits } from "../lib/limits";
import { silentLogger } from "../lib/log";
import { unaryCall } from "../rpc/channel";
import type { CertFolder } from "../rpc/credentials";
import { mapBounded } from "./bench-driver";

export interface BenchUser {
  username: string;
  password: string;
  bank: string;
  account: string;
  /** The session token once logged in. */
  token?: string;
}

/**
 * A few gateway connections shared by all virtual clients: one grpc-js client
 * per virtual client would spend the bench's CPU on connections, and the
 * bench process shares the machine with the system it measures.
 */
export class BenchConnections {
  private readonly clients: GatewayClient[];

  constructor(address: string, certs: CertFolder, count: number) {
    this.clients = Array.from({ length: count }, () => new GatewayClient(address, certs, silentLogger));
  }

  /** One call with `token` as the session, on the connection of `slot`. */
  call<Res>(slot: number, method: string, request: unknown, token?: string): Promise<Res> {
    const client = this.clients[slot % this.clients.length]!;
    return unaryCall<unknown, Res>(client.gateway, method, request, { deadlineMs: benchLimits.callDeadlineMs, requestId: Bun.randomUUIDv7(), attempt: 1, token });
  }

  close(): void {
    for (const client of this.clients) client.close();
  }
}

/** One user per account of the accounts file, at every listed bank. */
export function benchUsers(accountsYaml: string, banks: string[], perBankMax: number, runId: string): BenchUser[] {
  const users: BenchUser[] = [];
  for (const bank of banks) {
    const accounts = parseBankSection(accountsYaml, bank).accounts.slice(0, perBankMax);
    accounts.forEach((account) => {
      users.push({ username: `bench-${runId}-${users.length}`, password: `bench-password-${runId}`, bank, account: account.number });
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
      await connections.call(i, "Register", { username: user.username, password: user.password, bank: user.bank, account: user.account });
      return user;
    } catch (error) {
      // Taken already (an earlier run against the same system): use the other accounts.
      if (toAppError(error).code === Code.AlreadyExists) return undefined;
      throw new AppError(toAppError(error).code, `registering ${user.username} at ${user.bank}: ${toAppError(error).message}`, error);
    }
  });
  return registered.filter((user): user is BenchUser => user !== undefined);
}

/** Logs every user in and keeps their tokens. */
export async function loginAll(connections: BenchConnections, users: BenchUser[]): Promise<void> {
  await mapBounded(users, benchLimits.setupParallelMax, async (user, i) => {
    user.token = (await login(connections, i, user)).token;
  });
}

export function login(connections: BenchConnections, slot: number, user: BenchUser): Promise<{ token: string }> {
  return connections.call<{ token: string }>(slot, "Login", { username: user.username, password: user.password, otp: "" });
}

/** A short id that keeps usernames of different runs apart. */
export function newRunId(): string {
  return Bun.randomUUIDv7().replace(/-/g, "").slice(-6);
}
