// A minimal unary gRPC client on node:http2 with mutual TLS, for load
// generation only (`ministripe bench`). Same protos, same wire format, same
// certificates and peer check as every other caller; what it leaves out is
// grpc-js's client stack (resolver, retries, load balancing, filters), which
// costs about 100 µs of CPU per call on Bun: CPU the bench would take from
// the system it measures on the same cores. Everything else uses grpc-js.
import * as http2 from "node:http2";
import { AppError, Code } from "../lib/errors";
import type { CertFolder } from "./credentials";
import { serverNameOf, type Identity } from "./identity";
import { wire } from "./metadata";
import { services, type ServiceName } from "./protos";
import { fromCallError } from "./status";

interface MethodCodec {
  path: string;
  requestSerialize(value: unknown): Buffer;
  responseDeserialize(bytes: Buffer): unknown;
}

/** Length-prefixed message header: 1 byte compressed flag, 4 bytes length. */
const frameHeaderBytes = 5;

export class Http2UnaryClient {
  private session: http2.ClientHttp2Session | undefined;
  private readonly methods: Record<string, MethodCodec>;

  constructor(
    private readonly address: string,
    private readonly certs: CertFolder,
    private readonly expect: Identity,
    service: ServiceName,
  ) {
    this.methods = services[service].service as unknown as Record<string, MethodCodec>;
  }

  call<Res>(method: string, request: unknown, options: { deadlineMs: number; token?: string }): Promise<Res> {
    const codec = this.methods[method];
    if (!codec) return Promise.reject(new Error(`no method ${method} on this service`));
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
    session.on("close", () => {
      if (this.session === session) this.session = undefined;
    });
    this.session = session;
    return session;
  }
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
