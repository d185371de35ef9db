// Assertions are for what must never happen: a failing one is a programmer
// error. It goes to the one fatal handler (src/lib/fatal.ts), which logs it
// and stops the process rather than letting money move wrongly; what no input
// may reach is asserted, what input can reach is an AppError.
import { fatal } from "./fatal";

export class AssertionError extends Error {
  override readonly name = "AssertionError";
}

export function assert(condition: unknown, message: string): asserts condition {
  if (condition) return;
  const error = new AssertionError(`assertion failed: ${message}`);
  fatal(error);
  // Reached only when a test's handler records the assertion instead of exiting:
  // the throw still unwinds the transaction it happened in.
  throw error;
}
