// A minimal unary gRPC client on node:http2 with mutual TLS, for the two hot
// callers: the load generator (`ministripe bench`) and the gateway's Exchange
// calls to banks (src/gateway/bank-links.ts). Same protos, same wire format,
// same certificates and peer check as every other caller; what it leaves out
// is grpc-js's client stack (resolver, retries, load balancing, filters),
// which costs about 100 µs of CPU per call on Bun (docs/performance.md).
// What the bank link needs of grpc-js's channel it does here: calls that wait
// for a connection within their deadline (waitForReady), reconnecting with a
// short backoff, and keepalive pings that replace a connection that stopped
// making progress. Everything else uses grpc-js.
import * as http2 from "node:http2";
import { assert } from "../lib/assert";
import { AppError, Code } from "../lib/errors";
import { limits } from "../lib/limits";
import type { CertFolder } from "./credentials";
import { serverNameOf, type Identity } from "./identity";
import { wire } from "./metadata";
import { services, type ServiceName } from "./protos";
import type { MethodName, Reply, Request } from "./wire/services";
import { fromCallError } from "./status";

interface MethodCodec {
  path: string;
  requestSerialize(value: unknown): Buffer;
  responseDeserialize(bytes: Buffer): unknown;
}

/** Length-prefixed message header: 1 byte compressed flag, 4 bytes length. */
const frameHeaderBytes = 5;

export interface Http2UnaryOptions {
  /** An HTTP/2 PING this often on a connected session; no answer within timeoutMs closes it (its calls fail UNAVAILABLE). */
  keepalive?: { intervalMs: number; timeoutMs: number };
  /** Between failed connection attempts of a waitForReady call: from msMin, doubling, to msMax. */
  reconnectBackoff?: { msMin: number; msMax: number };
  /**
   * A session still connecting (TCP, TLS, HTTP/2 settings) after this is
   * destroyed, so the next attempt starts afresh: a handshake whose bytes are
   * lost (a peer host gone, a middlebox that forgot the flow) would otherwise
   * keep every call waiting on it until TCP gives up, minutes later.
   */
  connectingMsMax?: number;
}

export interface Http2CallOptions {
  deadlineMs: number;
  token?: string;
  /** Wait (within the deadline) for a connection instead of failing at once while the peer cannot be reached. */
  waitForReady?: boolean;
}

/** Calls service S: each method's request and reply are the .proto's. */
export class Http2UnaryClient<S extends ServiceName> {
  private session: http2.ClientHttp2Session | undefined;
  private readonly methods: Record<string, MethodCodec>;
  private closed = false;

  constructor(
    private readonly address: string,
    private readonly certs: CertFolder,
    private readonly expect: Identity,
    service: S,
    private readonly options: Http2UnaryOptions = {},
  ) {
    this.methods = services[service].service as unknown as Record<string, MethodCodec>;
  }

  /** Whether a connection is established now. */
  isConnected(): boolean {
    const session = this.session;
    return session !== undefined && established.has(session) && !session.closed && !session.destroyed;
  }

  call<M extends MethodName<S>>(method: M, request: Request<S, M>, options: Http2CallOptions): Promise<Reply<S, M>> {
    // The common case stays synchronous: connected already, or not asked to wait.
    if (!options.waitForReady || this.isConnected()) return this.send(method, request, options);
    const deadlineAtMs = Date.now() + options.deadlineMs;
    return this.whenConnected(method, deadlineAtMs).then(() => this.send(method, request, { ...options, deadlineMs: Math.max(1, deadlineAtMs - Date.now()) }));
  }

  /**
   * Connects, retrying with backoff until connected or the deadline passes
   * (DEADLINE_EXCEEDED, as grpc-js answers a waitForReady call that never got
   * a connection). Nothing is sent before the connection is up, so a retry
   * never sends a request twice.
   */
  private async whenConnected(method: string, deadlineAtMs: number): Promise<void> {
    const backoff = this.options.reconnectBackoff ?? { msMin: 100, msMax: 1_000 };
    let waitMs = backoff.msMin;
    for (let attempt = 0; attempt < limits.connectAttemptsMax; attempt++) {
      if (this.closed) throw new AppError(Code.Unavailable, `${method}: the client was closed`);
      const session = this.connected();
      if (await connectedWithin(session, deadlineAtMs - Date.now())) return;
      const leftMs = deadlineAtMs - Date.now();
      if (leftMs <= 0) break;
      await Bun.sleep(Math.min(waitMs, leftMs));
      waitMs = Math.min(waitMs * 2, backoff.msMax);
    }
    throw new AppError(Code.DeadlineExceeded, `${method}: deadline exceeded while connecting to ${this.address}`);
  }

