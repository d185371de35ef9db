// Prometheus metrics for a server process (prom-client), served on
// `--metrics HOST:PORT` at /metrics. Off by default: this module (and
// prom-client) is loaded only when the flag is given, and the servers then
// get the metrics interceptor and the domain hooks; without it they pay nothing.
// No label may carry a username, key, token or amount: label values come from
// fixed sets (method names, status codes, failure codes, bank names).
import * as prom from "prom-client";
import { AppError } from "../lib/errors";
import { hostPortField } from "../lib/fields";
import { serveWeb } from "../lib/web";

export interface CounterLike {
  inc(labels?: Record<string, string>, value?: number): void;
}
export interface HistogramLike {
  observe(labels: Record<string, string>, value: number): void;
}

/** prom-client's default metrics that read V8's figures, which Bun's runtime (JavaScriptCore) does not have. */
const misreadOnBun = [
  "process_heap_bytes",
  "nodejs_heap_size_total_bytes",
  "nodejs_heap_size_used_bytes",
  "nodejs_heap_space_size_total_bytes",
  "nodejs_heap_space_size_used_bytes",
  "nodejs_heap_space_size_available_bytes",
];

export class Metrics {
  readonly registry = new prom.Registry();

  constructor() {
    // Process CPU, resident memory, event-loop lag, GC: prom-client's defaults.
    prom.collectDefaultMetrics({ register: this.registry });
    // ...but not those Bun answers with what is not a heap: V8's heap spaces
    // (all zero but one, under JavaScriptCore), a "used" above the "total",
    // and process_heap_bytes, the whole reserved address space (gigabytes).
    for (const name of misreadOnBun) this.registry.removeSingleMetric(name);
  }

  counter(name: string, help: string, labelNames: string[] = []): prom.Counter<string> {
    return new prom.Counter({ name, help, labelNames, registers: [this.registry] });
  }

  histogram(name: string, help: string, labelNames: string[], buckets: number[]): prom.Histogram<string> {
    return new prom.Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }

  /** A gauge read at scrape time (a count from the database, say). */
  gaugeOf(name: string, help: string, read: () => number): prom.Gauge<string> {
    return new prom.Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

export interface MetricsServer {
  port: number;
  stop(): Promise<void>;
}

/** Serves GET /metrics (and nothing else) on host:port. */
export function serveMetrics(metrics: Metrics, host: string, port: number): MetricsServer {
  let server: ReturnType<typeof Bun.serve>;
  const plain = (text: string, status: number, headers: Record<string, string> = {}) => new Response(`${text}\n`, { status, headers });
  try {
    server = serveWeb({
      host,
      port,
      plain,
      async fetch(request, url) {
        if (url.pathname !== "/metrics") return plain("not found: try /metrics", 404);
        if (request.method !== "GET" && request.method !== "HEAD") return plain("method not allowed", 405, { allow: "GET, HEAD" });
        return new Response(await metrics.text(), { headers: { "content-type": metrics.contentType } });
      },
    });
  } catch (error) {
    const why = error as AppError;
    throw new AppError(why.code, `--metrics: ${why.message}`, why.cause);
  }
  return {
    port: server.port!,
    async stop() {
      await server.stop(true);
    },
  };
}

/** "HOST:PORT" of --metrics, split. */
export function metricsAddress(text: string): { host: string; port: number } {
  return hostPortField(text, "--metrics");
}
