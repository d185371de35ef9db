// Loaded before every test file (bunfig.toml): tests start real servers and
// processes, so the default per-test and per-hook timeout is 30 s, not 5 s.
// This is a bound against hangs, not a speed assertion. setDefaultTimeout here
// reaches only the first file of a run (Bun 1.4.4), so the whole suite runs as
// `bun run test` (bun test --timeout 30000), as CI does.
// Files whose tests or hooks can take over 5 s on a loaded machine also set it
// themselves, so a plain `bun test FILE` does not time them out.
//
// Temporary-folder hygiene: the run gets a temporary folder of its own
// (TMPDIR, inherited by every server and command a test starts), checked
// after the last test: a test that leaves anything there fails the run,
// naming what it left.
//
// Assertions: a failed one stops a real server process (src/lib/fatal.ts);
// here it fails the test it was reached in instead of exiting the runner
// (tests/support/assertions.ts).
import { afterAll, setDefaultTimeout } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { plural } from "../../src/lib/plural";
import { armTestFatalHandler } from "./assertions";

setDefaultTimeout(30_000);
armTestFatalHandler();

const runTmpDir = mkdtempSync(join(tmpdir(), "ministripe-run-"));
process.env.TMPDIR = runTmpDir;

afterAll(() => {
  const left = readdirSync(runTmpDir);
  rmSync(runTmpDir, { recursive: true, force: true });
  if (left.length > 0) throw new Error(`tests left ${plural(left.length, "entry", "entries")} in the temporary folder: ${left.sort().join(", ")}`);
});
