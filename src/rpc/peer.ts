// The identity in a caller's certificate, read once per TLS connection.
// getPeerCertificate() builds a fresh object on every call and showed up as
// several per cent of a busy server's time; a connection's certificate never
// changes, so the identity is kept per socket (weakly: it goes with the socket).
import type * as grpc from "@grpc/grpc-js";
import { identityFromSubject, type Identity } from "./identity";
import { limits } from "../lib/limits";

const identityBySocket = new WeakMap<object, Identity | null>();
const thumbprintBySocket = new WeakMap<object, string>();

/** grpc-js keeps the HTTP/2 stream on the innermost call; interceptors wrap it as `nextCall`. */
function socketOf(call: grpc.ServerInterceptingCallInterface): object | undefined {
  // grpc-js's internals, not in its types: each layer's `nextCall`, the innermost's `stream`.
  let layer = call as unknown as CallLayer | undefined;
  for (let depth = 0; depth < limits.callLayersMax && layer; depth++) {
    const socket = layer.stream?.session?.socket;
    if (socket && typeof socket === "object") return socket;
    layer = layer.nextCall;
  }
  return undefined;
}

interface CallLayer {
  stream?: { session?: { socket?: unknown } };
  nextCall?: CallLayer;
}

export function peerIdentity(call: grpc.ServerInterceptingCallInterface): Identity | undefined {
  const socket = socketOf(call);
  if (socket && identityBySocket.has(socket)) return identityBySocket.get(socket) ?? undefined;
  const identity = identityFromSubject(call.getAuthContext()?.sslPeerCertificate?.subject as Record<string, unknown> | undefined);
  if (socket) identityBySocket.set(socket, identity ?? null);
  return identity;
}

/**
 * SHA-256 of the DER of the caller's certificate, hex (RFC 8705's x5t#S256,
 * in hex): what a session is bound to. Undefined when there is none.
 */
export function peerCertificateSha256(call: grpc.ServerInterceptingCallInterface): string | undefined {
  const socket = socketOf(call);
  const known = socket ? thumbprintBySocket.get(socket) : undefined;
  if (known) return known;
  const raw = (call.getAuthContext()?.sslPeerCertificate as { raw?: Buffer } | undefined)?.raw;
  if (!raw || raw.length === 0) return undefined;
  const thumbprint = new Bun.CryptoHasher("sha256").update(raw).digest("hex");
  if (socket) thumbprintBySocket.set(socket, thumbprint);
  return thumbprint;
}
