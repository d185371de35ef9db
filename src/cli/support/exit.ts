// The one mapping from the error model to exit codes (SPEC "Exit codes").
import { AppError, Code, toAppError } from "../../lib/errors";
import { fatalExitCode } from "../../lib/fatal";

export const Exit = {
  ok: 0,
  declined: 1,
  usage: 2,
  auth: 3,
  unreachable: 4,
  queued: 75,
  /** A failed assertion stopped the process (a programmer error; src/lib/fatal.ts exits with it). */
  assertion: fatalExitCode,
} as const;

const byCode: Record<Code, number> = {
  INVALID_ARGUMENT: Exit.usage,
  FAILED_PRECONDITION: Exit.usage,
  ALREADY_EXISTS: Exit.usage,
  NOT_FOUND: Exit.usage,
  UNAUTHENTICATED: Exit.auth,
  PERMISSION_DENIED: Exit.auth,
  RESOURCE_EXHAUSTED: Exit.auth,
  UNAVAILABLE: Exit.unreachable,
  DEADLINE_EXCEEDED: Exit.unreachable,
  ABORTED: Exit.declined,
  CANCELLED: Exit.declined,
  INTERNAL: Exit.declined,
  UNKNOWN: Exit.declined,
};

export function exitCodeOf(error: unknown): number {
  return byCode[toAppError(error).code];
}

export class UsageError extends AppError {
  constructor(message: string) {
    super(Code.InvalidArgument, message);
  }
}
