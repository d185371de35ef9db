// Proves `ministripe demo`, the README's first command, runs every step of
// the tour against real processes, says the PIN it registers each account
// with, and ends with a clean audit.
import { expect, test } from "bun:test";
import { join } from "node:path";

test("the demo tour completes with a clean audit", async () => {
  const child = Bun.spawn(["bun", join(import.meta.dir, "..", "src", "main.ts"), "demo"], { stdout: "pipe", stderr: "pipe" });
  const [stdout, exitCode] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  // The whole tour on failure: a step's line says what went wrong.
  if (exitCode !== 0 || !stdout.includes("audit clean")) console.error(stdout);
  expect(exitCode).toBe(0);
  for (const step of ["Register users", "Pay across banks", "Idempotency", "Refunds", "Offline", "Crash", "Security", "Audit"]) expect(stdout).toContain(step);
  expect(stdout).toContain("  alice: account 1001 at hdfc (Alice), with the account's PIN 1111\n");
  expect(stdout).toContain("  bob: account 2001 at icici (Bob), with the account's PIN 2222\n");
  expect(stdout).toContain("  carol: account 3001 at sbi (Carol), with the account's PIN 3333\n");
  expect(stdout).toContain("bob refunds all that remains: INR 75.00 SUCCEEDED; refunded 100.50 in all");
  expect(stdout).toMatch(/one cent more: FAILED_PRECONDITION: payment \S+ is fully refunded/);
  expect(stdout).toContain("a replay of the first request");
  expect(stdout).toContain("FAILED (insufficient_funds)");
  expect(stdout).toContain("PERMISSION_DENIED");
  expect(stdout).toContain("audit clean: every invariant holds");
  expect(stdout).toContain("Tour complete.");
}, 90_000);
