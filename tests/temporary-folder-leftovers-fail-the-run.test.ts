// Proves the test run's temporary-folder check (tests/support/preload.ts): a run whose tests pass but leave entries in the temporary folder fails, naming each entry and counting them in the right number ("1 entry", "2 entries").
import { expect, test } from "bun:test";

async function runFixture(entries: number): Promise<{ code: number; text: string }> {
  const run = Bun.spawn(["bun", "test", "./tests/support/leaves-temporary-files.fixture.ts"], { cwd: `${import.meta.dir}/..`, env: { ...process.env, LEAVE_ENTRIES: String(entries) }, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(run.stdout).text(), new Response(run.stderr).text(), run.exited]);
  return { code, text: out + err };
}

test("a run that leaves one entry fails and names it", async () => {
  const { code, text } = await runFixture(1);
  expect(text).toContain("(pass) passes, leaving files in the temporary folder");
  expect(text).toContain("tests left 1 entry in the temporary folder: left-behind-0\n");
  expect(code).toBe(1);
});

test("a run that leaves two entries fails and names both", async () => {
  const { code, text } = await runFixture(2);
  expect(text).toContain("tests left 2 entries in the temporary folder: left-behind-0, left-behind-1\n");
  expect(code).toBe(1);
});
