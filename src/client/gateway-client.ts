// The user's connection to the gateway: mutual TLS that accepts only the
// gateway's certificate, a request id per operation, and retries of
// UNAVAILABLE and DEADLINE_EXCEEDED with backoff, jitter and an attempt cap.
import * as grpc from "@grpc/grpc-js";
import { backoffMs, sleepMs } from "../lib/clock";
import { AppError, Code } from "../lib/errors";
import { limits } from "../lib/limits";
import type { Logger } from "../lib/log";
import { connect, unaryCall, waitConnected } from "../rpc/channel";
import type { CertFolder } from "../rpc/credentials";
import { wire } from "../rpc/metadata";
import { fromCallError } from "../rpc/status";

export interface CallSettings {
  /** Retry UNAVAILABLE and DEADLINE_EXCEEDED; only for calls that are safe to repeat. */
  retry: boolean;
  attemptsMax?: number;
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

export class GatewayClient {
  readonly gateway: grpc.Client;
  readonly admin: grpc.Client;
  token: string | undefined;

  constructor(
    readonly address: string,
    certs: CertFolder,
    log: Logger,
  ) {
    const options = { certs, expect: { role: "gateway" as const, name: "gateway" }, log, callLogLevel: "info" as const };
    this.gateway = connect("Gateway", address, options);
    this.admin = connect("Admin", address, options);
  }

  call<Res>(method: string, request: unknown, settings: CallSettings): Promise<Res> {
    return this.callOn(this.gateway, method, request, settings);
  }

  callAdmin<Res>(method: string, request: unknown, settings: CallSettings): Promise<Res> {
    return this.callOn(this.admin, method, request, settings);
  }

  /** Is the gateway reachable within `deadlineMs`? */
  async reachable(deadlineMs: number): Promise<boolean> {
    try {
      await waitConnected(this.gateway, deadlineMs);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Opens a server stream (WatchPayments). It ends with its deadline, so a
   * watcher re-opens it: every RPC carries a deadline, even a long-lived one.
   */
  stream<Msg>(method: string, request: unknown, deadlineMs: number, handlers: StreamHandlers<Msg>): { cancel(): void } {
    const metadata = new grpc.Metadata();
    metadata.set(wire.requestId, Bun.randomUUIDv7());
    if (this.token) metadata.set(wire.authorization, `Bearer ${this.token}`);
    const fn = (this.gateway as any)[method];
    if (typeof fn !== "function") throw new Error(`no method ${method} on the gateway client`);
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

  private async callOn<Res>(client: grpc.Client, method: string, request: unknown, settings: CallSettings): Promise<Res> {
    const requestId = settings.requestId ?? Bun.randomUUIDv7();
    const attemptsMax = settings.retry ? (settings.attemptsMax ?? limits.clientAttemptsMax) : 1;
    let lastError: AppError | undefined;
    for (let attempt = 1; attempt <= attemptsMax; attempt++) {
      try {
        return await unaryCall<unknown, Res>(client, method, request, { deadlineMs: settings.deadlineMs ?? limits.clientCallDeadlineMs, requestId, attempt, token: this.token });
      } catch (error) {
        lastError = error as AppError;
        if (!isUnreachable(lastError) || attempt === attemptsMax) break;
        await sleepMs(backoffMs(attempt - 1, limits.clientRetryMsMin, limits.clientRetryMsMax));
      }
    }
    // The gateway itself answers UNAVAILABLE when a bank is unreachable for a
    // read, saying which bank; anything else unreachable is the gateway.
    if (lastError && isUnreachable(lastError) && !/^bank \S+ is unreachable/.test(lastError.message)) {
      throw new AppError(lastError.code, `cannot reach the gateway at ${this.address} (${lastError.message})`, lastError);
    }
    throw lastError ?? new AppError(Code.Internal, "no attempt was made");
  }

  close(): void {
    this.gateway.close();
    this.admin.close();
  }
}
