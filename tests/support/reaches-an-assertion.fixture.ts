// Not a test of its own: assertion-in-a-test-fails-that-test.test.ts runs it
// with `bun test` to see that an assertion reached inside a test process fails
// that test, and only that one, without exiting the runner.
import { expect, test } from "bun:test";
import { assert } from "../../src/lib/assert";

test("reaches an assertion and swallows its error", async () => {
  try {
    assert(1 + 1 === 3, "arithmetic holds in the fixture");
  } catch {
    // swallowed on purpose: the recorded assertion must fail the test anyway
  }
  expect(true).toBe(true);
});

test("runs after it: the runner did not exit", () => {
  expect(1 + 1).toBe(2);
});
