// A message field its sender always sets. proto3 cannot say "required", so the
// generated types let any message field be null (absent); a reply without it
// is the peer's fault, reported as INTERNAL like any reply we cannot use.
import { AppError, Code } from "../../lib/errors";

export function present<T>(value: T | null, field: string): T {
  if (value === null) throw new AppError(Code.Internal, `the reply has no ${field}`);
  return value;
}
