// Shared by the server commands: logging flags and running until a signal.
import type { AppError } from "../../lib/errors";
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

/** Resolves when SIGINT or SIGTERM arrives, after `stop` finished; rejects with the error when `stopsItself` comes first. */
export function runUntilSignal(stop: () => Promise<void>, log: Logger, stopsItself?: Promise<AppError>): Promise<number> {
  return new Promise((resolve, reject) => {
    let stopping = false;
    const stopFor = (why: string, error?: AppError) => {
      if (stopping) return;
      stopping = true;
      log.info({ event: "server.stopping", signal: why }, "stopping");
      // A server that stops of itself ends with its error: a supervisor sees a failure, and why, not exit 0.
      void stop().finally(() => (error ? reject(error) : resolve(0)));
    };
    process.once("SIGINT", () => stopFor("SIGINT"));
    process.once("SIGTERM", () => stopFor("SIGTERM"));
    void stopsItself?.then((error) => stopFor(error.message, error));
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
