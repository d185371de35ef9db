// Proves the CLI's wait for a stdout whose reader stopped reading is one bound for the whole process, not one per line: 30 long lines to a pipe nobody reads end after about one bound (limits.outputBlockedMsMax), where a bound per line held the process for 30 of them.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { limits } from "../src/lib/limits";

setDefaultTimeout(60_000);
const dir = mkdtempSync(join(tmpdir(), "ministripe-stalled-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a process writing to a reader that never reads ends once its one bound passed", async () => {
  const fifo = join(dir, "out.fifo");
  execFileSync("mkfifo", [fifo]);
  // The reader opens the pipe and never reads: after 64 KB every write waits.
  const reader = Bun.spawn(["sh", "-c", `exec sleep 300 < "${fifo}"`]);
  const fixture = join(import.meta.dir, "support", "writes-long-lines-to-a-stalled-reader.fixture.ts");
  const writer = Bun.spawn(["sh", "-c", `exec bun "${fixture}" > "${fifo}"`], { stderr: "pipe" });
  try {
    // Bounded well under 30 bounds (300 s); the test's own timeout (60 s) is the failure without the mechanism.
    expect(limits.outputBlockedMsMax * 3).toBeLessThan(60_000);
    expect(await writer.exited).toBe(0);
    expect(await new Response(writer.stderr).text()).toBe("done\n");
  } finally {
    reader.kill(9);
    writer.kill(9);
  }
});
