// What `bench` reports: one object, printed as text or as one JSON line.
import { cpus, loadavg } from "node:os";
import type { AuditResponseReceived as AuditReport } from "../rpc/wire/messages";
import type { Ceiling } from "./ceiling";
import { ratePerS, type DriveResult } from "./driver";
import { plural } from "../lib/plural";

export type BenchMode = "pay" | "login";

export interface BenchReport {
  mode: BenchMode;
  banks: string[];
  users: number;
  concurrency: number;
  connections: number;
  warmup_ms: number;
  measured_ms: number;
  /** Operations that succeeded: SUCCEEDED payments, or logins. */
  succeeded: number;
  /** Succeeded operations per second over the measured window. */
  rate_per_s: number;
  latency_ms: { p50: number; p95: number; p99: number; max: number; mean: number };
  declined_by_code: Record<string, number>;
  errors_by_code: Record<string, number>;
  /** Peak resident memory (VmHWM) per process in MiB; null where it could not be read. */
  peak_memory_mib: Record<string, number | null>;
  /** CPU used per process over the measured window, in % of one core (200 = both cores of a 2-core machine). */
  cpu_percent: Record<string, number | null>;
  /** CPU per succeeded operation per process, in microseconds: where a payment's cost goes. */
  cpu_us_per_op: Record<string, number | null>;
  /** The machine, and how busy it was: other work on it makes the numbers noisy. */
  machine: { cores: number; load_average_1m_before: number; load_average_1m_after: number };
  /** With --ceiling: empty gRPC calls/s through the same client stack and concurrency (ceiling.ts). */
  ceiling_calls_per_s?: number;
  /** With --ceiling: rate_per_s / ceiling_calls_per_s, both measured in this run. */
  ceiling_ratio?: number;
  /** With --ceiling: CPU per empty call, server process and bench, in microseconds. */
  ceiling_cpu_us_per_call?: { server: number | null; bench: number | null };
  audit: { ok: boolean; payments_succeeded: number; payments_failed: number; payments_pending: number; violations: string[]; mismatches: string[] };
}

export interface ReportInput {
  mode: BenchMode;
  banks: string[];
  users: number;
  concurrency: number;
  connections: number;
  warmupMs: number;
  result: DriveResult;
  peakMemoryMiB: Record<string, number | null>;
  /** CPU milliseconds each process spent in the measured window. */
  cpuMs: Record<string, number | null>;
  loadAverage1mBefore: number;
  audit: AuditReport;
  ceiling?: Ceiling;
}

export function benchReport(input: ReportInput): BenchReport {
  const { result, audit } = input;
  const latency = result.latency;
  const rate = ratePerS(result.ok, result.measuredMs);
  return {
    mode: input.mode,
    banks: input.banks,
    users: input.users,
    concurrency: input.concurrency,
    connections: input.connections,
    warmup_ms: input.warmupMs,
    measured_ms: Math.round(result.measuredMs),
    succeeded: result.ok,
    rate_per_s: round1(rate),
    latency_ms: {
      p50: round1(latency.percentileMs(50)),
      p95: round1(latency.percentileMs(95)),
      p99: round1(latency.percentileMs(99)),
      max: round1(latency.latencyMsMax),
      mean: round1(latency.latencyMsMean),
    },
    declined_by_code: result.declinedByCode,
    errors_by_code: result.errorsByCode,
    peak_memory_mib: input.peakMemoryMiB,
    cpu_percent: mapValues(input.cpuMs, (ms) => round1((ms * 100) / result.measuredMs)),
    cpu_us_per_op: mapValues(input.cpuMs, (ms) => (result.ok === 0 ? 0 : Math.round((ms * 1000) / result.ok))),
    machine: { cores: cpus().length, load_average_1m_before: round1(input.loadAverage1mBefore), load_average_1m_after: round1(loadavg()[0]!) },
    ...(input.ceiling ? ceilingFields(rate, input.ceiling) : {}),
    audit: {
      ok: audit.ok,
      payments_succeeded: Number(audit.payments_succeeded),
      payments_failed: Number(audit.payments_failed),
      payments_pending: Number(audit.payments_pending),
      violations: audit.violations,
      mismatches: audit.mismatches,
    },
  };
}

function ceilingFields(rate: number, ceiling: Ceiling): Pick<BenchReport, "ceiling_calls_per_s" | "ceiling_ratio" | "ceiling_cpu_us_per_call"> {
  return {
    ceiling_calls_per_s: ceiling.calls_per_s,
    ceiling_ratio: ceiling.calls_per_s === 0 ? 0 : Math.round((rate / ceiling.calls_per_s) * 10_000) / 10_000,
    ceiling_cpu_us_per_call: ceiling.cpu_us_per_call,
  };
}

/** The readable form, one fact a line. */
export function reportLines(r: BenchReport): string[] {
  const unit = r.mode === "pay" ? "payments" : "logins";
  const lines = [
    `${r.mode === "pay" ? "payments" : "logins"} through ${plural(r.banks.length, "bank")} (${r.banks.join(", ")}), ${plural(r.users, "user")}, concurrency ${r.concurrency} on ${plural(r.connections, "connection")}`,
    `${unit}/s        ${r.rate_per_s}  (${r.succeeded} in ${(r.measured_ms / 1000).toFixed(1)}s after ${(r.warmup_ms / 1000).toFixed(1)}s warm-up)`,
    `latency ms   p50 ${r.latency_ms.p50}  p95 ${r.latency_ms.p95}  p99 ${r.latency_ms.p99}  max ${r.latency_ms.max}  mean ${r.latency_ms.mean}`,
    `declined     ${countsText(r.declined_by_code)}`,
    `errors       ${countsText(r.errors_by_code)}`,
    `cpu % core   ${perProcessText(r.cpu_percent, "%")}`,
    `cpu us/op    ${perProcessText(r.cpu_us_per_op, "")}`,
    `peak memory  ${Object.entries(r.peak_memory_mib).map(([name, mib]) => `${name} ${mib === null ? "n/a" : `${mib} MiB`}`).join(", ")}`,
    ...(r.ceiling_calls_per_s === undefined ? [] : [`ceiling      ${r.ceiling_calls_per_s} empty calls/s (same client stack and concurrency; cpu us/call server ${r.ceiling_cpu_us_per_call?.server ?? "n/a"}, bench ${r.ceiling_cpu_us_per_call?.bench ?? "n/a"}); ratio ${r.ceiling_ratio} (${unit}/s / ceiling)`]),
    `machine      ${plural(r.machine.cores, "core")}, load average ${r.machine.load_average_1m_before} before, ${r.machine.load_average_1m_after} after`,
    `audit        ${r.audit.ok ? "clean: every invariant holds" : "FAILED"} (${r.audit.payments_succeeded} succeeded, ${r.audit.payments_failed} failed, ${r.audit.payments_pending} pending in total)`,
  ];
  for (const v of r.audit.violations) lines.push(`  VIOLATION: ${v}`);
  for (const m of r.audit.mismatches) lines.push(`  mismatch: ${m}`);
  return lines;
}

function perProcessText(values: Record<string, number | null>, unit: string): string {
  return Object.entries(values).map(([name, value]) => `${name} ${value === null ? "n/a" : `${value}${unit}`}`).join(", ");
}

function mapValues(values: Record<string, number | null>, fn: (value: number) => number): Record<string, number | null> {
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, value === null ? null : fn(value)]));
}

function countsText(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  return entries.length === 0 ? "none" : entries.map(([code, n]) => `${code} ${n}`).join(", ");
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
