// grpc_server_* metrics as go-grpc-prometheus names and labels them, so the
// dashboards and alerts written for any gRPC server work here unchanged:
// started and handled calls by grpc_type, grpc_service (the full name,
// "ministripe.v1.Gateway"), grpc_method and, once handled, grpc_code ("OK",
// "InvalidArgument": Go's code names), and the handling time histogram.
import * as grpc from "@grpc/grpc-js";
import type { Metrics } from "../metrics";

/** Go's codes.Code String() names, which go-grpc-prometheus puts in grpc_code. */
const goCodeNames: Record<number, string> = {
  0: "OK",
  1: "Canceled",
  2: "Unknown",
  3: "InvalidArgument",
  4: "DeadlineExceeded",
  5: "NotFound",
  6: "AlreadyExists",
  7: "PermissionDenied",
  8: "ResourceExhausted",
  9: "FailedPrecondition",
  10: "Aborted",
  11: "OutOfRange",
  12: "Unimplemented",
  13: "Internal",
  14: "Unavailable",
  15: "DataLoss",
  16: "Unauthenticated",
};

function grpcCodeLabel(code: number): string {
  return goCodeNames[code] ?? `Code(${code})`;
}

function grpcType(descriptor: grpc.ServerMethodDefinition<unknown, unknown>): string {
  if (descriptor.requestStream) return descriptor.responseStream ? "bidi_stream" : "client_stream";
  return descriptor.responseStream ? "server_stream" : "unary";
}

export interface CallObserver {
  /** Once, with the call's final status code. */
  end(code: number): void;
}

/**
 * The grpc_server_* series. Recorded by the logging interceptor, which already
 * wraps every call and sees its final status (refusals included): a wrapper of
 * its own would cost every call a second ServerInterceptingCall.
 */
export class GrpcServerMetrics {
  private readonly started;
  private readonly handled;
  private readonly seconds;
  // Label children cached per method (and code): prom-client hashes the label
  // object on every call otherwise, and this runs on every call.
  private readonly perMethod = new Map<string, { started: { inc(): void }; seconds: { observe(v: number): void }; handled: Map<number, { inc(): void }>; labels: Record<string, string> }>();

  constructor(metrics: Metrics) {
    this.started = metrics.counter("grpc_server_started_total", "Total number of RPCs started on the server.", ["grpc_type", "grpc_service", "grpc_method"]);
    this.handled = metrics.counter("grpc_server_handled_total", "Total number of RPCs completed on the server, regardless of success or failure.", ["grpc_type", "grpc_service", "grpc_method", "grpc_code"]);
    this.seconds = metrics.histogram("grpc_server_handling_seconds", "Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.", ["grpc_type", "grpc_service", "grpc_method"], [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
  }

  begin(descriptor: grpc.ServerMethodDefinition<unknown, unknown>): CallObserver {
    const children = this.childrenOf(descriptor);
    const startedAtMs = performance.now();
    children.started.inc();
    return {
      end: (code) => {
        let counter = children.handled.get(code);
        if (!counter) {
          counter = this.handled.labels({ ...children.labels, grpc_code: grpcCodeLabel(code) });
          children.handled.set(code, counter);
        }
        counter.inc();
        children.seconds.observe((performance.now() - startedAtMs) / 1000);
      },
    };
  }

  private childrenOf(descriptor: grpc.ServerMethodDefinition<unknown, unknown>) {
    let children = this.perMethod.get(descriptor.path);
    if (!children) {
      // Only paths of the services this server registered reach an interceptor.
      const match = /^\/([\w.]+)\/(\w+)$/.exec(descriptor.path);
      const labels = { grpc_type: grpcType(descriptor), grpc_service: match?.[1] ?? "unknown", grpc_method: match?.[2] ?? "unknown" };
      children = { started: this.started.labels(labels), seconds: this.seconds.labels(labels), handled: new Map(), labels };
      this.perMethod.set(descriptor.path, children);
    }
    return children;
  }
}
