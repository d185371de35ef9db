// Proves a short `bench` run completes against its own cluster, makes successful payments through full 2PC, and leaves the audit clean, with either client stack.
import { expect, test } from "bun:test";
import { runBench } from "../src/bench/run";

test.each(["http2", "grpc-js"] as const)("a 2-second bench at concurrency 4 over 2 banks pays and audits clean (%s client)", async (clientStack) => {
  const report = await runBench({
    mode: "pay",
    durationMs: 2_000,
    warmupMs: 250,
    concurrency: 4,
    connections: 2,
    clientStack,
    banks: ["b1", "b2"],
    accountsPerBank: 4,
    balance: "100000.00",
    amountMaxMinor: 10_000,
    logLevel: "warn",
    progress: false,
    say: () => {},
  });
  expect(report.users).toBe(8);
  expect(report.succeeded).toBeGreaterThan(0);
  expect(report.errors_by_code).toEqual({});
  expect(report.latency_ms.p99).toBeGreaterThan(0);
  expect(report.audit.violations).toEqual([]);
  expect(report.audit.ok).toBe(true);
  expect(report.audit.payments_succeeded).toBeGreaterThanOrEqual(report.succeeded);
}, 60_000);
