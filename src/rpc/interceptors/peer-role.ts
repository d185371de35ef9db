// Authorization by certificate: the role in the caller's certificate decides
// which services it may call at all (a client can never reach a bank).
import * as grpc from "@grpc/grpc-js";
import { AppError, Code } from "../../lib/errors";
import { identityFromSubject, type Role } from "../identity";
import { internal } from "../metadata";
import { splitPath } from "../protos";
import { refuse } from "./chain";

/** Service name -> the certificate roles that may call it. */
export type ServiceRoles = Record<string, readonly Role[]>;

export function peerRoleInterceptor(allowed: ServiceRoles): grpc.ServerInterceptor {
  return function peerRole(methodDescriptor, call) {
    return new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            const { service } = splitPath(methodDescriptor.path);
            const identity = identityFromSubject(call.getAuthContext()?.sslPeerCertificate?.subject as Record<string, unknown> | undefined);
            const roles = allowed[service];
            if (!identity) {
              refuse(call, new AppError(Code.Unauthenticated, "the client certificate carries no ministripe role"));
              return;
            }
            if (!roles || !roles.includes(identity.role)) {
              refuse(call, new AppError(Code.PermissionDenied, `a ${identity.role} certificate may not call ${service}`));
              return;
            }
            metadata.set(internal.peerRole, identity.role);
            metadata.set(internal.peerName, identity.name);
            nextMetadata(metadata);
          },
        });
      },
    });
  };
}
