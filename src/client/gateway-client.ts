// The user's connection to the gateway: mutual TLS that accepts only the
// gateway's certificate, a request id per operation, and retries of
// UNAVAILABLE and DEADLINE_EXCEEDED with backoff, jitter and an attempt cap.
// Given several gateways ("a:50050,b:50050": several gateways on one
// PostgreSQL), calls are spread over them in turn and a call that cannot reach
// one is retried on the next, which later calls then try last for a while; a
// payment retried so keeps its key, and every gateway answers it with its
// first outcome.
import * as grpc from "@grpc/grpc-js";
import { assert } from "../lib/assert";
import { backoffMs, sleepMs } from "../lib/clock";
import { AppError, Code, Reason } from "../lib/errors";
import { limits } from "../lib/limits";
import type { Logger } from "../lib/log";
import { connect, unaryCall, waitConnected } from "../rpc/channel";
import type { CertFolder } from "../rpc/credentials";
import { wire } from "../rpc/metadata";
import { fromCallError } from "../rpc/status";
import type { MethodName, Reply, Request, ServiceClient } from "../rpc/wire/services";

/** The gateway's services a client calls: Gateway (users) and Admin (operators). */
type GatewayService = "Gateway" | "Admin";

export interface CallSettings {
  /** Retry UNAVAILABLE and DEADLINE_EXCEEDED; only for calls that are safe to repeat. */
  retry: boolean;
  attemptsMax?: number;
  /**
   * Without `retry`: still one try on each gateway, in turn and without a
   * backoff, so one that cannot be reached is passed over (a send from the
   * offline queue, whose pass must not wait: the entry keeps its key).
   */
  failover?: boolean;
  deadlineMs?: number;
  requestId?: string;
}

export interface StreamHandlers<Msg> {
  onMessage(message: Msg): void;
  /** Once, when the stream ends: undefined when the server ended it cleanly. */
  onEnd(error: AppError | undefined): void;
}

export function isUnreachable(error: AppError): boolean {
  return error.code === Code.Unavailable || error.code === Code.DeadlineExceeded;
}

/** The gateway could not be reached or did not answer in time (not: it answered that a bank is away, or to send the request again). */
export function isGatewayAway(error: AppError): boolean {
  return isUnreachable(error) && !isBankUnreachable(error) && error.reason !== Reason.SendAgain;
}

/** UNAVAILABLE from a gateway that was reached: one of the banks is away (another gateway would say the same). */
function isBankUnreachable(error: AppError): boolean {
  return error.reason === Reason.BankUnreachable;
}

interface Endpoint {
  address: string;
  clients: { [S in GatewayService]: ServiceClient<S> };
  /** Until when (wall clock) calls try this gateway last: a call could not reach it. */
  awayUntilMs: number;
}

export class GatewayClient {
  private readonly endpoints: Endpoint[];
  /** The endpoint the next call starts at: calls go round the gateways, and one that failed is left for the next. */
  private next: number;
  token: string | undefined;

  /** `address`: one HOST:PORT, or several separated by commas. */
  constructor(
    readonly address: string,
    certs: CertFolder,
    log: Logger,
  ) {
    const options = { certs, expect: { role: "gateway" as const, name: "gateway" }, log, callLogLevel: "info" as const };
    const addresses = address.split(",").map((one) => one.trim()).filter(Boolean);
    this.endpoints = addresses.map((one) => ({ address: one, clients: { Gateway: connect("Gateway", one, options), Admin: connect("Admin", one, options) }, awayUntilMs: 0 }));
    // Clients start at different gateways: the load spreads even when each client makes one call.
    this.next = Math.floor(Math.random() * this.endpoints.length);
  }

  /** The gateway streams and connectivity checks use: the one the next call goes to. */
  get gateway(): ServiceClient<"Gateway"> {
    return this.inTurn(this.next)[0]!.clients.Gateway;
  }

  get admin(): ServiceClient<"Admin"> {
    return this.inTurn(this.next)[0]!.clients.Admin;
  }

