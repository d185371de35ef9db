// Phase timing for performance work, never loaded in production. Preloaded
// into every process of a bench run, it observes the phases the gateway and
// the banks name (src/lib/phase-timing.ts) and, at exit, writes how long each
// phase took and how large each batch was:
//   MINISTRIPE_PROBE_DIR=/tmp/probe BUN_OPTIONS="--preload ./src/bench/probe.ts" bun src/main.ts bench ...
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LatencyHistogram } from "../lib/latency-histogram";
import { observePhases, type Phase, type PhaseObserver } from "../lib/phase-timing";

const probeDir = process.env.MINISTRIPE_PROBE_DIR;
const role = process.argv[2] ?? "unknown";
const histograms = new Map<string, LatencyHistogram>();

function record(label: string, value: number): void {
  let histogram = histograms.get(label);
  if (!histogram) histograms.set(label, (histogram = new LatencyHistogram()));
  histogram.record(value);
}

/** Records each phase's duration under `ROLE.PHASE` (async: until its promise settles). */
const recorder: PhaseObserver = {
  timed<T>(phase: Phase, run: () => T): T {
    const label = `${role}.${phase}`;
    const startedAtMs = performance.now();
    const cpuAtStart = process.cpuUsage();
    const result = run();
    if (result instanceof Promise) return result.finally(() => record(label, performance.now() - startedAtMs)) as T;
    record(label, performance.now() - startedAtMs);
    // A synchronous call: its CPU time against its wall time shows what was waiting (fsync, or the CPU taken by others).
    const cpu = process.cpuUsage(cpuAtStart);
    record(`${label}.cpu`, (cpu.user + cpu.system) / 1000);
    if (Array.isArray(result)) record(`${label}.batch_items`, result.length);
    return result;
  },
};

function install(): void {
  observePhases(recorder);
  // Event-loop lag: how late a 10 ms timer fires tells whether the process is CPU-bound.
  let expectedAtMs = performance.now() + 10;
  setInterval(() => {
    record(`${role}.event_loop.lag`, Math.max(0, performance.now() - expectedAtMs));
    expectedAtMs = performance.now() + 10;
  }, 10).unref();
  process.on("exit", dump);
}

function dump(): void {
  const lines = [`# ${role} ${process.argv.slice(2, 5).join(" ")} pid ${process.pid}`, "label count mean_ms p50_ms p99_ms max_ms"];
  for (const [label, h] of [...histograms].sort()) {
    const f = (n: number) => n.toFixed(label.endsWith("batch_items") ? 1 : 3);
    lines.push(`${label} ${h.count} ${f(h.latencyMsMean)} ${f(h.percentileMs(50))} ${f(h.percentileMs(99))} ${f(h.latencyMsMax)}`);
  }
  mkdirSync(probeDir!, { recursive: true });
  writeFileSync(join(probeDir!, `${role}-${process.pid}.txt`), `${lines.join("\n")}\n`);
}

if (probeDir) install();
