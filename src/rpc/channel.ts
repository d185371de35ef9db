// Outgoing calls: a client per peer over mutual TLS that accepts only the
// expected peer's certificate, and a promise-shaped unary call with a
// deadline on every call and a logging interceptor on every channel.
import * as grpc from "@grpc/grpc-js";
import { assert } from "../lib/assert";
import { AppError, Code } from "../lib/errors";
import { hostPortField } from "../lib/fields";
import { formatDurationMs } from "../lib/duration";
import { limits } from "../lib/limits";
import type { Logger } from "../lib/log";
import { channelCredentials, type CertFolder } from "./credentials";
import type { LoggedReply, LoggedRequest } from "./interceptors/logging";
import { serverNameOf, type Identity } from "./identity";
import { wire } from "./metadata";
import { services, splitPath, type ServiceName } from "./protos";
import type { MethodName, Reply, Request, ServiceClient } from "./wire/services";
import { codeName, fromCallError, networkReason } from "./status";

export interface ConnectOptions {
  certs: CertFolder;
  /** Whom we must reach: the dialled certificate must carry this identity's TLS name. */
  expect: Identity;
  log?: Logger;
  /** Log level for one line per outgoing call. */
  callLogLevel?: "info" | "debug";
  /** A connection of this client's own, not shared with other clients to the same address (so replacing the client replaces it). */
  ownConnection?: boolean;
}

export function parseAddress(text: string, field: string): string {
  hostPortField(text, field);
  return text.trim();
}

export function connect<S extends ServiceName>(service: S, address: string, options: ConnectOptions): ServiceClient<S> {
  const serverName = serverNameOf(options.expect);
  const Client = services[service];
  // A client of this service: the type lets unaryCall check each call against the .proto.
  return new Client(address, channelCredentials(options.certs), {
    // Bun refuses an IP address as the TLS server name, and we want the
    // peer's identity checked anyway: the certificate must name this peer.
    "grpc.ssl_target_name_override": serverName,
    "grpc.default_authority": serverName,
    "grpc.max_receive_message_length": limits.grpcMessageBytesMax,
    "grpc.max_send_message_length": limits.grpcMessageBytesMax,
    "grpc.enable_channelz": 0,
    // A dead or stuck connection is noticed within seconds, even when idle.
    "grpc.keepalive_time_ms": limits.keepalivePingIntervalMs,
    "grpc.keepalive_timeout_ms": limits.keepalivePingTimeoutMs,
    "grpc.keepalive_permit_without_calls": 1,
    "grpc.initial_reconnect_backoff_ms": limits.reconnectBackoffMsMin,
    "grpc.max_reconnect_backoff_ms": limits.reconnectBackoffMsMax,
    "grpc.use_local_subchannel_pool": options.ownConnection ? 1 : 0,
    interceptors: callLogging(address, options),
  }) as unknown as ServiceClient<S>;
}

/**
 * A client whose channel is replaced when a connection attempt hangs. grpc-js
 * has no connect timeout: a handshake whose bytes are lost (a peer host gone,
 * a middlebox that forgot the flow) keeps the channel CONNECTING (or, after a
 * failure, TRANSIENT_FAILURE while it tries again), and every call waiting for
 * it, until TCP itself gives up (minutes). After `connectingMsMax` in either
 * state without a change the channel is closed (its waiting calls fail
 * UNAVAILABLE) and a new one, with a connection of its own, takes its place.
 * A peer that is simply down costs a new channel every connectingMsMax.
 */
export class ReplaceableClient<C extends grpc.Client = grpc.Client> {
  private current: C;
  private closed = false;
  /** Channels replaced so far because a connection attempt hung. */
  replaced = 0;

  constructor(
    private readonly make: () => C,
    private readonly connectingMsMax: number,
    private readonly log?: Logger,
  ) {
    this.current = make();
    this.watch();
  }

  get client(): C {
    return this.current;
  }