  /** The gateways in the order a call starting at `start` tries them: in turn, those a call could not reach lately last. */
  private inTurn(start: number): Endpoint[] {
    const nowMs = Date.now();
    const turn = this.endpoints.map((_, index) => this.endpoints[(start + index) % this.endpoints.length]!);
    return [...turn.filter((endpoint) => endpoint.awayUntilMs <= nowMs), ...turn.filter((endpoint) => endpoint.awayUntilMs > nowMs)];
  }

  call<M extends MethodName<"Gateway">>(method: M, request: Request<"Gateway", M>, settings: CallSettings): Promise<Reply<"Gateway", M>> {
    return this.callOn("Gateway", method, request, settings);
  }

  callAdmin<M extends MethodName<"Admin">>(method: M, request: Request<"Admin", M>, settings: CallSettings): Promise<Reply<"Admin", M>> {
    return this.callOn("Admin", method, request, settings);
  }

  /**
   * Is some gateway reachable within `deadlineMs`? Every one is tried at once;
   * the first that connects is where the next call (and stream) starts, so a
   * dead gateway listed first never hides a live one.
   */
  async reachable(deadlineMs: number): Promise<boolean> {
    const connected = this.endpoints.map((endpoint, index) => waitConnected(endpoint.clients.Gateway, deadlineMs).then(() => index));
    try {
      this.next = await Promise.any(connected);
      return true;
    } catch {
      // Every gateway stayed unreachable until the deadline (an AggregateError of each one's UNAVAILABLE).
      return false;
    }
  }

  /**
   * Opens a server stream (WatchPayments). It ends with its deadline, so a
   * watcher re-opens it: every RPC carries a deadline, even a long-lived one.
   */
  stream<M extends MethodName<"Gateway">>(method: M, request: Request<"Gateway", M>, deadlineMs: number, handlers: StreamHandlers<Reply<"Gateway", M>>): { cancel(): void } {
    type Msg = Reply<"Gateway", M>;
    const metadata = new grpc.Metadata();
    metadata.set(wire.requestId, Bun.randomUUIDv7());
    if (this.token) metadata.set(wire.authorization, `Bearer ${this.token}`);
    // grpc-js makes each method of the service a member of the client.
    const fn = (this.gateway as unknown as Record<string, unknown>)[method];
    assert(typeof fn === "function", `a method ${method} of the gateway client`);
    const call: grpc.ClientReadableStream<Msg> = fn.call(this.gateway, request, metadata, { deadline: Date.now() + deadlineMs });
    let ended = false;
    const end = (error: AppError | undefined) => {
      if (ended) return;
      ended = true;
      handlers.onEnd(error);
    };
    call.on("data", (message: Msg) => handlers.onMessage(message));
    call.on("error", (error) => end(fromCallError(error, method)));
    call.on("end", () => end(undefined));
    return {
      cancel() {
        ended = true; // the caller asked: no end notification
        call.cancel();
      },
    };
  }

  /** The channel's connectivity state; `connect` asks an idle channel to connect. */
  connectivity(connect: boolean): grpc.connectivityState {
    return this.gateway.getChannel().getConnectivityState(connect);
  }

  /** Calls `onChange` once, when the state leaves `from` or after `deadlineMs`. */
  onConnectivityChange(from: grpc.connectivityState, deadlineMs: number, onChange: () => void): void {
    this.gateway.getChannel().watchConnectivityState(from, Date.now() + deadlineMs, () => onChange());
  }

  /**
   * One call on every gateway at once, one try each: figures an operator
   * reads per gateway (a process's counters must never be subtracted from
   * another's). Each gateway's reply, or its error.
   */
  callAdminOnEach<M extends MethodName<"Admin">>(method: M, request: Request<"Admin", M>, deadlineMs: number): Promise<{ address: string; reply?: Reply<"Admin", M>; error?: AppError }[]> {
    const requestId = Bun.randomUUIDv7();
    return Promise.all(
      this.endpoints.map(async (endpoint) => {
        try {
          return { address: endpoint.address, reply: await unaryCall(endpoint.clients.Admin, method, request, { deadlineMs, connectWithinMs: limits.clientConnectDeadlineMs, requestId, attempt: 1, token: this.token }) };
        } catch (error) {
          return { address: endpoint.address, error: error as AppError };
        }
      }),
    );
  }

