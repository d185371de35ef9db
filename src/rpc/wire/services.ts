// Each service's methods with their request and reply types, from the
// generated definitions: what types a handler (src/rpc/server.ts) and a call
// (src/rpc/channel.ts, src/rpc/http2-unary.ts) by service and method name.
import type * as grpc from "@grpc/grpc-js";
import type { HealthDefinition, HealthHandlers } from "./generated/grpc/health/v1/Health";
import type { AdminDefinition, AdminHandlers } from "./generated/ministripe/v1/Admin";
import type { BankDefinition, BankHandlers } from "./generated/ministripe/v1/Bank";
import type { CoordinatorDefinition, CoordinatorHandlers } from "./generated/ministripe/v1/Coordinator";
import type { GatewayDefinition, GatewayHandlers } from "./generated/ministripe/v1/Gateway";
import type { Whole } from "./messages";

/** The named members only: grpc-js's definition types also take any string. */
type Named<T> = { [K in keyof T as string extends K ? never : K]: T[K] };

interface Definitions {
  Gateway: Named<GatewayDefinition>;
  Admin: Named<AdminDefinition>;
  Bank: Named<BankDefinition>;
  Coordinator: Named<CoordinatorDefinition>;
  Health: Named<HealthDefinition>;
}
interface GeneratedHandlers {
  Gateway: GatewayHandlers;
  Admin: AdminHandlers;
  Bank: BankHandlers;
  Coordinator: CoordinatorHandlers;
  Health: HealthHandlers;
}

export type ServiceName = keyof Definitions;
export type MethodName<S extends ServiceName> = keyof Definitions[S] & string;
type Method<S extends ServiceName, M extends MethodName<S>> = Definitions[S][M];

/** What a caller sends: any field may be left out (its default), int64 as a number or a string. */
export type Request<S extends ServiceName, M extends MethodName<S>> = Method<S, M> extends { requestSerialize: (value: infer Req) => Buffer } ? Req : never;
/** What a handler receives: every field present, int64 and enums as strings. */
export type ReceivedRequest<S extends ServiceName, M extends MethodName<S>> = Method<S, M> extends { requestDeserialize: (bytes: Buffer) => infer Req } ? Req : never;
/** What a caller receives: every field present, int64 and enums as strings. */
export type Reply<S extends ServiceName, M extends MethodName<S>> = Method<S, M> extends { responseDeserialize: (bytes: Buffer) => infer Res } ? Res : never;
/**
 * What a handler answers: every field named (int64 as a number or a string),
 * so a field renamed in a .proto fails the type check at the handler as well
 * as at the caller.
 */
export type Answer<S extends ServiceName, M extends MethodName<S>> = Method<S, M> extends { responseSerialize: (value: infer Res) => Buffer } ? Whole<Res> : never;

/** Every method of service S: a server stream where the .proto says `stream`, else unary. */
export type Handlers<S extends ServiceName> = {
  [M in MethodName<S>]: Parameters<GeneratedHandlers[S][M]>["length"] extends 1
    ? grpc.handleServerStreamingCall<ReceivedRequest<S, M>, Answer<S, M>>
    : grpc.handleUnaryCall<ReceivedRequest<S, M>, Answer<S, M>>;
};

declare const serviceOfClient: unique symbol;
/** A grpc-js client of service S (src/rpc/channel.ts `connect`): calls on it are typed by method. */
export type ServiceClient<S extends ServiceName> = grpc.Client & { readonly [serviceOfClient]: S };
