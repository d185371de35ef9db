// Proves `bench --ceiling --json` starts the trivial gRPC server, drives it, and reports the ceiling's calls/s, the ratio of payments/s to it and the CPU per empty call, all positive (not their size), and stops that server.
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mainPath } from "./support/cli";

test("bench --ceiling --json reports ceiling_calls_per_s and ceiling_ratio beside payments/s", async () => {
  const child = Bun.spawn(["bun", mainPath, "bench", "--ceiling", "--json", "--duration", "1s", "--warmup", "200ms", "--concurrency", "4", "--connections", "2", "--banks", "2", "--accounts-per-bank", "3"], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const timer = setTimeout(() => child.kill(9), 90_000);
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  clearTimeout(timer);
  expect(stderr).toBe("");
  expect(exitCode).toBe(0);
  const report = JSON.parse(stdout);
  expect(report.rate_per_s).toBeGreaterThan(0);
  expect(report.ceiling_calls_per_s).toBeGreaterThan(0);
  expect(report.ceiling_ratio).toBeGreaterThan(0);
  expect(report.ceiling_ratio).toBeCloseTo(report.rate_per_s / report.ceiling_calls_per_s, 2);
  expect(report.ceiling_cpu_us_per_call.server).toBeGreaterThan(0);
  expect(report.ceiling_cpu_us_per_call.bench).toBeGreaterThan(0);
  expect(report.audit.ok).toBe(true);
}, 120_000);

test("--ceiling with --gateway is refused in one line with the usage exit code", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ceiling-"));
  const accounts = join(dir, "accounts.yaml");
  writeFileSync(accounts, "banks:\n  b1:\n    accounts: []\n");
  const child = Bun.spawn(["bun", mainPath, "bench", "--ceiling", "--gateway", "127.0.0.1:1", "--certs", "/nonexistent", "--accounts", accounts], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [stderr, exitCode] = await Promise.all([new Response(child.stderr).text(), child.exited]);
  rmSync(dir, { recursive: true, force: true });
  expect(exitCode).toBe(2);
  expect(stderr.trim().split("\n")).toHaveLength(1);
  expect(stderr).toContain("--ceiling");
});