  /**
   * Makes a call on the current client; when its channel was replaced while
   * the call waited for a connection (closing it fails the call UNAVAILABLE
   * before it started), makes it again on the new one while the deadline
   * allows. For calls that are safe to repeat (reads).
   */
  async callRetryingOnReplacement<R>(deadlineAtMs: number, call: (client: C, deadlineMs: number) => Promise<R>): Promise<R> {
    for (let attempt = 1; ; attempt++) {
      const client = this.current;
      try {
        return await call(client, Math.max(1, deadlineAtMs - Date.now()));
      } catch (error) {
        const replacedMeanwhile = client !== this.current;
        if (!replacedMeanwhile || Date.now() >= deadlineAtMs || attempt >= limits.replacedCallAttemptsMax) throw error;
      }
    }
  }

  /** Checks the channel at least every connectingMsMax: a change of state re-arms the check, none while CONNECTING replaces it. */
  private watch(): void {
    const client = this.current;
    const channel = client.getChannel();
    const state = channel.getConnectivityState(false);
    channel.watchConnectivityState(state, Date.now() + this.connectingMsMax, (unchanged) => {
      if (this.closed || client !== this.current) return;
      if (unchanged && (state === grpc.connectivityState.CONNECTING || state === grpc.connectivityState.TRANSIENT_FAILURE)) this.replace();
      this.watch();
    });
  }

  private replace(): void {
    const stuck = this.current;
    this.current = this.make();
    this.replaced += 1;
    this.log?.debug({ event: "channel.replaced", peer: stuck.getChannel().getTarget(), connecting_ms: this.connectingMsMax }, "not connected after trying; connecting afresh");
    stuck.close();
  }

  close(): void {
    this.closed = true;
    this.current.close();
  }
}

export interface CallOptions {
  deadlineMs: number;
  requestId?: string;
  attempt?: number;
  token?: string;
  /**
   * Wait (within the deadline) for a connection instead of failing at once
   * while the channel is reconnecting: for calls to a peer that may just have
   * restarted. Without it a call fails fast with UNAVAILABLE (the CLI queues).
   */
  waitForReady?: boolean;
  /**
   * Fail with UNAVAILABLE when the channel has not connected within this
   * long. grpc-js has no connect timeout: a gateway whose host is gone
   * (packets dropped, not refused) held each try for its whole deadline,
   * and `pay` queued after 4 x 10 s. A call on a channel that was never
   * connected meanwhile was never sent, so ending it changes nothing at the server.
   */
  connectWithinMs?: number;
}

/** One call of `method` on a client of its service: the request and the reply are the .proto's. */
export function unaryCall<S extends ServiceName, M extends MethodName<S>>(client: ServiceClient<S>, method: M, request: Request<S, M>, options: CallOptions): Promise<Reply<S, M>> {
  const metadata = new grpc.Metadata({ waitForReady: options.waitForReady === true });
  if (options.requestId) metadata.set(wire.requestId, options.requestId);
  if (options.attempt) metadata.set(wire.attempt, String(options.attempt));
  if (options.token) metadata.set(wire.authorization, `Bearer ${options.token}`);
  // grpc-js makes each method of the service a member of the client.
  const fn = (client as unknown as Record<string, unknown>)[method];
  assert(typeof fn === "function", `a method ${method} of this client`);
  return new Promise<Reply<S, M>>((resolve, reject) => {
    let notConnected = false;
    let connectWatch: { stop(): void } | undefined;
    const call: grpc.ClientUnaryCall = fn.call(client, request, metadata, { deadline: Date.now() + options.deadlineMs }, (error: grpc.ServiceError | null, response: Reply<S, M>) => {
      connectWatch?.stop();
      if (notConnected) reject(new AppError(Code.Unavailable, `could not connect within ${formatDurationMs(options.connectWithinMs!)}`, error ?? undefined));
      else if (error) reject(fromCallError(error, method));
      else resolve(response);
    });
    connectWatch = options.connectWithinMs === undefined ? undefined : endUnlessConnected(client, call, options.connectWithinMs, () => (notConnected = true));
  });
}

/**
 * Cancels `call` if its channel is not connected now and does not connect
 * within `withinMs` (see CallOptions.connectWithinMs). Once the channel was
 * READY the call may have gone out on it, so it is never ended then, even if
 * that connection has closed since (a server's GOAWAY): its own deadline and
 * status say what happened.
 */
