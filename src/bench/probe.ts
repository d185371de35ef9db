// Phase timing for performance work, never loaded in production. Preloaded
// into every process of a bench run, it wraps the hot methods of the gateway
// and the banks (without changing them) and, at exit, writes how long each
// phase took and how large each batch was:
//   MINISTRIPE_PROBE_DIR=/tmp/probe BUN_OPTIONS="--preload ./src/bench/probe.ts" bun src/main.ts bench ...
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Participant } from "../bank/participant";
import { Coordinator } from "../gateway/coordinator";
import { Payments } from "../gateway/payments";
import { Users } from "../gateway/users";
import { Batcher } from "../lib/batcher";
import { LatencyHistogram } from "../lib/latency-histogram";
import { BankStore } from "../store/bank-store";
import { SqliteGatewayRows } from "../store/gateway-sqlite";

const probeDir = process.env.MINISTRIPE_PROBE_DIR;
const role = process.argv[2] ?? "unknown";
const histograms = new Map<string, LatencyHistogram>();

function record(label: string, value: number): void {
  let histogram = histograms.get(label);
  if (!histogram) histograms.set(label, (histogram = new LatencyHistogram()));
  histogram.record(value);
}

/** Wraps `proto[name]` to record its duration (async: until its promise settles). */
function timed(proto: any, name: string, label: string | ((args: unknown[]) => string)): void {
  const original = proto[name];
  proto[name] = function (this: unknown, ...args: unknown[]) {
    const startedAtMs = performance.now();
    const cpuAtStart = process.cpuUsage();
    const result = original.apply(this, args);
    const name = typeof label === "string" ? label : label(args);
    if (result instanceof Promise) return result.finally(() => record(name, performance.now() - startedAtMs));
    record(name, performance.now() - startedAtMs);
    // A synchronous call: its CPU time against its wall time shows what was waiting (fsync, or the CPU taken by others).
    const cpu = process.cpuUsage(cpuAtStart);
    record(`${name}.cpu`, (cpu.user + cpu.system) / 1000);
    if (Array.isArray(result)) record(`${name}.batch_items`, result.length);
    return result;
  };
}

/** What a Batcher carries, told apart by the shape of its items. */
function batcherKind(args: unknown[]): string {
  const item = args[0] as any;
  if (typeof item?.run === "function") return "gateway.wait.write";
  if (item?.kind === "prepare") return "gateway.wait.prepare_vote";
  return "gateway.wait.phase_two_ack";
}

function install(): void {
  if (role === "gateway") {
    timed(Payments.prototype, "pay", "gateway.pay.total");
    timed(Coordinator.prototype, "collectVotes", "gateway.phase_one.votes");
    timed(Coordinator.prototype, "decide", "gateway.decision.durable");
    timed(Coordinator.prototype, "phaseTwoWithin", "gateway.phase_two.acks");
    timed(Batcher.prototype, "submit", batcherKind);
    timed(SqliteGatewayRows.prototype, "transaction", "gateway.sqlite.transaction");
    timed(Users.prototype, "authenticate", "gateway.session.authenticate");
  }
  if (role === "bank") {
    timed(Participant.prototype, "apply", "bank.group.transaction");
    timed(BankStore.prototype, "transaction", "bank.sqlite.transaction");
  }
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
