// Metadata keys on the wire, and the internal keys interceptors hand to
// handlers. Internal keys are stripped from every incoming call first, so a
// caller can never set them.
import type * as grpc from "@grpc/grpc-js";
import { limits } from "../lib/limits";

export const wire = {
  requestId: "x-request-id",
  attempt: "x-attempt",
  authorization: "authorization",
  /** A trailer of a failed call: the AppError's reason (src/lib/errors.ts Reason), when it has one. */
  errorReason: "x-error-reason",
} as const;

export const internal = {
  prefix: "ministripe-internal-",
  peerRole: "ministripe-internal-peer-role",
  peerName: "ministripe-internal-peer-name",
  peerCertSha256: "ministripe-internal-peer-cert-sha256",
  user: "ministripe-internal-user",
  userRole: "ministripe-internal-user-role",
  tokenHash: "ministripe-internal-token-hash",
} as const;

export function stripInternal(metadata: grpc.Metadata): void {
  for (const key of Object.keys(metadata.getMap())) {
    if (key.startsWith(internal.prefix)) metadata.remove(key);
  }
}

export function getText(metadata: grpc.Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return typeof value === "string" ? value : undefined;
}

/** A caller's request id if it is sane, otherwise a fresh one. */
export function requestIdOf(metadata: grpc.Metadata): string {
  const given = getText(metadata, wire.requestId);
  if (given && given.length <= limits.requestIdLengthMax && /^[\w.:-]+$/.test(given)) return given;
  return Bun.randomUUIDv7();
}

export function attemptOf(metadata: grpc.Metadata): number {
  const attempt = Number(getText(metadata, wire.attempt) ?? "1");
  return Number.isInteger(attempt) && attempt >= 1 && attempt <= limits.attemptLoggedMax ? attempt : 1;
}
