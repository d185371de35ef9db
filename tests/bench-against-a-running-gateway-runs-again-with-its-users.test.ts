// Proves `bench --gateway` can measure a running system more than once: the accounts its first run registered stay taken, and the next run logs in as the users it saved (0600, in bench's client folder) instead of failing for want of free accounts; both audits clean, the money conserved to the minor unit.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { mainPath } from "./support/cli";
import { loadedTotalMinor, sampleAccounts, startSystem, type TestSystem } from "./support/system";

setDefaultTimeout(90_000);
let system: TestSystem;

beforeAll(async () => {
  system = await startSystem();
});
afterAll(() => system?.stop());

async function benchAgainstTheSystem(): Promise<{ exitCode: number; report: { succeeded: number; audit: { ok: boolean } } | undefined; stderr: string }> {
  const child = Bun.spawn(
    ["bun", mainPath, "bench", "--gateway", system.gatewayAddress, "--certs", system.certsDir, "--client", "carol", "--accounts", system.accountsPath, "--duration", "1s", "--warmup", "200ms", "--concurrency", "2", "--connections", "1", "--json"],
    { stdout: "pipe", stderr: "pipe", stdin: "ignore" },
  );
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { exitCode, report: exitCode === 0 ? JSON.parse(stdout) : undefined, stderr };
}

test("a second bench against the same running gateway measures with the users of the first", async () => {
  const first = await benchAgainstTheSystem();
  expect(first.stderr).toBe("");
  expect(first.exitCode).toBe(0);
  expect(first.report!.audit.ok).toBe(true);
  expect(statSync(join(system.certsDir, "client-carol", "bench-users.json")).mode & 0o077).toBe(0);

  const second = await benchAgainstTheSystem();
  expect(second.stderr).toBe("");
  expect(second.exitCode).toBe(0);
  expect(second.report!.succeeded).toBeGreaterThan(0);
  expect(second.report!.audit.ok).toBe(true);
  expect(system.totalMinor()).toBe(loadedTotalMinor(sampleAccounts, ["hdfc", "icici", "sbi"]));
});
