// Not a test of its own: temporary-folder-leftovers-fail-the-run.test.ts runs
// it with `bun test` to see the run's temporary-folder check (preload.ts) fail
// the run, naming what was left. LEAVE_ENTRIES says how many files it leaves.
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "bun:test";

test("passes, leaving files in the temporary folder", () => {
  const count = Number(process.env.LEAVE_ENTRIES ?? "1");
  for (let i = 0; i < count; i++) writeFileSync(join(tmpdir(), `left-behind-${i}`), "");
  expect(count).toBeGreaterThan(0);
});
