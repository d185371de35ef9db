// The one mapping between the error model (src/lib/errors.ts) and gRPC status
// codes, in both directions, and of network failures to status codes.
import * as grpc from "@grpc/grpc-js";
import { AppError, Code } from "../lib/errors";

const toGrpc: Record<Code, grpc.status> = {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  UNAUTHENTICATED: grpc.status.UNAUTHENTICATED,
  PERMISSION_DENIED: grpc.status.PERMISSION_DENIED,
  ALREADY_EXISTS: grpc.status.ALREADY_EXISTS,
  NOT_FOUND: grpc.status.NOT_FOUND,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
  ABORTED: grpc.status.ABORTED,
  RESOURCE_EXHAUSTED: grpc.status.RESOURCE_EXHAUSTED,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
  DEADLINE_EXCEEDED: grpc.status.DEADLINE_EXCEEDED,
  CANCELLED: grpc.status.CANCELLED,
  INTERNAL: grpc.status.INTERNAL,
  UNKNOWN: grpc.status.UNKNOWN,
};

const fromGrpc = new Map<number, Code>(Object.entries(toGrpc).map(([code, value]) => [value, code as Code]));

export function grpcStatusOf(code: Code): grpc.status {
  return toGrpc[code];
}

export function codeName(status: grpc.status | number): string {
  return grpc.status[status] ?? String(status);
}

/** The error a server sends: the code and message only, never the cause. */
export function toServiceError(error: AppError): Partial<grpc.ServiceError> {
  return { code: toGrpc[error.code], details: error.message, message: error.message };
}

const networkCodes: Record<string, Code> = {
  ECONNREFUSED: Code.Unavailable,
  ECONNRESET: Code.Unavailable,
  EHOSTUNREACH: Code.Unavailable,
  ENOTFOUND: Code.Unavailable,
  ETIMEDOUT: Code.DeadlineExceeded,
  EPIPE: Code.Unavailable,
};

/** Any failure of an outgoing call as an AppError. */
export function fromCallError(error: unknown, what: string): AppError {
  if (error instanceof AppError) return error;
  const e = error as Partial<grpc.ServiceError> & { code?: unknown };
  if (typeof e?.code === "number") {
    const code = fromGrpc.get(e.code) ?? Code.Unknown;
    return new AppError(code, e.details || `${what}: ${codeName(e.code)}`, error);
  }
  if (typeof e?.code === "string" && e.code in networkCodes) {
    return new AppError(networkCodes[e.code]!, `${what}: ${e.code}`, error);
  }
  return new AppError(Code.Unknown, `${what}: ${String((error as Error)?.message ?? error)}`, error);
}
