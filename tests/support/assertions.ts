// The fatal handler of every test process (installed by the preload): an
// assertion reached by a server running inside `bun test` is recorded, not
// exited on, and the test it happened in fails (afterEach), naming it. A test
// that means to reach one takes it with expectAssertion.
import { afterAll, afterEach, expect } from "bun:test";
import { AssertionError } from "../../src/lib/assert";
import { setFatalHandler } from "../../src/lib/fatal";

const reached: Error[] = [];

export function armTestFatalHandler(): void {
  setFatalHandler(function recordAssertion(error) {
    reached.push(error);
  });
  const check = () => {
    const errors = reached.splice(0);
    if (errors.length > 0) throw new Error(`${errors.length} assertion(s) reached, each of which stops a real process:\n${errors.map((e) => e.stack ?? e.message).join("\n")}`);
  };
  afterEach(check);
  afterAll(check);
}

/** Runs `fn`, which must reach an assertion: returns its AssertionError, which then no longer fails the test. */
export function expectAssertion(fn: () => unknown): AssertionError {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(AssertionError);
  const index = reached.indexOf(thrown as Error);
  expect(index).toBeGreaterThanOrEqual(0);
  reached.splice(index, 1);
  return thrown as AssertionError;
}