  private send<Res>(method: string, request: unknown, options: Http2CallOptions): Promise<Res> {
    const codec = this.methods[method];
    assert(codec, `a method ${method} of this service`);
    const body = codec.requestSerialize(request);
    const frame = Buffer.allocUnsafe(frameHeaderBytes + body.length);
    frame[0] = 0;
    frame.writeUInt32BE(body.length, 1);
    body.copy(frame, frameHeaderBytes);
    const headers: http2.OutgoingHttpHeaders = {
      ":method": "POST",
      ":path": codec.path,
      "content-type": "application/grpc",
      te: "trailers",
      "grpc-timeout": `${Math.max(1, Math.ceil(options.deadlineMs))}m`,
    };
    if (options.token) headers[wire.authorization] = `Bearer ${options.token}`;
    return new Promise<Res>((resolve, reject) => {
      let stream: http2.ClientHttp2Stream;
      try {
        stream = this.connected().request(headers);
      } catch (error) {
        reject(unreachable(method, error));
        return;
      }
      const chunks: Buffer[] = [];
      let settled = false;
      const finish = (error: AppError | undefined, value?: Res) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(value as Res);
      };
      const timer = setTimeout(() => {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        finish(new AppError(Code.DeadlineExceeded, `${method}: deadline exceeded`));
      }, options.deadlineMs);
      // The answer is read once the stream has closed, when the status (in
      // the trailers, or in the headers of a trailers-only answer) is known.
      let status: AppError | undefined;
      let statusSeen = false;
      const onStatus = (fields: http2.IncomingHttpHeaders) => {
        if (fields["grpc-status"] === undefined) return;
        statusSeen = true;
        status = statusError(method, fields);
      };
      stream.on("response", onStatus);
      stream.on("trailers", onStatus);
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", (error) => finish(unreachable(method, error)));
      stream.on("close", () => {
        if (status) return finish(status);
        if (!statusSeen) return finish(unreachable(method, new Error("the stream closed without a status")));
        const all = Buffer.concat(chunks);
        if (all.length < frameHeaderBytes || all[0] !== 0) return finish(new AppError(Code.Internal, `${method}: no response message`));
        try {
          finish(undefined, codec.responseDeserialize(all.subarray(frameHeaderBytes, frameHeaderBytes + all.readUInt32BE(1))) as Res);
        } catch (error) {
          finish(new AppError(Code.Internal, `${method}: unreadable response`, error));
        }
      });
      stream.end(frame);
    });
  }

  close(): void {
    this.closed = true;
    this.session?.close();
    this.session = undefined;
  }

  /** The shared HTTP/2 session; a new one after the last closed or failed. */
  private connected(): http2.ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const session = http2.connect(`https://${this.address}`, {
      ca: this.certs.ca,
      cert: this.certs.cert,
      key: this.certs.key,
      // As in src/rpc/channel.ts: the certificate must name the peer we meant to reach.
      servername: serverNameOf(this.expect),
    });
    session.on("error", () => {}); // each stream reports its own failure
    session.once("connect", () => established.add(session));
    const pinger = this.options.keepalive ? keepPinging(session, this.options.keepalive) : undefined;
    const connectTimer = this.options.connectingMsMax ? abandonIfStillConnecting(session, this.options.connectingMsMax) : undefined;
    session.on("close", () => {
      if (pinger) clearInterval(pinger);
      clearTimeout(connectTimer);
      if (this.session === session) this.session = undefined;
    });
    this.session = session;
    return session;
  }
}

/**
 * Sessions whose "connect" event came (TCP, TLS and HTTP/2 settings done).
 * Not `session.connecting`: Bun clears it before the TLS handshake ends.
 */
const established = new WeakSet<http2.ClientHttp2Session>();

/** True once `session` is connected; false when it fails or `withinMs` passes first. */
function connectedWithin(session: http2.ClientHttp2Session, withinMs: number): Promise<boolean> {
  if (session.closed || session.destroyed) return Promise.resolve(false);
  if (established.has(session)) return Promise.resolve(true);
  if (withinMs <= 0) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (connected: boolean) => {
      clearTimeout(timer);
      session.off("connect", onConnect);
      session.off("close", onClose);
      resolve(connected);
    };
    const onConnect = () => done(true);
    const onClose = () => done(false);
    const timer = setTimeout(() => done(false), withinMs);
    session.once("connect", onConnect);
    session.once("close", onClose);
  });
}

/**
 * Destroys `session` unless it is connected (its "connect" event: Bun clears
 * `session.connecting` before the TLS handshake ends) within `connectingMsMax`.
 */
function abandonIfStillConnecting(session: http2.ClientHttp2Session, connectingMsMax: number): ReturnType<typeof setTimeout> {
  const timer = setTimeout(() => {
    if (!session.destroyed) session.destroy(new Error(`not connected after ${connectingMsMax} ms`));
  }, connectingMsMax);
  timer.unref?.();
  session.once("connect", () => clearTimeout(timer));
  return timer;
}

/**
 * A PING every intervalMs while the session is connected; one unanswered
 * within timeoutMs destroys the session, so a connection that stopped making
 * progress (bytes lost, a peer host gone without a reset) is noticed within
 * seconds and the next call connects afresh.
 */
function keepPinging(session: http2.ClientHttp2Session, keepalive: { intervalMs: number; timeoutMs: number }): ReturnType<typeof setInterval> {
  let outstanding = false;
  const timer = setInterval(() => {
    if (!established.has(session) || session.closed || session.destroyed || outstanding) return;
    outstanding = true;
    const timeout = setTimeout(() => session.destroy(new Error("keepalive ping unanswered")), keepalive.timeoutMs);
    const sent = session.ping((error) => {
      outstanding = false;
      clearTimeout(timeout);
      if (error && !session.destroyed) session.destroy(error);
    });
    if (!sent) {
      outstanding = false;
      clearTimeout(timeout);
    }
  }, keepalive.intervalMs);
  timer.unref?.();
  return timer;
}

function statusError(method: string, headers: http2.IncomingHttpHeaders): AppError | undefined {
  const status = headers["grpc-status"];
  if (status === "0") return undefined;
  const message = headers["grpc-message"];
  return fromCallError({ code: Number(status), details: typeof message === "string" ? percentDecoded(message) : "" }, method);
}

/** grpc-message is percent-encoded; a malformed one is shown as it came. */
function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function unreachable(method: string, error: unknown): AppError {
  return new AppError(Code.Unavailable, `${method}: ${(error as Error)?.message ?? String(error)}`, error);
}
