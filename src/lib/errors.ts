// One error model for the whole system. Every handled failure is an AppError
// carrying a status code; the code maps to gRPC in src/rpc/status.ts and to an
// exit code in src/cli/support/exit.ts, each in one place. `cause` is logged, never sent.

export const Code = {
  InvalidArgument: "INVALID_ARGUMENT",
  Unauthenticated: "UNAUTHENTICATED",
  PermissionDenied: "PERMISSION_DENIED",
  AlreadyExists: "ALREADY_EXISTS",
  NotFound: "NOT_FOUND",
  FailedPrecondition: "FAILED_PRECONDITION",
  Aborted: "ABORTED",
  ResourceExhausted: "RESOURCE_EXHAUSTED",
  Unavailable: "UNAVAILABLE",
  DeadlineExceeded: "DEADLINE_EXCEEDED",
  Cancelled: "CANCELLED",
  Internal: "INTERNAL",
  Unknown: "UNKNOWN",
} as const;
export type Code = (typeof Code)[keyof typeof Code];

/**
 * What a code alone does not tell a caller that acts on it, carried beside the
 * message (a trailer, src/rpc/status.ts) so no caller matches message text.
 */
export const Reason = {
  /** UNAVAILABLE from a gateway that was reached: one of its banks is away (another gateway would say the same). */
  BankUnreachable: "BANK_UNREACHABLE",
  /** UNAVAILABLE from a gateway that was reached: its database is away (another gateway may still reach it). */
  DatabaseUnreachable: "DATABASE_UNREACHABLE",
  /** UNAVAILABLE from a gateway that was reached: send it again with the same key (taken but not decided, a record the database lost, a key being released). */
  SendAgain: "SEND_AGAIN",
  /** UNAUTHENTICATED for a session that is valid, but was opened over another client certificate: it opens nothing over this one, and this one cannot end it. */
  OtherCertificate: "OTHER_CERTIFICATE",
  /**
   * A connection that failed on certificates, not on the network: the peer's
   * is not from this folder's CA, or names another peer, or the peer refused
   * ours. Trying again cannot mend it (set on this side, never sent).
   */
  CertificateMismatch: "CERTIFICATE_MISMATCH",
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

/**
 * The codes that mean a Pay or a Refund was refused before its key was
 * claimed: nothing ran and nothing is recorded under the key, so a client may
 * use the key again for a corrected request. The gateway never answers one of
 * them once a key is claimed (src/gateway/payments.ts). Not RESOURCE_EXHAUSTED:
 * a busy gateway may be answering a resend of a key claimed by the first
 * send, so "busy" leaves the outcome unknown and the key bound.
 */
export const refusedBeforeClaim: ReadonlySet<Code> = new Set<Code>([Code.InvalidArgument, Code.FailedPrecondition, Code.NotFound, Code.PermissionDenied, Code.AlreadyExists]);

export class AppError extends Error {
  override readonly name = "AppError";
  constructor(
    readonly code: Code,
    message: string,
    override readonly cause?: unknown,
    readonly reason?: Reason,
  ) {
    super(message);
  }
}

export function invalid(field: string, why: string): AppError {
  return new AppError(Code.InvalidArgument, `${field}: ${why}`);
}

/** What the operating system said about a file, in the user's words. */
const systemWords: Record<string, string> = {
  EROFS: "read-only file system",
  EACCES: "permission denied",
  EPERM: "permission denied",
  ENOTDIR: "a part of that path is not a folder",
  EISDIR: "is a folder, not a file",
  ENOSPC: "no space left on the device",
  ENOENT: "does not exist",
};

/**
 * A file the process could not read or write (a read-only or full disk, a
 * folder where a file belongs) as one line naming the path, for the CLI's
 * last word at start-up: a setup to correct (exit 2), not an internal error.
 * Only there: a server answering a call never shows a client its paths.
 */
export function fromSystemError(error: unknown): AppError | undefined {
  const system = error as { code?: unknown; path?: unknown } | undefined;
  const words = typeof system?.code === "string" ? systemWords[system.code] : undefined;
  if (!words || typeof system?.path !== "string") return undefined;
  return new AppError(Code.FailedPrecondition, `${system.path}: ${words}`, error);
}

/** Any thrown value as an AppError; unknown failures become INTERNAL with the original kept as cause. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  return new AppError(Code.Internal, "internal error", error);
}

/**
 * A caller's text shown inside a message: quoted, cut to `lengthMax`, with
 * control characters (and the bidi overrides that reorder a line) escaped as
 * \u001b, so an echo can never drive the reader's terminal.
 */
export function quoted(text: string, lengthMax = 80): string {
  const cut = text.length > lengthMax ? `${text.slice(0, lengthMax)}...` : text;
  return `"${printable(cut.replace(/["\\]/g, "\\$&"))}"`;
}

/**
 * A message made safe to print as one line: control characters (a newline,
 * an escape sequence), line separators and the bidi overrides that reorder a
 * line escaped as \u001b. The CLI prints every message through it, so a
 * caller's text echoed anywhere in a message can never drive the terminal.
 */
export function printable(text: string): string {
  return text.replace(/[\p{Cc}\p{Zl}\p{Zp}\u202a-\u202e\u2066-\u2069]/gu, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
