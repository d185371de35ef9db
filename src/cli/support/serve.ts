// Shared by the server commands: logging flags and running until a signal.
import { createLogger, parseLogLevel, type Logger } from "../../lib/log";
import type { Metrics, MetricsServer } from "../../rpc/metrics";
import { str, type FlagSpecs, type Flags } from "./flags";

export const logFlags: FlagSpecs = {
  "log-level": { type: "string", value: "LEVEL", help: "trace, debug, info, warn, error or silent", default: "info" },
  "log-file": { type: "string", value: "FILE", help: "append JSON log lines to this file instead of stderr" },
};

export function serverLogger(flags: Flags, role: string, name: string): Logger {
  return createLogger({ role, name, level: parseLogLevel(str(flags, "log-level")) ?? "info", file: str(flags, "log-file") });
}

/** Resolves when SIGINT or SIGTERM arrives, after `stop` finished. */
export function runUntilSignal(stop: () => Promise<void>, log: Logger): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ event: "server.stopping", signal }, "stopping");
      void stop().finally(() => resolve(0));
    };
    process.once("SIGINT", () => onSignal("SIGINT"));
    process.once("SIGTERM", () => onSignal("SIGTERM"));
  });
}

export const metricsFlag: FlagSpecs = {
  metrics: { type: "string", value: "HOST:PORT", help: "serve Prometheus metrics at http://HOST:PORT/metrics (off by default)" },
};

/** The registry when --metrics is given; prom-client is loaded only then. */
export async function metricsOf(flags: Flags): Promise<{ metrics: Metrics; serve(): MetricsServer } | undefined> {
  const address = str(flags, "metrics");
  if (address === undefined) return undefined;
  const { Metrics, metricsAddress, serveMetrics } = await import("../../rpc/metrics");
  const { host, port } = metricsAddress(address);
  const metrics = new Metrics();
  return { metrics, serve: () => serveMetrics(metrics, host, port) };
}

/** Starts the metrics server; when it cannot listen the server is stopped before the error goes on. */
export async function serveOrStop(serve: () => MetricsServer, stop: () => Promise<void>): Promise<MetricsServer> {
  try {
    return serve();
  } catch (error) {
    await stop();
    throw error;
  }
}
