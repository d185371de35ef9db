// Authorization by certificate: the role in the caller's certificate decides
// which methods it may call at all (a client can never reach a bank). The
// table names methods ("Service/Method") or whole services ("Service");
// anything it does not name is refused.
import * as grpc from "@grpc/grpc-js";
import { AppError, Code } from "../../lib/errors";
import type { Role } from "../identity";
import { internal, stripInternal } from "../metadata";
import { peerCertificateSha256, peerIdentity } from "../peer";
import { splitPath } from "../protos";
import { lookup } from "./access";
import { refuse } from "./chain";

/** "Service" or "Service/Method" -> the certificate roles that may call it. */
export type ServiceRoles = Record<string, readonly Role[]>;

export function peerRoleInterceptor(allowed: ServiceRoles): grpc.ServerInterceptor {
  return function peerRole(methodDescriptor, call) {
    const { service, method } = splitPath(methodDescriptor.path);
    return new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            // Internal keys carry what interceptors proved; a caller may never set them.
            stripInternal(metadata);
            const identity = peerIdentity(call);
            if (!identity) {
              refuse(call, new AppError(Code.Unauthenticated, "the client certificate carries no ministripe role"));
              return;
            }
            const roles = lookup(allowed, service, method);
            if (!roles || !roles.includes(identity.role)) {
              refuse(call, new AppError(Code.PermissionDenied, `${identity.role === "admin" ? "an" : "a"} ${identity.role} certificate may not call ${service}.${method}`));
              return;
            }
            metadata.set(internal.peerRole, identity.role);
            metadata.set(internal.peerName, identity.name);
            const thumbprint = peerCertificateSha256(call);
            if (thumbprint) metadata.set(internal.peerCertSha256, thumbprint);
            nextMetadata(metadata);
          },
        });
      },
    });
  };
}
