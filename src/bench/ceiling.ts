// `bench --ceiling`: what this machine does with no payment at all. The bench
// starts a trivial gRPC server (bench-ceiling-server.ts, its own process, the
// gateway's certificates) and drives it with the same client stack,
// concurrency and connections as the payments. On a shared machine an absolute
// payments/s drifts with the load others put on it; the ratio of payments/s
// to this ceiling, measured in the same run, drifts much less.
import { join } from "node:path";
import { toAppError } from "../lib/errors";
import { loadCertFolder } from "../rpc/credentials";
import { drive, ratePerS } from "./driver";
import { cpuTimeMs } from "./process-usage";
import { BenchConnections, type ClientStack } from "./setup";
import { freePort, spawnListening } from "../local-cluster/cluster";

export interface CeilingOptions {
  /** The folder `certs init` made: the server uses gateway/, the bench client-NAME/. */
  certsDir: string;
  client: string;
  /** Where the server's stderr goes. */
  logsDir: string;
  concurrency: number;
  connections: number;
  clientStack: ClientStack;
  durationMs: number;
  warmupMs: number;
}

export interface Ceiling {
  calls_per_s: number;
  measured_ms: number;
  /** CPU per answered call, in microseconds: the server process and the bench. */
  cpu_us_per_call: { server: number | null; bench: number | null };
  errors: number;
}

/** The ceiling's share of a run: a short measurement is enough for an empty call. */
export function ceilingTimes(durationMs: number, warmupMs: number): { durationMs: number; warmupMs: number } {
  return { durationMs: Math.min(durationMs, 3_000), warmupMs: Math.min(warmupMs, 500) };
}

export async function measureCeiling(options: CeilingOptions): Promise<Ceiling> {
  const port = await freePort();
  const server = await spawnListening(["bench-ceiling-server", "--port", String(port), "--certs", join(options.certsDir, "gateway")], join(options.logsDir, "bench-ceiling-server.stderr"));
  const connections = new BenchConnections(`127.0.0.1:${port}`, loadCertFolder(join(options.certsDir, `client-${options.client}`)), options.connections, options.clientStack, "Health");
  try {
    const pids = { server: server.pid, bench: process.pid };
    let atStart = { server: null as number | null, bench: null as number | null };
    const result = await drive({
      concurrency: options.concurrency,
      durationMs: options.durationMs,
      warmupMs: options.warmupMs,
      onMeasureStart: () => (atStart = { server: cpuTimeMs(pids.server), bench: cpuTimeMs(pids.bench) }),
      operation: async (slot) => {
        try {
          await connections.call(slot, "Check", { service: "" });
          return { kind: "ok" };
        } catch (error) {
          return { kind: "error", code: toAppError(error).code };
        }
      },
    });
    const perCall = (name: "server" | "bench"): number | null => {
      const now = cpuTimeMs(pids[name]);
      const before = atStart[name];
      return now === null || before === null || result.ok === 0 ? null : Math.round(((now - before) * 1000) / result.ok);
    };
    const errors = Object.values(result.errorsByCode).reduce((sum, n) => sum + n, 0);
    return { calls_per_s: Math.round(ratePerS(result.ok, result.measuredMs)), measured_ms: Math.round(result.measuredMs), cpu_us_per_call: { server: perCall("server"), bench: perCall("bench") }, errors };
  } finally {
    connections.close();
    server.kill("SIGTERM");
    await Promise.race([server.exited, Bun.sleep(5_000).then(() => server.kill("SIGKILL"))]);
  }
}
