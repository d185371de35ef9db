// Authentication by bearer token for the methods that need a user. The
// interceptor knows nothing of storage: the role passes `authenticate`.
import * as grpc from "@grpc/grpc-js";
import { AppError, Code, toAppError } from "../../lib/errors";
import { getText, internal, wire } from "../metadata";
import { splitPath } from "../protos";
import { refuse } from "./chain";

export interface SessionRule {
  /** Services whose methods need a session... */
  services: readonly string[];
  /** ...except these ("Service/Method"). */
  publicMethods: readonly string[];
  /** The session behind a token presented over a connection with the certificate of this thumbprint. */
  authenticate(token: string, certSha256: string): Promise<{ username: string; tokenHash: string }>;
}

export function sessionInterceptor(rule: SessionRule): grpc.ServerInterceptor {
  return function session(methodDescriptor, call) {
    const { service, method } = splitPath(methodDescriptor.path);
    const needed = rule.services.includes(service) && !rule.publicMethods.includes(`${service}/${method}`);
    return new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            if (!needed) {
              nextMetadata(metadata);
              return;
            }
            const header = getText(metadata, wire.authorization) ?? "";
            // The scheme is case-insensitive (RFC 6750); the token's length is bounded in authenticate.
            const match = /^Bearer ([A-Za-z0-9_-]+)$/i.exec(header);
            if (!match) {
              refuse(call, new AppError(Code.Unauthenticated, "missing bearer token; log in first"));
              return;
            }
            // Set by the peer-role interceptor, which runs first and strips any a caller sent.
            // grpc-js holds the request's message until nextMetadata is called.
            rule.authenticate(match[1]!, getText(metadata, internal.peerCertSha256) ?? "").then(
              (found) => {
                metadata.set(internal.user, found.username);
                metadata.set(internal.tokenHash, found.tokenHash);
                nextMetadata(metadata);
              },
              (error) => refuse(call, toAppError(error)),
            );
          },
        });
      },
    });
  };
}
