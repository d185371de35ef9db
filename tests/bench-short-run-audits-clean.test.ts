// Proves a short `bench` run completes against its own cluster, makes successful payments through full 2PC, and leaves the audit clean, with either client stack; a second run on the same PostgreSQL database is refused saying why.
import { expect, test } from "bun:test";
import { runBench } from "../src/bench/run";
import { sharedPostgres } from "./support/postgres";

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

test("a second bench on the same PostgreSQL database is refused saying the database has its users already (exit 2), and the first audits clean", async () => {
  const database = await (await sharedPostgres()).createDatabase();
  const options = { mode: "pay" as const, durationMs: 1_000, warmupMs: 100, concurrency: 2, connections: 1, clientStack: "http2" as const, banks: ["b1", "b2"], accountsPerBank: 2, balance: "100000.00", amountMaxMinor: 10_000, logLevel: "warn" as const, progress: false, say: () => {}, database };
  const first = await runBench(options);
  expect(first.audit.ok).toBe(true);
  const refused = await runBench(options).then(() => undefined, (error: unknown) => error as { code?: string; message?: string });
  expect(refused?.code).toBe("FAILED_PRECONDITION");
  expect(refused?.message).toBe("only 0 of 4 accounts could be registered: its --database has them registered already; give bench a fresh database of its own; bench needs two or more free accounts");
}, 120_000);
