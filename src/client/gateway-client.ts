// The user's connection to the gateway: mutual TLS that accepts only the
// gateway's certificate, a request id per operation, and retries of
// UNAVAILABLE and DEADLINE_EXCEEDED with backoff, jitter and an attempt cap.
import type * as grpc from "@grpc/grpc-js";
import { backoffMs, sleepMs } from "../lib/clock";
import { AppError, Code } from "../lib/errors";
import { limits } from "../lib/limits";
import type { Logger } from "../lib/log";
import { connect, unaryCall, waitConnected } from "../rpc/channel";
import type { CertFolder } from "../rpc/credentials";

export interface CallSettings {
  /** Retry UNAVAILABLE and DEADLINE_EXCEEDED; only for calls that are safe to repeat. */
  retry: boolean;
  attemptsMax?: number;
  deadlineMs?: number;
  requestId?: string;
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
    if (lastError && isUnreachable(lastError)) {
      throw new AppError(lastError.code, `cannot reach the gateway at ${this.address}: ${lastError.message}`, lastError);
    }
    throw lastError ?? new AppError(Code.Internal, "no attempt was made");
  }

  close(): void {
    this.gateway.close();
    this.admin.close();
  }
}
