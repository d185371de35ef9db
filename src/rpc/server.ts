// A gRPC server over mutual TLS with health and reflection, and the helper
// that turns an async function into a unary handler speaking the error model.
import * as grpc from "@grpc/grpc-js";
import { createServer as createNetServer } from "node:net";
import { ReflectionService } from "@grpc/reflection";
import { AppError, Code, quoted, toAppError } from "../lib/errors";
import { limits, securityLimits } from "../lib/limits";
import type { Logger } from "../lib/log";
import { listenError } from "../lib/web";
import { serverCredentials, type CertFolder } from "./credentials";
import type { Role } from "./identity";
import { malformedRequestInterceptor, tolerant } from "./interceptors/malformed";
import { attemptOf, getText, internal, requestIdOf } from "./metadata";
import { packageDefinition, services, type ServiceName } from "./protos";
import { toServiceError } from "./status";
import type { Handlers } from "./wire/services";

export interface CallContext {
  requestId: string;
  attempt: number;
  peer: string;
  peerRole: Role | undefined;
  peerName: string | undefined;
  /** SHA-256 of the caller's certificate (hex), set by the peer-role interceptor. */
  peerCertSha256: string | undefined;
  /** The authenticated user, set by the session interceptor. */
  user: string | undefined;
  userRole: string | undefined;
  tokenHash: string | undefined;
  /** Milliseconds left before the caller's deadline (Infinity when none). */
  remainingMs(): number;
  cancelled(): boolean;
}

function contextOf(call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>): CallContext {
  const metadata = call.metadata;
  const deadline = call.getDeadline();
  const deadlineAtMs = deadline instanceof Date ? deadline.getTime() : Number(deadline);
  return {
    requestId: requestIdOf(metadata),
    attempt: attemptOf(metadata),
    peer: call.getPeer(),
    peerRole: getText(metadata, internal.peerRole) as Role | undefined,
    peerName: getText(metadata, internal.peerName),
    peerCertSha256: getText(metadata, internal.peerCertSha256),
    user: getText(metadata, internal.user),
    userRole: getText(metadata, internal.userRole),
    tokenHash: getText(metadata, internal.tokenHash),
    remainingMs: () => (Number.isFinite(deadlineAtMs) ? deadlineAtMs - Date.now() : Infinity),
    cancelled: () => call.cancelled,
  };
}

// The reply type is not inferred from `fn`: it comes from the service's
// Handlers type (src/rpc/wire/services.ts), so every reply is checked against
// the .proto's message, field by field.
export type UnaryFn<Req, Res> = (request: Req, context: CallContext) => Promise<NoInfer<Res>> | NoInfer<Res>;

export function unary<Req, Res>(log: Logger, fn: UnaryFn<Req, Res>): grpc.handleUnaryCall<Req, Res> {
  return function handle(call, callback) {
    let context: CallContext;
    try {
      context = contextOf(call);
    } catch (error) {
      callback(toServiceError(toAppError(error)) as grpc.ServiceError);
      return;
    }
    Promise.resolve()
      .then(() => fn(call.request, context))
      .then(
        (response) => callback(null, response),
        (error) => callback(toServiceError(reported(log, error, context)) as grpc.ServiceError),
      );
  };
}

/** A server stream's way out: a message written, how many written wait for the connection to take them, and a cut (a reset, no status). */
export interface StreamOut<Res> {
  write(message: Res): void;
  waiting(): number;
  cut(): void;
}

export type StreamFn<Req, Res> = (request: Req, context: CallContext, out: StreamOut<NoInfer<Res>>, ended: Promise<void>) => Promise<void>;

export function serverStream<Req, Res>(log: Logger, fn: StreamFn<Req, Res>): grpc.handleServerStreamingCall<Req, Res> {
  return function handle(call) {
    const context = contextOf(call);
    const ended = new Promise<void>((resolve) => {
      call.on("cancelled", () => resolve());
      call.on("close", () => resolve());
    });
    const out = { write: (message: Res) => void call.write(message), waiting: () => call.writableLength, cut: () => call.destroy() };
    fn(call.request, context, out, ended).then(
      () => {
        if (!call.destroyed) call.end();
      },
      // Emitted, not destroy(): grpc-js sends a stream's status from its end, which a destroyed stream never reaches.
      (error) => call.emit("error", Object.assign(new Error(), toServiceError(reported(log, error, context)))),
    );
  };
}

/**
 * An unexpected error is logged with its cause and sent as a bare INTERNAL.
 * A failed assertion never gets here in a real server: assert() stops the
 * process first (src/lib/fatal.ts); only a test's handler lets it through.
 */
function reported(log: Logger, error: unknown, context: CallContext): AppError {
  const appError = toAppError(error);
  if (appError.code === Code.Internal) {
    log.error({ event: "rpc.internal", request_id: context.requestId, err: appError.cause ?? error }, "internal error");
  }
  return appError;
}

export type HealthStatus = "SERVING" | "NOT_SERVING";

export interface ServerSetup {
  certs: CertFolder;
  interceptors: grpc.ServerInterceptor[];
  /** Each service's handlers: src/ types them with Handlers<S> (src/rpc/wire/services.ts); tests may serve a part. */
  implementations: Partial<Record<ServiceName, grpc.UntypedServiceImplementation>>;
  health: (service: string) => HealthStatus | undefined;
}

