// Proves the fatal handler tests run with: an assertion reached inside a
// `bun test` process (where in-process banks and gateways run) fails the test
// it was reached in, even when the code swallowed the error, and does not exit
// the runner: the next test still runs.
import { expect, test } from "bun:test";

test("an assertion reached in a test fails that test only, and the runner goes on", async () => {
  const run = Bun.spawn(["bun", "test", "./tests/support/reaches-an-assertion.fixture.ts"], { cwd: `${import.meta.dir}/..`, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(run.stdout).text(), new Response(run.stderr).text(), run.exited]);
  const text = out + err;
  expect(code).toBe(1);
  expect(text).toContain("assertion failed: arithmetic holds in the fixture");
  expect(text).toContain("(fail) reaches an assertion and swallows its error");
  expect(text).toContain("(pass) runs after it: the runner did not exit");
});