function endUnlessConnected(client: grpc.Client, call: grpc.ClientUnaryCall, withinMs: number, onEnd: () => void): { stop(): void } | undefined {
  const channel = client.getChannel();
  const ready = grpc.connectivityState.READY;
  if (channel.getConnectivityState(false) === ready) return undefined;
  const deadlineAtMs = Date.now() + withinMs;
  let wasReady = false;
  let ended = false;
  // Each change re-arms the watch until READY or the deadline: bounded by withinMs.
  const watch = (from: grpc.connectivityState): void => {
    // A closed channel takes no more watches (it throws "Channel has been shut down"): the call ends with it.
    if (ended || from === grpc.connectivityState.SHUTDOWN) return;
    try {
      channel.watchConnectivityState(from, deadlineAtMs, (error) => {
        if (error || ended) return;
        const now = channel.getConnectivityState(false);
        if (now === ready) wasReady = true;
        else watch(now);
      });
    } catch {
      // Closed meanwhile: as above.
    }
  };
  watch(channel.getConnectivityState(false));
  const timer = setTimeout(() => {
    ended = true;
    if (wasReady || channel.getConnectivityState(false) === ready) return;
    onEnd();
    call.cancel();
  }, withinMs);
  return { stop: () => ((ended = true), clearTimeout(timer)) };
}

/** Waits until the channel is connected, or fails with UNAVAILABLE after the deadline. */
export function waitConnected(client: grpc.Client, deadlineMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    client.waitForReady(Date.now() + deadlineMs, (error) => {
      if (error) reject(new AppError(Code.Unavailable, `cannot reach ${client.getChannel().getTarget()} (${networkReason(error.message)})`, error));
      else resolve();
    });
  });
}

/** Whether the channel has a live connection now (true: an idle channel starts connecting, so the next check can see it up). */
export function isConnected(client: grpc.Client): boolean {
  return client.getChannel().getConnectivityState(true) === grpc.connectivityState.READY;
}

/**
 * The logging interceptor, when its lines would be written: a layer on every
 * call costs CPU, and where the call log level is off (the gateway's batches
 * to banks at the default level) the bank's server interceptor logs the call.
 */
function callLogging(address: string, options: ConnectOptions): grpc.Interceptor[] {
  const level = options.callLogLevel ?? "debug";
  if (!options.log || !options.log.isLevelEnabled(level)) return [];
  return [clientLoggingInterceptor(options.log, level, { peer: address, cert: `${options.expect.role}:${options.expect.name}` })];
}

function clientLoggingInterceptor(log: Logger, level: "info" | "debug", peer: { peer: string; cert: string }): grpc.Interceptor {
  return function clientLogging(options, nextCall) {
    const { service, method } = splitPath(options.method_definition.path);
    const startedAtMs = performance.now();
    const fields: Record<string, unknown> = { event: "rpc.called", service, method, ...peer };
    return new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        fields.request_id = metadata.get(wire.requestId)[0];
        fields.attempt = Number(metadata.get(wire.attempt)[0] ?? 1);
        next(metadata, {
          onReceiveMessage(message: LoggedReply | undefined, nextMessage) {
            const payment = message?.payment ?? message;
            if (typeof payment?.id === "string" && payment.status) fields.txid = payment.id;
            nextMessage(message);
          },
          onReceiveStatus(status, nextStatus) {
            fields.code = codeName(status.code);
            fields.duration_ms = Math.round((performance.now() - startedAtMs) * 1000) / 1000;
            if (status.code !== grpc.status.OK) fields.error = status.details;
            log[status.code === grpc.status.OK ? level : "warn"](fields, `${service}.${method}`);
            nextStatus(status);
          },
        });
      },
      sendMessage(message: LoggedRequest | undefined, next) {
        if (message?.idempotency_key) fields.idempotency_key = message.idempotency_key;
        if (message?.amount_minor) fields.amount_minor = String(message.amount_minor);
        if (Array.isArray(message?.items)) fields.batch = message.items.length;
        if (Array.isArray(message?.txs)) fields.batch = message.txs.length;
        next(message);
      },
    });
  };
}