export function createServer(setup: ServerSetup): grpc.Server {
  const server = new grpc.Server({
    // Innermost: a request that is not a valid message ends as INVALID_ARGUMENT
    // before any handler runs, and the interceptors before it still log it.
    interceptors: [...setup.interceptors, malformedRequestInterceptor()],
    // Larger requests end as RESOURCE_EXHAUSTED before they are parsed.
    "grpc.max_receive_message_length": securityLimits.grpcRequestBytesMax,
    "grpc.max_send_message_length": limits.grpcMessageBytesMax,
    // channelz keeps per-call statistics nobody here reads; it costs CPU on every call.
    "grpc.enable_channelz": 0,
    // Clients ping every limits.keepalivePingIntervalMs, with calls or without:
    // accepted, never answered with GOAWAY "too_many_pings".
    "grpc.keepalive_permit_without_calls": 1,
    "grpc.http2.min_ping_interval_without_data_ms": limits.keepalivePingIntervalMsAccepted,
    // The server's own pings: a connection whose client vanished without a
    // reset (its host gone, a middlebox dropping it) is closed, and its
    // streams with it, instead of held for the kernel's hours.
    "grpc.keepalive_time_ms": limits.serverKeepalivePingIntervalMs,
    "grpc.keepalive_timeout_ms": limits.serverKeepalivePingTimeoutMs,
  });
  for (const [name, implementation] of Object.entries(setup.implementations)) {
    server.addService(tolerantService(services[name as ServiceName].service), implementation!);
  }
  const watches = new Map<HealthWatch, () => void>();
  watchesByServer.set(server, watches);
  server.addService(tolerantService(services.Health.service), healthImplementation(setup.health, watches));
  // Reflection lists what this server serves, not every service of the package.
  const served = [...Object.keys(setup.implementations).map((name) => `ministripe.v1.${name}`), "grpc.health.v1.Health"];
  new ReflectionService(packageDefinition, { services: served }).addToServer(server);
  return server;
}

/** One open Health/Watch stream. */
type HealthWatch = Parameters<Handlers<"Health">["Watch"]>[0];

/** The open Health/Watch streams of each server, each with what ends it: stopServer ends them. */
const watchesByServer = new WeakMap<grpc.Server, Map<HealthWatch, () => void>>();

/** The service with every request deserializer marking bad bytes instead of throwing. */
function tolerantService(definition: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const methods = Object.entries(definition).map(([name, method]) => [name, { ...method, requestDeserialize: tolerant(method.requestDeserialize) }]);
  return Object.fromEntries(methods) as grpc.ServiceDefinition;
}

function healthImplementation(health: ServerSetup["health"], watches: Map<HealthWatch, () => void>): Handlers<"Health"> {
  const check = (service: string): HealthStatus => {
    const status = health(service);
    if (!status) throw new AppError(Code.NotFound, `unknown service ${quoted(service)}`);
    return status;
  };
  return {
    Check: (call, callback) => {
      try {
        callback(null, { status: check(call.request.service ?? "") });
      } catch (error) {
        callback(toServiceError(toAppError(error)) as grpc.ServiceError);
      }
    },
    List: (_call, callback) => {
      callback(null, { statuses: { "": { status: check("") } } });
    },
    // As grpc.health.v1 says: the status now, then each change, until the caller ends the stream.
    Watch: (call) => {
      if (watches.size >= limits.healthWatchesMax) {
        call.emit("error", toServiceError(new AppError(Code.ResourceExhausted, "too many health watches; try again later")));
        return;
      }
      // Per certificate too: one peer holding them all would refuse everyone else's.
      const peer = contextOf(call).peerCertSha256 ?? "";
      if ([...watches.keys()].filter((watch) => contextOf(watch).peerCertSha256 === peer).length >= limits.healthWatchesPerPeerMax) {
        call.emit("error", toServiceError(new AppError(Code.ResourceExhausted, `this certificate has ${limits.healthWatchesPerPeerMax} health watches open already; close one first`)));
        return;
      }
      const service = String(call.request?.service ?? "");
      const statusNow = (): HealthStatus | "SERVICE_UNKNOWN" => health(service) ?? "SERVICE_UNKNOWN";
      let sent = statusNow();
      call.write({ status: sent });
      const timer = setInterval(() => {
        const status = statusNow();
        if (status === sent) return;
        sent = status;
        call.write({ status });
      }, limits.healthWatchPollMs);
      const end = () => {
        clearInterval(timer);
        watches.delete(call);
      };
      watches.set(call, end);
      call.on("cancelled", end);
      call.on("close", end);
    },
  };
}

export async function listen(server: grpc.Server, certs: CertFolder, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, serverCredentials(certs), (error, boundPort) => {
      if (error) reject(listenError(host, port, error));
      else resolve(boundPort);
    });
  });
}

/**
 * Fails, saying why in plain words, when `host:port` cannot be listened on
 * now (port 0 always can). Servers check this before any other start-up
 * work, so a busy port is the one line the user sees; the bind itself
 * still reports the same way if the port is taken in between.
 */
export async function checkCanListen(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createNetServer();
    probe.once("error", (error) => reject(listenError(host, port, error)));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

export function stopServer(server: grpc.Server, graceMs = 2_000): Promise<void> {
  // Open watches would hold a graceful shutdown for its whole grace.
  for (const [call, end] of watchesByServer.get(server) ?? []) {
    end();
    call.end();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