  private async callOn<S extends GatewayService, M extends MethodName<S>>(service: S, method: M, request: Request<S, M>, settings: CallSettings): Promise<Reply<S, M>> {
    const requestId = settings.requestId ?? Bun.randomUUIDv7();
    // With several gateways, each gets a try before the call gives up.
    const attemptsMax = settings.retry ? Math.max(settings.attemptsMax ?? limits.clientAttemptsMax, this.endpoints.length) : settings.failover ? this.endpoints.length : 1;
    let lastError: AppError | undefined;
    let lastAddress = this.address;
    let attemptsMade = 0;
    /** Where a secure connection could not be made (certificates that do not fit): nothing was sent there. */
    const mismatched = new Map<string, AppError>();
    const start = this.next;
    this.next = (this.next + 1) % this.endpoints.length;
    const order = this.inTurn(start);
    for (let attempt = 1; attempt <= attemptsMax; attempt++) {
      const endpoint = order[(attempt - 1) % order.length]!;
      try {
        const reply = await unaryCall(endpoint.clients[service], method, request, { deadlineMs: settings.deadlineMs ?? limits.clientCallDeadlineMs, connectWithinMs: limits.clientConnectDeadlineMs, requestId, attempt, token: this.token });
        endpoint.awayUntilMs = 0;
        return reply;
      } catch (error) {
        const appError = error as AppError;
        if (isGatewayAway(appError)) endpoint.awayUntilMs = Date.now() + limits.clientGatewayAwayMs;
        if (appError.reason === Reason.CertificateMismatch) {
          // Passed over for the others: one gateway listed wrong must not stop a call another would serve.
          mismatched.set(endpoint.address, appError);
          if (mismatched.size === this.endpoints.length) break;
          continue;
        }
        // Any other failure may have reached a gateway: it, not a mismatch elsewhere, is what the call ends with.
        lastError = appError;
        lastAddress = endpoint.address;
        attemptsMade = attempt;
        if (!isUnreachable(lastError) || isBankUnreachable(lastError)) break;
        if (attempt === attemptsMax) break;
        // The next gateway at once; the same one (or round again) after a backoff.
        if (this.endpoints.length === 1 || attempt % this.endpoints.length === 0) await sleepMs(backoffMs(attempt - 1, limits.clientRetryMsMin, limits.clientRetryMsMax));
      }
    }
    // Certificates that did not fit at every gateway tried, and nothing else: a setup to correct, not a gateway away; nothing was sent, so nothing is queued.
    if (!lastError && mismatched.size > 0) {
      const [address, mismatch] = [...mismatched][0]!;
      throw new AppError(Code.Unauthenticated, `cannot connect to ${address} securely: ${mismatch.message}`, mismatch, Reason.CertificateMismatch);
    }
    // The gateway itself answers UNAVAILABLE when a bank is unreachable for a
    // read, saying which bank; anything else unreachable is the gateway.
    // A gateway that answered that its database is away was reached: its own words (after every gateway had its try).
    if (lastError && isGatewayAway(lastError) && lastError.reason !== Reason.DatabaseUnreachable) {
      const where = this.endpoints.length > 1 ? `any gateway of ${this.address}` : `the gateway at ${lastAddress}`;
      // "no answer within 10s" after four tries took 40 s: say it was each try's.
      const tries = attemptsMade > 1 && /^(no answer|could not connect) within/.test(lastError.message) ? ` at each of ${attemptsMade} tries` : "";
      throw new AppError(lastError.code, `cannot reach ${where} (${lastError.message}${tries})`, lastError);
    }
    throw lastError ?? new AppError(Code.Internal, "no attempt was made");
  }

  close(): void {
    for (const endpoint of this.endpoints) {
      endpoint.clients.Gateway.close();
      endpoint.clients.Admin.close();
    }
  }
}
