// Server interceptors are declared in one list, nearest the network first:
// the first sees a call's metadata first and its final status last.
import type * as grpc from "@grpc/grpc-js";
import * as grpcjs from "@grpc/grpc-js";
import { AppError } from "../../lib/errors";
import { toServiceError } from "../status";

export function chain(...nearestNetworkFirst: grpc.ServerInterceptor[]): grpc.ServerInterceptor[] {
  // grpc-js wraps the wire call with interceptors[0] first, so this order is already right.
  return nearestNetworkFirst;
}

/** Ends a call from inside an interceptor; interceptors nearer the network still see the status. */
export function refuse(call: grpc.ServerInterceptingCallInterface, error: AppError): void {
  const status = toServiceError(error);
  call.sendStatus({ code: status.code!, details: status.details!, metadata: status.metadata ?? new grpcjs.Metadata() });
}
