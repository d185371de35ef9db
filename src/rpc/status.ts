// The one mapping between the error model (src/lib/errors.ts) and gRPC status
// codes, in both directions, and of network failures to status codes.
import * as grpc from "@grpc/grpc-js";
import { AppError, Code, Reason } from "../lib/errors";
import { getText, wire } from "./metadata";

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

export function codeName(status: grpc.status | number): string {
  return grpc.status[status] ?? String(status);
}

/** The error a server sends: the code, the message and its reason (a trailer), never the cause. */
export function toServiceError(error: AppError): Partial<grpc.ServiceError> {
  const metadata = new grpc.Metadata();
  if (error.reason) metadata.set(wire.errorReason, error.reason);
  return { code: toGrpc[error.code], details: error.message, message: error.message, metadata };
}

const reasons = new Set<string>(Object.values(Reason));

/** The reason a server's error carried, if it is one this side knows. */
function reasonOf(error: Partial<grpc.ServiceError>): Reason | undefined {
  const text = error.metadata instanceof grpc.Metadata ? getText(error.metadata, wire.errorReason) : undefined;
  return text !== undefined && reasons.has(text) ? (text as Reason) : undefined;
}

const networkCodes: Record<string, Code> = {
  ECONNREFUSED: Code.Unavailable,
  ECONNRESET: Code.Unavailable,
  EHOSTUNREACH: Code.Unavailable,
  ENETUNREACH: Code.Unavailable,
  ENOTFOUND: Code.Unavailable,
  ETIMEDOUT: Code.DeadlineExceeded,
  EPIPE: Code.Unavailable,
};

/**
 * What a network failure means, in a user's words, keyed by what grpc-js or
 * the OS says ("No connection established. Last error: Error: connect
 * ECONNREFUSED ... Resolution note: "). Checked in order; the first match wins.
 */
const refusedOurCertificate = "it refused this certificate: another deployment's, or not a client's";
const notOurCa = "its certificate is not from this certificate folder's CA";

const networkReasons: [RegExp, string][] = [
  [/ECONNREFUSED/, "connection refused"],
  [/ENOTFOUND|EAI_AGAIN|Name resolution failed|getaddrinfo/i, "host name not found"],
  [/EHOSTUNREACH|ENETUNREACH/, "host unreachable"],
  [/ETIMEDOUT/, "connection timed out"],
  [/alert unknown ca|alert bad certificate|certificate required|alert certificate/i, refusedOurCertificate],
  [/self.signed|unable to verify|unknown ca|UNABLE_TO_GET_ISSUER|DEPTH_ZERO/i, notOurCa],
  [/certificate|SSL|TLS|handshake|ERR_TLS/i, "TLS handshake failed; check the certificate folder and the address"],
  [/ECONNRESET|EPIPE|Connection dropped|Connection closed|socket hang up|GOAWAY|RST_STREAM|Channel closed|Channel has been shut down/i, "connection lost"],
  [/No connection established|Failed to connect|connect /i, "no connection"],
];

/** A grpc-js status message that is the library's, not a server's answer. */
const libraryMessage = /No connection established|Failed to connect|Connection dropped|Connection closed|Channel closed|Channel has been shut down|Name resolution failed|^Deadline exceeded|Resolution note|RST_STREAM|Received http2 header|ECONN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EPIPE/i;

const otherPeer = "the server there is ";

/** Whether a network failure's words (networkReason's) are a certificate's: no retry mends those. */
function isCertificateReason(reason: string): boolean {
  return reason === refusedOurCertificate || reason === notOurCa || reason.startsWith(otherPeer);
}

/** The user's words for a network failure's message (grpc-js's, or an OS error's). */
export function networkReason(message: string): string {
  // Reached, but someone else: say whose certificate answered (its first name).
  const other = /altnames:\s*DNS:([\w.-]+)/.exec(message);
  if (other) return `${otherPeer}${other[1]}, by its certificate`;
  const deadline = /Deadline exceeded after ([\d.]+)s/.exec(message);
  if (deadline) {
    const seconds = Number(deadline[1]);
    return `no answer within ${seconds >= 1 ? Math.round(seconds) : seconds.toFixed(1)}s`;
  }
  for (const [pattern, reason] of networkReasons) if (pattern.test(message)) return reason;
  // grpc-js's own words for a deadline it does not say the length of.
  if (/^Deadline exceeded/i.test(message)) return "no answer in time";
  return "no connection";
}

/**
 * Any failure of an outgoing call as an AppError, in one place: a server's
 * answer keeps its code and message; a failure of the connection itself gets
 * its code and a message in the user's words, the library's text kept as cause.
 */
export function fromCallError(error: unknown, what: string): AppError {
  if (error instanceof AppError) return error;
  const e = error as Partial<grpc.ServiceError> & { code?: unknown };
  if (typeof e?.code === "number") {
    const code = fromGrpc.get(e.code) ?? Code.Unknown;
    const details = e.details ?? "";
    if (details && libraryMessage.test(details)) {
      const reason = networkReason(details);
      return new AppError(code, reason, error, isCertificateReason(reason) ? Reason.CertificateMismatch : undefined);
    }
    return new AppError(code, details || `${what}: ${codeName(e.code)}`, error, reasonOf(e));
  }
  if (typeof e?.code === "string" && e.code in networkCodes) {
    return new AppError(networkCodes[e.code]!, networkReason(e.code), error);
  }
  return new AppError(Code.Unknown, `${what}: ${String((error as Error)?.message ?? error)}`, error);
}
