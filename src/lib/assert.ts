// Assertions are for what must never happen: a failing one is a programmer
// error and crashes the process rather than letting money move wrongly.

export class AssertionError extends Error {
  override readonly name = "AssertionError";
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(`assertion failed: ${message}`);
}
